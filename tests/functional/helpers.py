"""Shared helpers for functional tests: documents, snapshots, actors."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import time
from typing import Any

from registry.roles import Role
from registry.services.audit import Actor
from registry.services.rate_limits import WINDOW_SECONDS
from registry.services.sql import reading
from registry.services.staff import care_standard
from registry.tables import ALL_TABLES

OPERATOR = Actor("cli:test", Role.ADMIN, "cli")
EDITOR = Actor("user:editor", Role.EDITOR, "127.0.0.1")

BASE_DOCUMENT: dict[str, Any] = {
    "organisations": [
        {"code": "O-000012", "name": "Stoppen met Roken Praktijk Utrecht", "kvk_number": "12345678", "agb_code": "02345678", "city": "Utrecht"},
        {"code": "O-000020", "name": "Instituut voor Rookvrije Zorg", "city": "Zeist"},
    ],
    "trainings": [
        {"code": "T-000003", "name": "Stoppen-met-rokencoach", "organisation": "O-000020", "guidance_types": ["short", "intensive"], "formats": ["individual", "group"]},
    ],
    "programmes": [
        {"code": "P-000045", "name": "Samen Rookvrij", "organisation": "O-000012", "guidance_type": "intensive", "format": "group",
         "modes": ["on_site", "video"], "sessions": 8, "contact_minutes": 300, "cities": ["Utrecht", "Zeist"]},
    ],
    "coaches": [
        {"registration_number": "C-000123", "initials": "J.", "prefix": "de", "surname": "Vries", "agb_code": "87654321", "city": "Utrecht", "email": "j.devries@example.nl"},
    ],
    "qualifications": [{"coach": "C-000123", "training": "T-000003", "completed_on": "2024-05-17", "certificate": "AB-991"}],
    "decisions": [
        {"subject": "training", "code": "T-000003", "kind": "grant", "valid_from": "2020-01-01", "reference": "SKZ-2020-0001"},
        {"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "valid_until": "2028-08-31", "reference": "SKZ-2025-0031", "reason": "Voldoet"},
        {"subject": "coach", "code": "C-000123", "kind": "grant", "valid_from": "2024-06-01", "reference": "SKZ-2024-0100"},
        {"subject": "coach", "code": "C-000123", "kind": "suspend", "from": "2026-04-01", "until": "2026-06-30", "reference": "SKZ-2026-0102", "reason": "Onderzoek"},
    ],
}


def document(**changes: Any) -> dict[str, Any]:
    """A deep copy of the base document with whole sections replaced."""
    result = copy.deepcopy(BASE_DOCUMENT)
    result.update(changes)
    return result


def encode(value: Any) -> bytes:
    """JSON bytes as a file would hold them."""
    return json.dumps(value).encode()


async def snapshot(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to prove a refused change wrote nothing."""
    async with reading(engine) as reader:
        return {
            table._meta.tablename: await reader.fetch_all(f'SELECT * FROM "{table._meta.tablename}" ORDER BY id')
            for table in ALL_TABLES
        }


async def fresh_rate_window(needed_seconds: float = 8) -> None:
    """Rate limits count in fixed one-minute windows: start a limit test in a window with time enough left."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < needed_seconds:
        await asyncio.sleep(left + 0.2)


async def open_transition(engine: Any) -> dt.date:
    """Record the care standard's dates as an admin would, strict enforcement on 1 January ten years from today (returned):
    a test that records a transition override holds whatever today is."""
    strict_from = dt.date(dt.date.today().year + 10, 1, 1)
    await care_standard.change(engine, OPERATOR, {"in_force_from": "2026-01-01", "strict_from": strict_from.isoformat(),
                                                  "reason": "Overgangsregeling verlengd"})
    return strict_from
