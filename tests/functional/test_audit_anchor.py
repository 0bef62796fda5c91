"""The keyed audit chain and its signed anchor, against someone who can write to the database but has not the key.

Each attack runs past the append-only triggers the way an intruder with database access would, then
`registry audit verify --anchor` (a real process) must fail naming the event or row, and the staff chain
page must say the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
from joserfc import jws
from joserfc.jwk import KeySet

from registry.roles import Role
from registry.services.audit import Actor, AuditAction, event_hash
from registry.services.imports.plan import import_document
from registry.services.public.open_data import export
from registry.services.sql import reading, writing
from registry.settings import Settings
from tests.conftest import BACKEND
from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session
from tests.functional.helpers import document, encode
from tests.functional.staff import add_staff, sign_in, staff_app
from tests.functional.test_care_standard_claims import Q_SETUP, VERSION_2

ROOT = Path(__file__).resolve().parents[2]
MARIEKE = Actor("user:marieke", Role.EDITOR, "192.0.2.44")
SQLITE_TRIGGERS = [f"{table}_no_{verb}" for table in ("audit_event", "decision", "audit_chain") for verb in ("update", "delete")]
POSTGRES_TRIGGERS = [(f"{table}_append_only", table) for table in ("audit_event", "decision", "audit_chain")]


async def as_intruder(settings: Settings, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Drop the append-only triggers and run statements (`?` parameters), as someone with write access to the database."""
    url = settings.database_url
    if BACKEND == "postgresql":
        connection = await asyncpg.connect(url)
        try:
            for trigger, table in POSTGRES_TRIGGERS:
                await connection.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            for sql, params in statements:
                numbered, count = sql, 0
                while "?" in numbered:
                    count += 1
                    numbered = numbered.replace("?", f"${count}", 1)
                await connection.execute(numbered, *params)
        finally:
            await connection.close()
        return

    def run() -> None:
        with sqlite3.connect(url[len("sqlite:///"):], timeout=30) as connection:
            for trigger in SQLITE_TRIGGERS:
                connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for sql, params in statements:
                connection.execute(sql, params)

    # In a thread: the app on this loop must be able to finish a write of its own while this waits for the lock.
    await asyncio.to_thread(run)


