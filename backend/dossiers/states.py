"""The dossier lifecycle: statuses as the national portal numbers them, and the legal moves.

Pure: no I/O. The statuses and actions themselves (codes and labels, as the national public
service portal numbers them) are wire types in ``schemas/dossiers.py``, shared with the clients.
"""

from __future__ import annotations

from schemas.dossiers import Action, Status

__all__ = [
    "ACTION_TARGET",
    "ALLOWED",
    "CLOSED",
    "DELIVERY_OPEN",
    "FINISHING",
    "PAUSING",
    "WITH_RESULT",
    "IllegalTransitionError",
    "next_status",
]


ACTION_TARGET: dict[Action, Status | None] = {
    Action.receive: Status.received,
    Action.refuse: Status.refused,
    Action.request_supplement: Status.supplement_requested,
    Action.supplement_arrived: None,
    Action.start_processing: Status.processing,
    Action.request_fee: Status.awaiting_fee,
    Action.record_payment: Status.processing,
    Action.stop: Status.stopped,
    Action.withdraw: Status.withdrawn,
    Action.resolve: Status.resolved,
    Action.return_result: Status.returned,
    Action.extend: None,
}
"""Where each action leads. ``None``: ``extend`` (apology and new date) leaves the status as it
is, and ``supplement-arrived`` returns the dossier to the status it had when the supplement was
asked for (received or processing keep their code and moved due date; docs/architecture.md)."""

ALLOWED: dict[Status, frozenset[Action]] = {
    Status.submitted: frozenset(
        {Action.receive, Action.refuse, Action.request_supplement, Action.withdraw}
    ),
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
    # The citizen may withdraw while the office waits for a supplement or a fee; the office
    # stops a dossier whose supplement or fee never comes (docs/architecture.md).
    Status.supplement_requested: frozenset(
        {Action.supplement_arrived, Action.withdraw, Action.stop}
    ),
    Status.awaiting_fee: frozenset(
        {Action.record_payment, Action.extend, Action.withdraw, Action.stop}
    ),
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

WITH_RESULT = frozenset({Status.resolved, Status.returned})
"""A finished dossier in these was resolved; in the other finishing statuses it ended without a
result (the report counts those apart)."""

CLOSED = FINISHING | {Status.withdrawn}
"""No deadline runs any more in these: the dossier's story has ended."""

DELIVERY_OPEN = frozenset(Status) - (CLOSED - {Status.resolved})
"""The citizen may still choose where the result goes: until it is returned."""


class IllegalTransitionError(Exception):
    """``action`` is not allowed from ``current``."""

    def __init__(self, current: Status, action: Action) -> None:
        target = ACTION_TARGET[action]
        self.current = current
        self.action = action
        self.target = target
        goal = target.label if target is not None else action.label.lower()
        super().__init__(
            f"Không thể chuyển hồ sơ từ “{current.label}” sang “{goal}” ({action.value})."
        )


def next_status(current: Status, action: Action, *, asked_from: Status | None = None) -> Status:
    """The status after ``action``; raises :class:`IllegalTransitionError` if it is not allowed.

    ``asked_from``: for ``supplement-arrived``, the status the supplement was asked from (the
    ``from_status`` of the dossier's last ``request-supplement`` event).
    """
    if action not in ALLOWED[current]:
        raise IllegalTransitionError(current, action)
    if action is Action.supplement_arrived:
        return asked_from or Status.submitted
    target = ACTION_TARGET[action]
    return current if target is None else target
