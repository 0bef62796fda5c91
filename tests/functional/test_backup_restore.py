"""`registry backup` and `registry restore` as operators run them: real processes on real databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from registry import rules
from registry.demo import RECORDED_AT, build_demo_document
from registry.services.imports.plan import import_document
from registry.services.staff.sessions import SessionStore
from registry.services.verification.answer import parse_claim, verify
from tests.conftest import BACKEND
from tests.functional.backup_support import (
    empty_database,
    open_engine,
    registry_async,
    registry_json,
    statuses,
    subject_decisions,
)
from tests.functional.conftest import open_session
from tests.functional.helpers import OPERATOR, document, encode, snapshot

VOLATILE = {"verification_id", "checked_at"}


def _stable(answer: dict[str, Any]) -> dict[str, Any]:
    """A verification answer without what differs between two askings."""
    return {key: value for key, value in answer.items() if key not in VOLATILE}


async def populate(engine: Any, coaches: int) -> tuple[dt.datetime, list[str]]:
    """Demo data, then later decisions (suspend, revoke, retract, suspend+lift) on subjects accredited today.

    Returns a moment between the two imports and the coaches the later decisions concern.
    """
    await import_document(engine, encode(build_demo_document(coaches=coaches)), OPERATOR, now=RECORDED_AT)
    today = rules.amsterdam_date(dt.datetime.now(dt.timezone.utc))
    subjects = await subject_decisions(engine)
    accredited = [
        (kind, code) for (kind, code), decisions in sorted(subjects.items())
        if rules.Timeline(decisions).status_on(today - dt.timedelta(days=60)) is rules.Status.ACCREDITED
        and rules.Timeline(decisions).status_on(today) is rules.Status.ACCREDITED
    ]
    coaches_ok = [code for kind, code in accredited if kind == "coach"][:4]
    programme = next(code for kind, code in accredited if kind == "programme")
    grant = rules.Timeline(subjects[("coach", coaches_ok[2])]).covering_grant(today)
    ago = {days: (today - dt.timedelta(days=days)).isoformat() for days in (5, 10, 20, 30, 40, 60)}
    later = [
        {"subject": "coach", "code": coaches_ok[0], "kind": "suspend", "from": ago[30], "reference": "BK-0001", "reason": "Onderzoek"},
        {"subject": "coach", "code": coaches_ok[1], "kind": "revoke", "effective": ago[10], "reference": "BK-0002"},
        {"subject": "coach", "code": coaches_ok[2], "kind": "retract", "target": grant.reference, "reference": "BK-0003"},
        {"subject": "coach", "code": coaches_ok[3], "kind": "suspend", "from": ago[60], "until": ago[5], "reference": "BK-0004"},
        {"subject": "coach", "code": coaches_ok[3], "kind": "lift", "date": ago[20], "suspension": "BK-0004", "reference": "BK-0005"},
        {"subject": "programme", "code": programme, "kind": "suspend", "from": ago[5], "reference": "BK-0006"},
    ]
    await asyncio.sleep(0.05)
    between = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.05)
    await import_document(engine, encode({"decisions": later}), OPERATOR)
    return between, coaches_ok + [programme]


async def test_restore_into_an_empty_database_gives_back_every_row_and_every_answer(
    database_url: str, engine: Any, tmp_path: Path
) -> None:
    between, changed = await populate(engine, coaches=80)
    await SessionStore(engine, idle_seconds=1800, absolute_seconds=43200).start(address="192.0.2.1")  # a browser mid-visit
    today = rules.amsterdam_date(dt.datetime.now(dt.timezone.utc))
    days = [today, today - dt.timedelta(days=40), today - dt.timedelta(days=400)]
    before = await snapshot(engine)
    source_statuses = await statuses(engine, days, between)
    dest = tmp_path / "registry.backup"
    backed_up = await registry_json(database_url, "backup", str(dest))
    assert backed_up["audit_chain"] == "intact" and dest.stat().st_size == backed_up["bytes"]
    assert backed_up["tables"]["decision"] == len(before["decision"]) and backed_up["data_version"] == before["decision"][-1]["id"]

    async with empty_database(tmp_path) as target_url:
        restored = await registry_json(target_url, "restore", str(dest))
        assert restored["replaced_rows"] == {} and restored["migrations_applied"] == []
        assert backed_up["tables"]["staff_session"] == 1 and restored["tables"]["staff_session"] == 0  # everyone signs in again
        assert {**restored["tables"], "staff_session": 1} == backed_up["tables"] and restored["audit_chain"] == "intact"
        assert restored["data_version"] == backed_up["data_version"]
        async with open_engine(target_url) as copy:
            assert await snapshot(copy) == before  # every row of every table, column for column
            restored_statuses = await statuses(copy, days, between)
            assert restored_statuses == source_statuses
            # Claims answered by the verification service on both, today and as known before the later decisions.
            for coach in changed[:4]:
                for day, known in ((today, None), (days[1], None), (today, between), (days[1], between)):
                    raw = {"programme_code": changed[4], "coach_registration_number": coach, "service_date": day.isoformat()}
                    claim = parse_claim({**raw, "as_known_at": known.isoformat()} if known else raw)
                    original, answer = await verify(engine, claim, store=False), await verify(copy, claim, store=False)
                    assert _stable(answer) == _stable(original)
        # The later decisions changed the answers, and "as known at" a moment before them still gives the old ones.
        # Each tuple: status today, 40 days ago, 400 days ago as known now, then the same as known `between`.
        suspended, revoked, _retracted, lifted, programme = changed
        assert source_statuses[("coach", suspended)][::3] == ("suspended", "accredited")
        assert source_statuses[("coach", revoked)][::3] == ("revoked", "accredited")
        assert source_statuses[("programme", programme)][::3] == ("suspended", "accredited")
        assert source_statuses[("coach", lifted)][1::3] == ("suspended", "accredited")
        assert {"accredited", "suspended", "revoked", "expired"} <= {s[0] for s in source_statuses.values()}

        # And through the command, as an operator would check a restored copy.
        claim = ["verify", "--programme", programme, "--coach", suspended, "--date", today.isoformat(), "--json"]
        for args in (claim, [*claim, "--as-known-at", between.isoformat()]):
            original, answer = await asyncio.gather(registry_json(database_url, *args), registry_json(target_url, *args))
            assert _stable(answer) == _stable(original)
        code, out, err = await registry_async(target_url, "audit", "verify")
        assert code == 0 and f"intact: {backed_up['audit_events']} events" in out, err


async def test_a_backup_taken_while_a_writer_records_decisions_is_one_consistent_moment(
    database_url: str, engine: Any, tmp_path: Path
) -> None:
    await import_document(engine, encode(build_demo_document(coaches=200)), OPERATOR, now=RECORDED_AT)
    base = {name: len(rows) for name, rows in (await snapshot(engine)).items()}
    acknowledged: list[str] = []
    stop = asyncio.Event()

    async def keep_recording() -> None:
        while not stop.is_set():
            reference = f"LIVE-{len(acknowledged) + 1:05d}"
            decision = {"subject": "coach", "code": "C-000001", "kind": "suspend", "from": "2026-01-05", "until": "2026-01-06",
                        "reference": reference}
            await import_document(engine, encode({"decisions": [decision]}), OPERATOR)
            acknowledged.append(reference)  # the import returned: the write is acknowledged

    writer = asyncio.create_task(keep_recording())
    while len(acknowledged) < 3:
        await asyncio.sleep(0.01)
    at_start = len(acknowledged)
    try:
        report = await registry_json(database_url, "backup", str(tmp_path / "live.backup"))
    finally:
        stop.set()
        await writer
    in_copy = report["tables"]["decision"] - base["decision"]
    # Writes landed both before the copy's moment and after it, while the command ran.
    assert at_start < in_copy < len(acknowledged), (at_start, in_copy, len(acknowledged))
    # One moment for every table: each recorded decision brought exactly two audit events.
    assert report["tables"]["audit_event"] == base["audit_event"] + 2 * in_copy
    assert report["data_version"] == report["tables"]["decision"] and report["audit_chain"] == "intact"

    async with empty_database(tmp_path) as target_url:
        await registry_json(target_url, "restore", str(tmp_path / "live.backup"))
        async with open_engine(target_url) as copy:
            rows = (await snapshot(copy))["decision"]
        # Exactly the first acknowledged writes, in order: a prefix of the commit order, nothing torn.
        assert [row["reference"] for row in rows if row["reference"].startswith("LIVE-")] == acknowledged[:in_copy]
        code, out, _ = await registry_async(target_url, "audit", "verify")
        assert code == 0 and f"intact: {report['audit_events']} events" in out


async def test_restore_refuses_a_database_holding_records_and_backup_never_overwrites_by_accident(
    database_url: str, engine: Any, tmp_path: Path
) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    dest = tmp_path / "first.backup"
    await registry_json(database_url, "backup", str(dest))
    original = dest.read_bytes()
    code, _, err = await registry_async(database_url, "backup", str(dest))
    assert code == 1 and "exists" in err and "--force" in err and dest.read_bytes() == original

    async with empty_database(tmp_path) as other_url:
        async with open_engine(other_url) as other:
            await registry_async(other_url, "migrate")
            await import_document(other, encode(build_demo_document(coaches=5)), OPERATOR, now=RECORDED_AT)
            held = await snapshot(other)
            code, _, err = await registry_async(other_url, "restore", str(dest))
            assert code == 1 and "not empty" in err and "nothing was changed" in err, err
            assert await snapshot(other) == held
            forced = await registry_json(other_url, "restore", "--force", str(dest))
            assert forced["replaced_rows"]["coach"] == 5 and forced["audit_chain"] == "intact"
            assert await snapshot(other) == await snapshot(engine)

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text(json.dumps(document()))
    code, _, err = await registry_async(database_url, "restore", "--force", str(not_a_backup))
    assert code == 1 and "is not" in err


@pytest.mark.skipif(BACKEND != "postgresql", reason="pg_dump is used on PostgreSQL only")
async def test_backup_without_pg_dump_says_what_to_install(database_url: str, tmp_path: Path) -> None:
    code, _, err = await registry_async(database_url, "backup", str(tmp_path / "x.backup"), path=str(tmp_path))
    assert code == 1 and "pg_dump was not found" in err and "postgresql-client" in err
    assert not list(tmp_path.glob("*x.backup*"))


async def test_a_running_instance_follows_a_restore_back_in_time(settings: Any, tmp_path: Path) -> None:
    claim = {"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-09-01"}
    async with open_session(settings) as session:
        await import_document(session.engine, encode(document()), OPERATOR)
        await session.recorded()
        bearer = await session.bearer()
        backup = tmp_path / "before-revocation.backup"
        taken = await registry_json(settings.database_url, "backup", str(backup))
        revocation = {"subject": "coach", "code": "C-000123", "kind": "revoke", "effective": "2026-08-01", "reference": "SKZ-2026-0500"}
        await import_document(session.engine, encode({"decisions": [revocation]}), OPERATOR)
        await session.recorded()
        revoked = (await session.http.post("/api/v1/verifications", json=claim, headers=bearer)).json()
        assert revoked["accredited"] is False and revoked["reasons"][0]["code"] == "COACH_REVOKED"

        restored = await registry_json(settings.database_url, "restore", "--force", str(backup))
        assert restored["data_version"] == taken["data_version"] < revoked["data_version"]
        # Nobody tells the instance: it notices that the audit trail went back and rebuilds from the restored database.
        deadline = asyncio.get_running_loop().time() + 3
        while True:
            answer = (await session.http.post("/api/v1/verifications", json=claim, headers=bearer)).json()
            if answer["accredited"]:
                break
            assert asyncio.get_running_loop().time() < deadline, f"still answering from before the restore: {answer}"
            await asyncio.sleep(0.05)
        assert answer["data_version"] == taken["data_version"]
