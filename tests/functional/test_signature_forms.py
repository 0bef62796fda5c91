"""Tokens and receipts in one form only: low-S ECDSA and canonical base64url, so a string is a unique name."""

from __future__ import annotations

import base64

from joserfc import jws
from joserfc.jwk import KeySet

from registry.services.verification.signing import P256_ORDER, b64url
from tests.functional.api_client import ApiSession


def _split(compact: str) -> tuple[str, int, int]:
    head, encoded = compact.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return head, int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


def _high_s(compact: str) -> str:
    head, r, s = _split(compact)
    return f"{head}.{b64url(r.to_bytes(32, 'big') + (P256_ORDER - s).to_bytes(32, 'big'))}"


def _other_spare_bits(compact: str) -> str:
    # 64 bytes fill 85 characters and 2 bits of the 86th: its 4 spare bits change the string, not the bytes.
    last = compact[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return compact[:-1] + alphabet[alphabet.index(last) ^ 1]


async def _verify(session: ApiSession, headers: dict[str, str]) -> int:
    claim = {"programme_code": "P-NONE", "coach_registration_number": "C-NONE", "service_date": "2026-03-01"}
    return (await session.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code


async def test_every_issued_token_and_receipt_has_a_low_s(session: ApiSession) -> None:
    headers = await session.bearer()
    claims = [{"programme_code": "P-NONE", "coach_registration_number": "C-NONE", "service_date": "2026-03-01"}] * 60
    answer = await session.http.post("/api/v1/verifications/batch", json={"items": claims}, headers=headers)
    receipts = [result["receipt"] for result in answer.json()["results"]]
    tokens = [await session.token_for(*await session.new_client(f"Client {number}")) for number in range(20)]
    for compact in receipts + tokens:
        assert _split(compact)[2] <= P256_ORDER // 2


async def test_a_token_in_another_signature_form_is_refused(session: ApiSession) -> None:
    token = (await session.bearer())["Authorization"].removeprefix("Bearer ")
    jwks = KeySet.import_key_set((await session.http.get("/.well-known/jwks.json")).json())
    high_s = _high_s(token)
    # The other forms verify as signatures: only the registry's own rule refuses them.
    jws.deserialize_compact(high_s, jwks, algorithms=["ES256"])
    for other in (high_s, _other_spare_bits(token)):
        assert other != token
        assert await _verify(session, {"Authorization": f"Bearer {other}"}) == 401
    assert await _verify(session, {"Authorization": f"Bearer {token}"}) == 200
