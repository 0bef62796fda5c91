"""Staff sign-in under hostile use: floods that must not write, limits per address and per account, refusals audited, log lines unforgeable."""

from __future__ import annotations

import logging

from registry.services.sql import reading
from registry.settings import Settings
from tests.conftest import BACKEND
from tests.functional.helpers import fresh_rate_window
from tests.functional.staff import add_staff, browser, sign_in, staff_app

# An issuer nobody answers at: a callback is refused on its state before the provider would be asked anything.
UNREACHABLE_PROVIDER = {"oidc_issuer": "http://127.0.0.1:9", "oidc_client_id": "registry-staff", "oidc_client_secret": "x" * 32}


async def session_rows(app: object) -> int:
    async with reading(app.state.api.engine) as reader:
        return (await reader.fetch_one("SELECT COUNT(*) AS n FROM staff_session"))["n"]


async def test_cookieless_visits_of_the_sign_in_page_write_no_session(settings: Settings) -> None:
    async with staff_app(settings) as (app, client):
        for _ in range(200):
            client.cookies.clear()
            page = await client.get("/admin/inloggen")
            assert page.status_code == 200 and 'name="csrf_token"' in page.text and "set-cookie" in page.headers
        assert await session_rows(app) == 0


async def test_junk_callbacks_write_no_session_and_are_limited(settings: Settings) -> None:
    await fresh_rate_window()
    async with staff_app(settings, login_rate_limit_per_minute=5, **UNREACHABLE_PROVIDER) as (app, client):
        statuses = []
        for number in range(20):
            client.cookies.clear()
            answer = await client.get("/admin/oidc/callback", params={"code": f"junk-{number}", "state": f"forged-{number}"})
            statuses.append(answer.status_code)
        assert statuses == [400] * 5 + [429] * 15
        assert await session_rows(app) == 0


async def test_the_session_clean_up_is_answered_from_indexes(settings: Settings) -> None:
    async with staff_app(settings) as (app, _client):
        if BACKEND == "postgresql":
            query = "SELECT indexdef AS definition FROM pg_indexes WHERE tablename = ?"
        else:
            query = "SELECT sql AS definition FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
        async with reading(app.state.api.engine) as reader:
            definitions = [row["definition"].replace('"', "") for row in await reader.fetch_all(query, "staff_session")]
            if BACKEND != "postgresql":
                plan = await reader.fetch_all("EXPLAIN QUERY PLAN DELETE FROM staff_session WHERE last_seen_at < ? OR created_at < ?", 0, 0)
                assert not any("SCAN" in row["detail"] for row in plan), plan
        # The clean-up deletes by `last_seen_at < ? OR created_at < ?`: each side needs an index of its own.
        for column in ("last_seen_at", "created_at"):
            assert any(definition.endswith(f"({column})") for definition in definitions), (column, definitions)


async def test_a_burst_for_one_account_from_many_addresses_is_throttled_per_account(settings: Settings) -> None:
    await fresh_rate_window()
    async with staff_app(settings) as (app, _client):
        await add_staff(app)
        statuses = []
        for number in range(12):
            statuses.append((await sign_in(browser(app, f"203.0.113.{number + 1}"), "editor", "a wrong guess")).status_code)
        assert statuses == [400] * 10 + [429] * 2
        # The right password, from yet another address, waits for the account's minute too; other accounts do not.
        held_back = await sign_in(browser(app, "203.0.113.100"), " Editor ")
        assert held_back.status_code == 429 and held_back.headers["retry-after"] and "voor dit account" in held_back.text
        assert (await sign_in(browser(app, "203.0.113.101"), "viewer")).status_code == 303


async def test_a_refused_sign_in_is_audited_with_the_name_as_typed_and_never_the_password(settings: Settings) -> None:
    typed = "Editor" + "x" * 300
    async with staff_app(settings) as (app, client):
        await add_staff(app)
        assert (await sign_in(client, typed, "the secret guess 42")).status_code == 400
        async with reading(app.state.api.engine) as reader:
            rows = await reader.fetch_all("SELECT * FROM audit_event WHERE action = ?", "auth:session:refuse")
        assert (await sign_in(client, "viewer")).status_code == 303
        audit_log = await client.get("/admin/audit", params={"gebeurtenis": "auth:session:refuse"})
        assert audit_log.status_code == 200 and "Inloggen geweigerd" in audit_log.text and typed[:150] in audit_log.text
    assert len(rows) == 1
    [event] = rows
    assert event["subject_kind"] == "staff_user" and event["subject_code"] == typed[:150]
    assert event["source"] == "192.0.2.20" and event["actor"] == "visitor"
    assert not any("secret guess" in str(value) for value in event.values())


class Kept(logging.Handler):
    """Keeps the records of one logger (the app's logging does not pass them on to pytest's)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_callback_error_cannot_forge_log_lines(settings: Settings) -> None:
    forged = "access_denied\n2026-12-01 12:00:00 WARNING registry: admin signed in\x1b[2K"
    # "registry": the address is refused, and logged escaped, before the sign-in handler sees it.
    kept, logger = Kept(), logging.getLogger("registry")
    async with staff_app(settings, **UNREACHABLE_PROVIDER) as (_app, client):
        logger.addHandler(kept)
        try:
            answer = await client.get("/admin/oidc/callback", params={"error": forged, "state": "x"})
        finally:
            logger.removeHandler(kept)
    assert answer.status_code == 400
    [record] = kept.records
    line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "\n" not in line and "\x1b" not in line
    assert "\\n2026-12-01" in line and "\\x1b[2K" in line
