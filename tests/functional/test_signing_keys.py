"""The signing key file: instances starting together on an empty data directory all use one key."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from registry.services.verification.signing import KeyRing


def _start(path: str, kids: "multiprocessing.Queue[str]") -> None:
    kids.put(KeyRing.load_or_create(Path(path)).keys[0].kid)


def test_instances_starting_at_once_share_one_new_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")  # started within milliseconds of each other, as a race needs
    for attempt in range(5):
        path = tmp_path / str(attempt) / "signing-keys.json"
        kids = context.Queue()
        starters = [context.Process(target=_start, args=(str(path), kids)) for _ in range(6)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join(timeout=60)
        assert len({kids.get(timeout=10) for _ in starters}) == 1
        assert KeyRing.load(path).keys[0].kid == KeyRing.load_or_create(path).keys[0].kid
        assert [p.name for p in path.parent.iterdir()] == ["signing-keys.json"]  # no temporary file left behind
