"""Decisions and audit events cannot be changed or removed, not even with SQL behind the code's back."""

from __future__ import annotations

from typing import Any

import pytest

from registry.services.imports.plan import import_document
from registry.services.sql import writing
from tests.functional.helpers import OPERATOR, document, encode, snapshot

STATEMENTS = [
    "UPDATE decision SET starts_on = '2019-01-01'",
    "UPDATE decision SET reason = 'changed' WHERE id = 1",
    "DELETE FROM decision WHERE id = 1",
    "DELETE FROM decision",
    "UPDATE audit_event SET actor = 'someone else'",
    "DELETE FROM audit_event WHERE id = 1",
]


@pytest.mark.parametrize("statement", STATEMENTS)
async def test_direct_sql_cannot_update_or_delete(engine: Any, statement: str) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    before = await snapshot(engine)
    with pytest.raises(Exception, match="append-only"):
        async with writing(engine) as writer:
            await writer.execute(statement)
    assert await snapshot(engine) == before


async def test_truncate_is_refused_on_postgresql(engine: Any) -> None:
    if engine.engine_type == "sqlite":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    await import_document(engine, encode(document()), OPERATOR)
    before = await snapshot(engine)
    for table in ("decision", "audit_event"):
        with pytest.raises(Exception, match="append-only"):
            async with writing(engine) as writer:
                await writer.execute(f"TRUNCATE {table} CASCADE")
    assert await snapshot(engine) == before