async def verify(settings: Settings, *args: str) -> tuple[int, str, str]:
    """`registry audit verify ARGS` in its own process, with this test's database, data directory and chain key."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": settings.database_url, "REGISTRY_DATA_DIR": str(settings.data_dir),
           "REGISTRY_AUDIT_KEY_FILE": str(settings.chain_key_file)}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "registry.cli", "audit", "verify", *args, env=env, cwd=ROOT,
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return int(process.returncode or 0), out.decode(), err.decode()


async def events(engine: Any) -> list[dict[str, Any]]:
    async with reading(engine) as reader:
        return await reader.fetch_all("SELECT * FROM audit_event ORDER BY id")


async def imported_with_anchor(session: ApiSession, directory: Path) -> tuple[Path, dict[str, Any]]:
    """The base document imported, and the anchor the registry then publishes, kept in a file as a watcher would."""
    await import_document(session.engine, encode(document()), MARIEKE)
    published = await session.http.get("/open-data/audit-anchor.json")
    assert published.status_code == 200, published.text
    path = directory / "anchor.json"
    path.write_text(published.text)
    return path, published.json()


async def test_the_published_anchor_is_signed_with_the_registry_key_and_verifies(session: ApiSession, settings: Settings,
                                                                                 tmp_path: Path) -> None:
    anchor_file, anchor = await imported_with_anchor(session, tmp_path)
    chain = await events(session.engine)
    assert (anchor["events"], anchor["last_event_id"], anchor["hash"]) == (len(chain), chain[-1]["id"], chain[-1]["hash"])
    # Anyone can check it with the published key set alone.
    key_set = KeySet.import_key_set((await session.http.get("/.well-known/jwks.json")).json())
    claims = json.loads(jws.deserialize_compact(anchor["anchor"], key_set, algorithms=["ES256"]).payload)
    assert claims["events"] == len(chain) and claims["hash"] == chain[-1]["hash"] and claims["iss"] == "http://registry.test"  # the address asked at: REGISTRY_PUBLIC_URL is unset
    # Cache-friendly: the same chain is the same ETag, answered 304 without a body.
    again = await session.http.get("/open-data/audit-anchor.json", headers={"If-None-Match": (await session.http.get(
        "/open-data/audit-anchor.json")).headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # Every event after the migration is keyed: a plain SHA-256 over the same content is not its hash.
    assert all(row["hash"] != event_hash(row["previous_hash"], {**row, "occurred_at": row["occurred_at"].isoformat()
               if hasattr(row["occurred_at"], "isoformat") else row["occurred_at"]}) for row in chain)
    assert all(row["row_digest"] for row in chain if row["action"] != str(AuditAction.IMPORT_APPLY))

    code, out, err = await verify(settings, "--anchor", str(anchor_file))
    assert code == 0, err
    assert f"audit chain intact: {len(chain)} events ({len(chain)} keyed)" in out and "begins with the anchor" in out


async def test_an_edited_event_with_every_later_hash_recomputed_fails(session: ApiSession, settings: Settings, tmp_path: Path) -> None:
    anchor_file, _ = await imported_with_anchor(session, tmp_path)
    chain = await events(session.engine)
    target = next(row for row in chain if row["action"] == str(AuditAction.PROGRAMME_CREATE))
    # Without the key the intruder can only recompute plain SHA-256 hashes from the edited event on.
    updates, previous = [], target["previous_hash"]
    for row in chain[chain.index(target):]:
        content = {**row, "occurred_at": row["occurred_at"].isoformat() if hasattr(row["occurred_at"], "isoformat") else row["occurred_at"]}
        if row["id"] == target["id"]:
            content["after_state"] = str(content["after_state"]).replace("Samen Rookvrij", "Samen Rookvrij Plus")
        digest = event_hash(previous, content)
        updates.append(("UPDATE audit_event SET after_state = ?, previous_hash = ?, hash = ? WHERE id = ?",
                        (content["after_state"], previous, digest, row["id"])))
        previous = digest
    await as_intruder(settings, *updates)

    code, _, err = await verify(settings, "--anchor", str(anchor_file))
    assert code == 1 and f"first changed event {target['id']}" in err, err
    code, _, err = await verify(settings)
    assert code == 1 and f"first changed event {target['id']}" in err, err


async def test_the_last_events_deleted_fail_against_the_anchor(session: ApiSession, settings: Settings, tmp_path: Path) -> None:
    anchor_file, anchor = await imported_with_anchor(session, tmp_path)
    # The import's own summary event wrote no row: without it the rest of the chain is whole.
    await as_intruder(settings, ("DELETE FROM audit_event WHERE id = ?", (anchor["last_event_id"],)))
    code, out, err = await verify(settings)
    assert code == 0, err
    code, _, err = await verify(settings, "--anchor", str(anchor_file))
    assert code == 1 and f"names {anchor['events']} events" in err and f"holds only {anchor['events'] - 1}" in err, err

    # Three more gone: the decisions they wrote are no longer covered by any event either.
    await as_intruder(settings, ("DELETE FROM audit_event WHERE id > ?", (anchor["last_event_id"] - 4,)))
    code, _, err = await verify(settings, "--anchor", str(anchor_file))
    assert code == 1 and "events were deleted" in err and "has no audit event that wrote it" in err, err


async def test_an_edited_decision_row_fails_and_the_chain_page_says_so(settings: Settings, tmp_path: Path) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), MARIEKE)
        async with reading(app.state.api.engine) as reader:
            decision = await reader.fetch_row("SELECT id, reason FROM decision ORDER BY id LIMIT 1")
            event = await reader.fetch_row("SELECT id FROM audit_event WHERE row_ref = ?", f"decision:{decision['id']}")
        await sign_in(viewer, "viewer")
        intact = await viewer.get("/admin/audit/keten")
        assert "De keten is intact" in intact.text and "besluiten en registraties kloppen" in intact.text

        await as_intruder(settings, ("UPDATE decision SET ends_on = ? WHERE id = ?", (dt.date(2099, 12, 31), decision["id"])))
        code, _, err = await verify(settings)
        assert code == 1 and f"decision row {decision['id']} differs from what audit event {event['id']} recorded" in err, err
        broken = await viewer.get("/admin/audit/keten")
        assert "De keten is verbroken" in broken.text
        assert f"Besluit {decision['id']} wijkt af van wat gebeurtenis {event['id']} vastlegde" in broken.text


async def test_a_row_added_behind_the_registrys_back_fails(session: ApiSession, settings: Settings, tmp_path: Path) -> None:
    anchor_file, _ = await imported_with_anchor(session, tmp_path)
    async with reading(session.engine) as reader:
        row = await reader.fetch_row("SELECT * FROM decision ORDER BY id DESC LIMIT 1")
    await as_intruder(settings, ("INSERT INTO decision (id, subject_kind, subject_id, kind, starts_on, ends_on, reference, reason, recorded_at, "
                                 "recorded_by) VALUES (?, ?, ?, 'grant', ?, ?, 'FORGED-1', '', ?, 'user:marieke')",
                                 (row["id"] + 1, row["subject_kind"], row["subject_id"], row["starts_on"] or dt.date(2026, 1, 1), dt.date(2099, 12, 31),
                                  row["recorded_at"])))
    code, _, err = await verify(settings, "--anchor", str(anchor_file))
    assert code == 1 and f"decision row {row['id'] + 1} has no audit event that wrote it" in err, err


async def test_a_chain_from_before_the_key_keeps_verifying_and_the_start_cannot_be_moved(settings: Settings, engine: Any,
                                                                                        tmp_path: Path) -> None:
    # Three events as the registry wrote them before the keyed chain (plain SHA-256), then the mark after them,
    # as migration 0010 leaves an existing database.
    async with writing(engine) as writer:
        ids = await writer.allocate_ids("audit_event", 3)
        rows, previous = [], ""
        for number, event_id in enumerate(ids, start=1):
            occurred = dt.datetime(2026, 11, number, 10, tzinfo=dt.timezone.utc)
            row = {"id": event_id, "occurred_at": occurred.isoformat(), "actor": "cli:import", "actor_role": "admin",
                   "action": str(AuditAction.IMPORT_APPLY), "subject_kind": None, "subject_code": None, "before_state": None,
                   "after_state": json.dumps({"n": number}), "source": "cli", "previous_hash": previous}
            row["hash"] = previous = event_hash(previous, row)
            rows.append({**row, "occurred_at": occurred})
        await writer.insert_many("audit_event", rows)
    await as_intruder(settings, ("UPDATE audit_chain SET keyed_from = ?", (ids[-1] + 1,)))
    await import_document(engine, encode(document()), MARIEKE)

    code, out, err = await verify(settings)
    assert code == 0, err
    chain = await events(engine)
    assert f"audit chain intact: {len(chain)} events ({len(chain) - 3} keyed)" in out

    async with open_session(settings) as session:
        anchor_file, _ = await imported_with_anchor(session, tmp_path)
    # Moving the start past the end would let plain SHA-256 hashes pass again: the anchor names the start.
    await as_intruder(settings, ("UPDATE audit_chain SET keyed_from = 1000000", ()))
    code, _, err = await verify(settings, "--anchor", str(anchor_file))
    assert code == 1 and "the start marker was moved" in err, err


async def test_each_open_data_snapshot_carries_the_anchor_and_the_key_file_is_the_owners_only(session: ApiSession, tmp_path: Path) -> None:
    await import_document(session.engine, encode(document()), MARIEKE)
    registry_json = (await session.http.get("/open-data/registry.json")).json()
    published = (await session.http.get("/open-data/audit-anchor.json")).json()
    assert registry_json["audit_anchor"]["hash"] == published["hash"] and registry_json["audit_anchor"]["events"] == published["events"]
    manifest = await export(session.engine, tmp_path / "export", anchor_signer=("http://registry.test", session.api.keys.sign_compact))
    assert manifest.audit_anchor is not None and manifest.audit_anchor["events"] == published["events"]

    # By default the key lives beside the signing keys, created 0600 like them.
    settings = Settings(database_url=session.api.settings.database_url, data_dir=tmp_path / "elsewhere")
    async with open_session(settings):
        key_file = tmp_path / "elsewhere" / "audit-chain-key.json"
        assert settings.chain_key_file == key_file and stat.S_IMODE(key_file.stat().st_mode) == 0o600


async def test_design_versions_and_changed_qualifications_keep_their_rows_sealed(settings: Settings, engine: Any) -> None:
    # A design appended on its own moves the programme's columns: its event seals the programme row as it ends up.
    await import_document(engine, encode(Q_SETUP), MARIEKE)
    await import_document(engine, encode(VERSION_2), MARIEKE)
    await import_document(engine, encode({"qualifications": [{"coach": "C-Q", "training": "T-Q", "completed_on": "2023-06-01"}]}), MARIEKE)
    code, out, err = await verify(settings)
    assert code == 0, err
    async with reading(engine) as reader:
        programme = await reader.fetch_row("SELECT id, sessions FROM programme WHERE code = 'Q'")
    assert programme["sessions"] == 8
    await as_intruder(settings, ("UPDATE programme SET sessions = 12 WHERE id = ?", (programme["id"],)))
    code, _, err = await verify(settings)
    assert code == 1 and f"programme row {programme['id']} differs" in err, err
