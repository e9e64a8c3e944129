"""Pages against hostile text and hostile links: every page that shows what someone typed shows
it as text, and the login form sends nobody off this site."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.backend.sync.conftest import APPLICANT, PROCEDURE
from tests.helpers import CSRF, PASSWORD, Browser, Staff

pytestmark = pytest.mark.attack

MARK = "X\"'><img src=x onerror=alert(1)><script>alert(2)</script>"
"""Breaks out of an attribute and opens an element, if a page printed it as it came."""
SHOWN = "X&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
"""The same text, escaped, as every page must print it."""


def raw(html: str) -> bool:
    return "<img src=x" in html or "<script>alert" in html or "X\"'>" in html


@pytest.fixture
async def marked(client: httpx.AsyncClient, staff: Staff, new_client: Any) -> dict[str, Any]:
    """Hostile text in every field a person types that a page shows."""
    await staff.post_created(
        "/api/v1/procedures",
        {**PROCEDURE, "name": f"Thủ tục {MARK}",
         "documents": [{"key": "to_khai", "name": f"Tờ khai {MARK}", "kind": "original"}]},
    )  # fmt: skip
    team = await staff.post_created(
        "/api/v1/teams", {"kind": "roaming", "name": f"Tổ {MARK}", "leader_name": MARK}
    )
    code = await client.post(
        f"/api/v1/teams/{team['id']}/enrolment-codes", headers=staff["admin.a"].auth
    )
    enrolled = await client.post(
        "/api/v1/devices/enroll", json={"code": code.json()["code"], "name": f"Máy {MARK}"}
    )
    assert enrolled.status_code == 201, enrolled.text
    await staff.post_created(
        "/api/v1/users",
        {"username": "nguoi.moi", "password": PASSWORD, "role": "clerk", "full_name": MARK},
    )
    override = await client.post(
        "/api/v1/holidays/overrides",
        json={"day": "2026-03-20", "kind": "off", "note": MARK},
        headers=staff["admin.a"].auth,
    )
    assert override.status_code == 201, override.text
    applicant = {**APPLICANT, "full_name": f"Trần {MARK}", "address": MARK, "phone": "0912345678"}
    body = {"procedure_code": PROCEDURE["code"], "applicant": applicant, "consent": True,
            "note": MARK, "delivery": {"method": "post", "address": MARK}}  # fmt: skip
    ids = {}
    for step in ("supplement", "refused", "resolved", "extended"):
        dossier = await staff.post_created("/api/v1/dossiers", body, as_="clerk.a")
        ids[step] = dossier["id"]
    clerk = staff["clerk.a"].auth

    async def act(step: str, action: str, payload: dict[str, Any]) -> None:
        answer = await client.post(
            f"/api/v1/dossiers/{ids[step]}/{action}", json=payload, headers=clerk
        )
        assert answer.status_code == 200, answer.text

    for step in ("supplement", "resolved", "extended"):
        await act(step, "receive", {})
    asked = [{"document_key": "to_khai", "problem": "missing", "note": MARK}]
    await act("supplement", "request-supplement", {"items": asked, "note": MARK})
    await act("refused", "refuse", {"reason": MARK})
    await act("extended", "extend", {"new_due_date": "2027-01-29", "reason": MARK})
    await act("resolved", "start-processing", {})
    await act("resolved", "resolve", {"result_summary": MARK})
    newcomer = new_client()
    await newcomer.post("/api/v1/auth/login", json={"username": "nguoi.moi", "password": PASSWORD})
    viewed = await newcomer.get(f"/api/v1/dossiers/{ids['refused']}")
    assert viewed.status_code == 200  # the audit trail names who looked
    tracked = (await client.get(f"/api/v1/dossiers/{ids['resolved']}", headers=clerk)).json()
    return {"ids": ids, "track": f"/tra-cuu/{tracked['code']}?t={tracked['tracking_token']}"}


async def test_pages__print_typed_text_as_text_never_as_markup(
    new_client: Any, marked: dict[str, Any]
) -> None:
    admin = Browser(new_client())
    assert (await admin.log_in("admin.a")).status_code == 303
    ids = marked["ids"]
    pages = [
        "/ho-so", "/ho-so?q=Tr%E1%BA%A7n", f"/ho-so?q={quote(MARK)}", "/bao-cao",
        "/quan-tri/to", "/quan-tri/nguoi-dung", "/quan-tri/thu-tuc", "/quan-tri/ngay-nghi",
        "/quan-tri/thiet-bi", "/quan-tri/nhat-ky",
        *(f"/ho-so/{i}" for i in ids.values()),
        f"/ho-so/{ids['resolved']}/in/mau-01",
        f"/ho-so/{ids['supplement']}/in/mau-02",
        f"/ho-so/{ids['refused']}/in/mau-03",
        f"/ho-so/{ids['extended']}/in/mau-04",
    ]  # fmt: skip
    shown = {}
    for path in pages:
        answer = await admin.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert not raw(answer.text), path
        shown[path] = SHOWN in answer.text
    public = await new_client().get(marked["track"])
    assert public.status_code == 200
    assert not raw(public.text)

    # Each page above shows the hostile text somewhere (escaped), so each check above was real.
    # (The report shows counts only; the audit trail names each dossier's applicant.)
    assert [path for path, seen in shown.items() if not seen] == ["/bao-cao"]
    assert SHOWN in public.text  # the resolution summary the citizen reads


LOGIN_TARGETS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    " //evil.example/",
    "javascript:alert(1)",
    "http:evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "evil.example",
    "",
]


async def log_in(browser: httpx.AsyncClient, target: str) -> httpx.Response:
    """The login form sent as clerk.a, with ``next`` as a hostile page would set it."""
    form = await browser.get("/dang-nhap")
    token = CSRF.search(form.text)
    assert token is not None
    return await browser.post(
        "/dang-nhap",
        data={"_csrf": token.group(1), "username": "clerk.a", "password": PASSWORD,
              "next": target},
    )  # fmt: skip


@pytest.mark.parametrize("target", LOGIN_TARGETS)
async def test_login__goes_to_this_site_only_whatever_next_says(
    new_client: Any, staff: Staff, target: str
) -> None:
    browser = new_client()
    linked = await browser.get(f"/dang-nhap?next={quote(target)}")
    assert linked.status_code in (200, 422)  # control characters in a link are refused at once
    kept = "/%0d%0aSet-Cookie:x=1" if target.startswith("/%0d") else "/ho-so"  # a plain path
    assert f'name="next" value="{kept}"' in linked.text or linked.status_code == 422
    answer = await log_in(browser, target)

    location = answer.headers["location"]
    assert answer.status_code == 303
    assert location == kept, location
    assert httpx.URL(f"http://testserver.local{location}").host == "testserver.local"
    assert "\r" not in location
    assert "\n" not in location
    assert "set-cookie" not in answer.headers or "x=1" not in answer.headers["set-cookie"]


async def test_login__keeps_a_path_on_this_site(new_client: Any, staff: Staff) -> None:
    answer = await log_in(new_client(), "/ho-so?nhom=qua-han")

    assert answer.headers["location"] == "/ho-so?nhom=qua-han"
