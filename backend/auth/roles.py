"""The role table: what each staff role may do with each kind of data. One place.

Every guard (``require``), every redaction of a dossier (``DossierQueries``), every page that
hides a button and ``docs/security.md``'s table read :data:`ROLE_PERMISSIONS`; a test keeps
the documented table equal to it, and the authorisation matrix derives its expected answers
from it.
"""

from __future__ import annotations

from enum import StrEnum

from schemas.accounts import Role

__all__ = ["PERSONAL_DATA", "ROLE_PERMISSIONS", "Permission", "permissions_of"]


class Permission(StrEnum):
    """One kind of data or action a staff member may be allowed."""

    dossiers = "dossiers"
    """The inbox and a dossier's page: code, procedure, status, dates, the applicant's name."""
    applicant = "applicant"
    """The applicant's birth date, gender, address, phone and postal address."""
    id_number = "id_number"
    """The applicant's 12-digit ID number, and search by it."""
    scans = "scans"
    """The scanned pages and their thumbnails, except the ID card."""
    id_card_scans = "id_card_scans"
    """The ID card's scan (identity document: the most sensitive page)."""
    forms = "forms"
    """The printed forms (receipt, supplement request...), which carry the applicant's details
    and the tracking token."""
    act = "act"
    """Counter intake and every lifecycle action (receive, refuse, resolve...)."""
    reports = "reports"
    """The timeliness and satisfaction reports (counts, no personal data)."""
    admin = "admin"
    """Teams, devices, users, the procedure catalog, holidays, the commune's settings."""

    @property
    def label(self) -> str:
        """The Vietnamese name admins read."""
        return {
            "dossiers": "Danh sách và trạng thái hồ sơ",
            "applicant": "Thông tin cá nhân của người nộp",
            "id_number": "Số định danh cá nhân",
            "scans": "Ảnh giấy tờ",
            "id_card_scans": "Ảnh căn cước",
            "forms": "In phiếu, mẫu",
            "act": "Tiếp nhận, xử lý hồ sơ",
            "reports": "Báo cáo",
            "admin": "Quản trị",
        }[self.value]


PERSONAL_DATA = frozenset(
    {Permission.applicant, Permission.id_number, Permission.scans, Permission.id_card_scans}
)
"""What a commune admin may grant a viewer who must see personal data (an inspector)."""

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.clerk: frozenset(Permission) - {Permission.admin},
    Role.viewer: frozenset({Permission.dossiers, Permission.reports}),
}
"""What each role may do without any grant."""


def permissions_of(role: Role, personal_data: bool = False) -> frozenset[Permission]:
    """A staff member's permissions: the role's, plus personal data if granted."""
    granted = ROLE_PERMISSIONS[role]
    return granted | PERSONAL_DATA if personal_data else granted
