"""The live verification index follows the database: small changes piece by piece, a big import by a full rebuild."""

from __future__ import annotations

import asyncio
from typing import Any

from registry.services.imports.plan import import_document
from registry.services.verification.index import VerificationIndex
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, encode


async def test_a_change_too_big_to_follow_piece_by_piece_is_taken_in_by_a_full_rebuild(engine: Any) -> None:
    index = VerificationIndex(engine, poll_seconds=60, full_rebuild_after=3)  # the poller stays out of the way
    await index.start()
    try:
        assert index.snapshot.coaches == {}
        await import_document(engine, encode(BASE_DOCUMENT), OPERATOR)  # well over 3 audit events
        await index.catch_up()
        for _ in range(100):
            if "C-000123" in index.snapshot.coaches:
                break
            await asyncio.sleep(0.05)
        assert "C-000123" in index.snapshot.coaches and "P-000045" in index.snapshot.programmes
        assert index.snapshot.data_version > 0
    finally:
        await index.stop()
