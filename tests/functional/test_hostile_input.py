"""Hostile input: script in every text field stays text on every page; SQL-shaped, oversized, deep and broken input gets a 4xx and changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from registry.search_text import query_words
from registry.services.imports.plan import import_document
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, encode, snapshot
from tests.functional.staff import add_staff, browser, sign_in, staff_app

# Each breaks out of a different context: element content, an attribute, a URL, a comment, a style or script block.
PAYLOADS = (
    "<script>alert('xss-1')</script>",
    "\"><img src=x onerror=alert('xss-2')>",
    "'><svg onload=alert('xss-3')>",
    "--></style></script><iframe src=javascript:alert('xss-4')>",
)
UNESCAPED = re.compile(r"<script>alert|<img src=x onerror|<svg onload|<iframe src=javascript", re.IGNORECASE)
SQL_SHAPED = ("' OR '1'='1", "'; DROP TABLE coach; --", "\" OR 1=1 --", "%", "_", "\\", "C-000001' --", "1; SELECT pg_sleep(5)")


def result_count(html: str) -> str:
    """The sentence that says how many records a list found."""
    return re.search(r'<p class="result-count" role="status">(.*?)</p>', html, re.S).group(1).strip()


def hostile_document() -> dict[str, Any]:
    """Every free-text field of every kind of record carries a payload."""
    a, b, c, d = PAYLOADS
    return {
        "organisations": [{"code": "O-000001", "name": f"Org {a}", "city": f"Stad {b}"}],
        "trainings": [{"code": "T-000001", "name": f"Opleiding {c}", "organisation": "O-000001", "guidance_types": ["short"],
                       "formats": ["individual"]}],
        "programmes": [{"code": "P-000001", "name": f"Programma {d}", "organisation": "O-000001", "guidance_type": "short",
                        "format": "individual", "modes": ["phone"], "sessions": 4, "contact_minutes": 60, "cities": [a, f"Plaats {b}"]}],
        "coaches": [{"registration_number": "C-000001", "initials": "X.", "prefix": c[:20], "surname": f"Coach {a}", "city": d[:100],
                     "email": "x@example.nl", "phone": b[:32], "internal_note": d}],
        "qualifications": [{"coach": "C-000001", "training": "T-000001", "completed_on": "2024-01-10", "certificate": c[:64]}],
        "decisions": [
            {"subject": "training", "code": "T-000001", "kind": "grant", "valid_from": "2020-01-01", "reference": "T-G", "reason": a},
            {"subject": "programme", "code": "P-000001", "kind": "grant", "valid_from": "2025-01-01", "reference": "P-G", "reason": b},
            {"subject": "coach", "code": "C-000001", "kind": "grant", "valid_from": "2025-01-01", "reference": "C-G", "reason": c},
            {"subject": "coach", "code": "C-000001", "kind": "suspend", "from": "2025-02-01", "reference": "C-S", "reason": d},
            {"subject": "coach", "code": "C-000001", "kind": "revoke", "effective": "2025-03-01", "reference": "C-R", "reason": a},
        ],
    }


PUBLIC_PAGES = ("/", "/zoeken?q=org", "/programmas", "/programmas/P-000001", "/coaches", "/coaches/C-000001", "/opleidingen",
                "/opleidingen/T-000001", "/organisaties", "/organisaties/O-000001", "/api/v1/programmes/P-000001",
                "/api/v1/coaches/C-000001", "/api/v1/changes", "/open-data/registry.json", "/open-data/coaches.csv")
STAFF_PAGES = ("/admin", "/admin/programmas", "/admin/programmas/P-000001", "/admin/programmas/P-000001/wijzigen", "/admin/coaches",
               "/admin/coaches/C-000001", "/admin/coaches/C-000001/wijzigen", "/admin/opleidingen/T-000001", "/admin/organisaties",
               "/admin/organisaties/O-000001", "/admin/organisaties/O-000001/wijzigen", "/admin/audit")


async def test_script_in_every_text_field_is_shown_as_text_on_every_page(settings: Settings) -> None:
    async with staff_app(settings) as (app, staff):
        await import_document(app.state.api.engine, encode(hostile_document()), OPERATOR)
        await add_staff(app)
        await sign_in(staff, "editor")
        visitor = browser(app, "198.51.100.77")
        for path in PUBLIC_PAGES:
            response = await visitor.get(path)
            assert response.status_code == 200, path
            if response.headers["content-type"].startswith("text/html"):
                assert not UNESCAPED.search(response.text), path
            else:  # data holds the text as given; it must never be taken for a page
                assert response.headers["x-content-type-options"] == "nosniff", path
                assert response.headers["content-type"].split(";")[0] in ("application/json", "text/csv"), path
        for path in (*PUBLIC_PAGES[:10], *(f"/zoeken?q={payload}" for payload in PAYLOADS), *(f"/coaches?city={p}" for p in PAYLOADS)):
            page = await visitor.get(path)
            assert not UNESCAPED.search(page.text), path
        shown = (await visitor.get("/coaches/C-000001")).text
        assert "Coach &lt;script&gt;alert(" in shown  # escaped, not dropped
        for path in STAFF_PAGES:
            response = await staff.get(path)
            assert response.status_code == 200, (path, response.status_code)
            assert not UNESCAPED.search(response.text), path
        assert "&lt;iframe src=javascript:alert(" in (await staff.get("/admin/coaches/C-000001")).text  # the private note, escaped


async def test_sql_shaped_text_in_search_and_code_fields_is_only_text(settings: Settings) -> None:
    async with staff_app(settings) as (app, staff):
        await import_document(app.state.api.engine, encode(hostile_document()), OPERATOR)
        await add_staff(app)
        await sign_in(staff, "viewer")
        before = await snapshot(app.state.api.engine)
        visitor = browser(app, "198.51.100.78")
        for text in SQL_SHAPED:
            for path, params in (("/api/v1/coaches", {"q": text, "city": text}), ("/api/v1/programmes", {"q": text, "city": text}),
                                 ("/api/v1/trainings", {"q": text}), ("/zoeken", {"q": text}), ("/coaches", {"q": text, "city": text}),
                                 ("/programmas", {"q": text, "city": text}), ("/controleren", {"programma": text, "coach": text,
                                                                                              "datum": text})):
                response = await visitor.get(path, params=params)
                assert response.status_code in (200, 400, 422), (path, text, response.status_code)
                if path.startswith("/api/v1/") and response.status_code == 200:
                    # Quotes, wildcards and operators are only word separators: the answer is that of the bare words.
                    bare = {key: " ".join(query_words(value)) for key, value in params.items()}
                    assert response.json()["total"] == (await visitor.get(path, params=bare)).json()["total"], (path, text)
            for path in ("/api/v1/coaches/", "/api/v1/programmes/", "/coaches/", "/admin/coaches/"):
                client = staff if path.startswith("/admin") else visitor
                response = await client.get(path + text.replace("/", ""))
                assert response.status_code in (400, 404, 422), (path, text, response.status_code)
            listed = await staff.get("/admin/coaches", params={"q": text})
            bare = await staff.get("/admin/coaches", params={"q": " ".join(query_words(text))})
            assert listed.status_code == 200 and result_count(listed.text) == result_count(bare.text), text
        assert await snapshot(app.state.api.engine) == before


@pytest.mark.parametrize("body, content_type, status", [
    (b"{" * 50_000 + b"}" * 50_000, "application/json", (400, 422)),
    (b'{"items": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "application/json", (400, 422)),
    (b'{"programme_code": "P-\xff\xfe", "coach_registration_number": "C-1", "service_date": "2026-01-01"}', "application/json", (400, 422)),
    (b"\xef\xbb\xbf\x00\x00garbage", "application/json", (400, 422)),
    (b"x" * (6 * 1024 * 1024), "application/json", (413,)),
])
async def test_broken_deep_and_oversized_bodies_get_a_clear_4xx_and_change_nothing(settings: Settings, body: bytes, content_type: str,
                                                                                  status: tuple[int, ...]) -> None:
    async with staff_app(settings) as (app, client):
        await import_document(app.state.api.engine, encode(hostile_document()), OPERATOR)
        credentials = await _client_token(app)
        before = await snapshot(app.state.api.engine)
        for path in ("/api/v1/verifications", "/api/v1/verifications/batch"):
            response = await client.post(path, content=body, headers={"content-type": content_type, "authorization": credentials})
            assert response.status_code in status, (path, response.status_code, response.text[:200])
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == response.status_code
        assert await snapshot(app.state.api.engine) == before


async def test_a_batch_over_the_limit_is_refused_whole(settings: Settings) -> None:
    async with staff_app(settings) as (app, client):
        await import_document(app.state.api.engine, encode(hostile_document()), OPERATOR)
        credentials = await _client_token(app)
        claim = {"programme_code": "P-000001", "coach_registration_number": "C-000001", "service_date": "2025-01-15"}
        too_many = await client.post("/api/v1/verifications/batch", content=json.dumps({"items": [claim] * 10_001}),
                                     headers={"content-type": "application/json", "authorization": credentials})
        assert too_many.status_code == 422 and too_many.headers["content-type"].startswith("application/problem+json")
        empty = await client.post("/api/v1/verifications/batch", json={"items": []}, headers={"authorization": credentials})
        assert empty.status_code == 422


async def _client_token(app: Any) -> str:
    from registry.services.staff.clients import create_client

    credentials = await create_client(app.state.api.engine, OPERATOR, "Zorgverzekeraar Test")
    async with browser(app, "192.0.2.200") as http:
        token = await http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": credentials.client_id,
                                                       "client_secret": credentials.client_secret})
    return f"Bearer {token.json()['access_token']}"


@pytest.mark.parametrize("content", [b"[" * 100_000 + b"]" * 100_000, b'{"organisations": [{"name": "Org \xff\xfe"}]}', b"\x00" * 10])
async def test_an_import_file_that_is_too_deep_or_not_utf8_is_refused_whole(engine: Any, content: bytes) -> None:
    from registry.services.errors import ValidationFailed

    before = await snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, content, OPERATOR)
    assert [error.code for error in refused.value.errors] == ["invalid_json"]
    assert await snapshot(engine) == before


async def test_page_numbers_in_other_scripts_are_only_text(settings: Settings) -> None:
    async with staff_app(settings) as (app, staff):
        await add_staff(app)
        await sign_in(staff, "viewer")
        visitor = browser(app, "198.51.100.79")
        for page in ("²", "٣", "1e3", "-1", "99999999999999999999"):
            for client, path in ((visitor, "/coaches"), (visitor, "/programmas"), (visitor, "/organisaties"), (staff, "/admin/coaches")):
                response = await client.get(path, params={"page": page})
                assert response.status_code == 200, (path, page, response.status_code)
