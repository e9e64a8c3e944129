"""Which printed forms (Circular 03/2025 numbering) a dossier has. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.dossiers import Action

__all__ = ["FORMS", "PrintedForm", "printable_forms"]


@dataclass(frozen=True)
class PrintedForm:
    """A form the clerk prints, and the event whose details it carries."""

    slug: str
    title: str
    action: Action


FORMS: dict[str, PrintedForm] = {
    form.slug: form
    for form in (
        PrintedForm("mau-01", "Mẫu 01 — Giấy tiếp nhận và hẹn trả", Action.receive),
        PrintedForm("mau-02", "Mẫu 02 — Yêu cầu bổ sung", Action.request_supplement),
        PrintedForm("mau-03", "Mẫu 03 — Từ chối tiếp nhận", Action.refuse),
        PrintedForm("mau-04", "Mẫu 04 — Xin lỗi, hẹn lại", Action.extend),
    )
}
"""Every printable form by its URL slug."""


def printable_forms(code: str | None, actions: Iterable[str]) -> list[PrintedForm]:
    """The forms a dossier can print: the receipt once it has a code, the others once the
    action they record was taken."""
    taken = set(actions)
    return [
        form
        for form in FORMS.values()
        if (bool(code) if form.action is Action.receive else form.action.value in taken)
    ]
