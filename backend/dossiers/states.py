"""The dossier lifecycle: statuses as the national portal numbers them, and the legal moves.

Pure: no I/O. Status codes and labels follow the national public service portal (DOMAIN.md).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "ACTION_TARGET",
    "ALLOWED",
    "FINISHING",
    "PAUSING",
    "Action",
    "IllegalTransitionError",
    "Status",
    "next_status",
]


class Status(IntEnum):
    """Dossier status codes 1 to 10, as synced to the national portal."""

    submitted = 1
    received = 2
    refused = 3
    processing = 4
    supplement_requested = 5
    awaiting_fee = 6
    withdrawn = 7
    stopped = 8
    resolved = 9
    returned = 10

    @property
    def label(self) -> str:
        """The Vietnamese name clerks and citizens read."""
        return _LABELS[self]


_LABELS = {
    Status.submitted: "Mới đăng ký",
    Status.received: "Được tiếp nhận",
    Status.refused: "Không được tiếp nhận",
    Status.processing: "Đang xử lý",
    Status.supplement_requested: "Yêu cầu bổ sung giấy tờ",
    Status.awaiting_fee: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.withdrawn: "Công dân yêu cầu rút hồ sơ",
    Status.stopped: "Dừng xử lý",
    Status.resolved: "Đã xử lý xong",
    Status.returned: "Đã trả kết quả",
}


class Action(StrEnum):
    """What a clerk, a device or a citizen does to a dossier (the URL's ``{action}``)."""

    receive = "receive"
    refuse = "refuse"
    request_supplement = "request-supplement"
    supplement_arrived = "supplement-arrived"
    start_processing = "start-processing"
    request_fee = "request-fee"
    record_payment = "record-payment"
    stop = "stop"
    withdraw = "withdraw"
    resolve = "resolve"
    return_result = "return"
    extend = "extend"


ACTION_TARGET: dict[Action, Status | None] = {
    Action.receive: Status.received,
    Action.refuse: Status.refused,
    Action.request_supplement: Status.supplement_requested,
    Action.supplement_arrived: Status.submitted,
    Action.start_processing: Status.processing,
    Action.request_fee: Status.awaiting_fee,
    Action.record_payment: Status.processing,
    Action.stop: Status.stopped,
    Action.withdraw: Status.withdrawn,
    Action.resolve: Status.resolved,
    Action.return_result: Status.returned,
    Action.extend: None,
}
"""Where each action leads; ``extend`` (apology and new date) leaves the status as it is."""

ALLOWED: dict[Status, frozenset[Action]] = {
    Status.submitted: frozenset({Action.receive, Action.refuse, Action.request_supplement}),
    Status.received: frozenset(
        {
            Action.start_processing,
            Action.request_supplement,
            Action.request_fee,
            Action.stop,
            Action.withdraw,
            Action.extend,
        }
    ),
    Status.processing: frozenset(
        {
            Action.resolve,
            Action.request_supplement,
            Action.request_fee,
            Action.stop,
            Action.withdraw,
            Action.extend,
        }
    ),
    Status.supplement_requested: frozenset({Action.supplement_arrived, Action.withdraw}),
    Status.awaiting_fee: frozenset({Action.record_payment, Action.extend}),
    Status.resolved: frozenset({Action.return_result}),
    Status.refused: frozenset(),
    Status.withdrawn: frozenset(),
    Status.stopped: frozenset(),
    Status.returned: frozenset(),
}
"""The transition table: the actions each status admits."""

PAUSING = frozenset({Status.supplement_requested, Status.awaiting_fee})
"""While a received dossier is in these, its deadline clock stops."""

FINISHING = frozenset({Status.resolved, Status.returned, Status.stopped, Status.refused})
"""Entering the first of these after receipt finishes the dossier for timeliness."""


class IllegalTransitionError(Exception):
    """``action`` is not allowed from ``current``."""

    def __init__(self, current: Status, action: Action) -> None:
        target = ACTION_TARGET[action]
        self.current = current
        self.action = action
        self.target = target
        goal = target.label if target is not None else "gia hạn"
        super().__init__(
            f"Không thể chuyển hồ sơ từ “{current.label}” sang “{goal}” ({action.value})."
        )


def next_status(current: Status, action: Action) -> Status:
    """The status after ``action``; raises :class:`IllegalTransitionError` if it is not allowed."""
    if action not in ALLOWED[current]:
        raise IllegalTransitionError(current, action)
    target = ACTION_TARGET[action]
    return current if target is None else target
