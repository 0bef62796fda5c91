"""Signing keys published ahead: a rotated-in key is in the JWKS before it signs, and takes over on time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from joserfc import jws
from joserfc.jwk import KeySet

from registry.services.verification.signing import JWKS_MAX_AGE, KEY_LEAD_SECONDS, KeyRing, new_key

START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    """A clock the test moves."""

    def __init__(self, moment: dt.datetime):
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def kid_of(compact: str) -> str:
    return jws.extract_compact(compact.encode()).protected["kid"]


def test_a_new_key_is_published_the_jwks_lifetime_before_it_signs() -> None:
    assert KEY_LEAD_SECONDS >= JWKS_MAX_AGE
    clock = Clock(START)
    ring = KeyRing([new_key(START - dt.timedelta(days=30))], clock=clock)
    old = ring.active.kid
    rotated = ring.rotated(START)
    new = rotated.upcoming
    assert new is not None and new.kid != old
    cached = KeySet.import_key_set(rotated.jwks())  # what a client fetches right after the rotation, and keeps
    assert {key["kid"] for key in rotated.jwks()["keys"]} == {old, new.kid}
    clock.advance(KEY_LEAD_SECONDS - 1)
    assert kid_of(rotated.sign_compact(b"{}")) == old, "the new key does not sign while clients may hold a key set without it"
    clock.advance(1)
    receipt = rotated.sign_compact(b'{"n": 1}')
    assert kid_of(receipt) == new.kid and rotated.active.kid == new.kid and rotated.upcoming is None
    assert json.loads(jws.deserialize_compact(receipt, cached, algorithms=["ES256"]).payload) == {"n": 1}


def test_a_second_rotation_before_the_first_signs_replaces_it(tmp_path: Path) -> None:
    clock = Clock(START)
    first = KeyRing([new_key(START - dt.timedelta(days=30))], clock=clock)
    pending = first.rotated(START, lead_seconds=600)
    clock.advance(60)
    again = pending.rotated(START + dt.timedelta(seconds=60), lead_seconds=600)
    assert again.upcoming is not None and again.upcoming.kid == again.keys[-1].kid
    again.save(tmp_path / "keys.json")
    reloaded = KeyRing.load(tmp_path / "keys.json")
    reloaded.clock = clock
    clock.advance(600)
    assert reloaded.active.kid == again.keys[-1].kid, "the key of the first rotation never signs"
    assert len(reloaded.jwks()["keys"]) == 3


def test_a_key_file_from_before_keys_were_published_ahead_still_loads(tmp_path: Path) -> None:
    ring = KeyRing([new_key(START)])
    document = {"keys": [{key: value for key, value in entry.items() if key != "signs_from"} for entry in json.loads(
        json.dumps({"keys": [key.stored() for key in ring.keys]}))["keys"]]}
    (tmp_path / "keys.json").write_text(json.dumps(document))
    assert KeyRing.load(tmp_path / "keys.json").active.kid == ring.active.kid
