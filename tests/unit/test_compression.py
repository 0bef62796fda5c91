"""The compression middleware on its own: the coding a client's Accept-Encoding chooses, streamed answers flushed chunk by chunk."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from registry.api.compression import CompressionMiddleware, choose, etag_matches


@pytest.mark.parametrize("asked, coding", [
    ("", None), ("gzip", "gzip"), ("GZIP", "gzip"), ("gzip;q=0", None), ("br;q=0.9, gzip", "gzip"), ("gzip, br, zstd", "zstd"),
    ("zstd;q=0.5, br;q=0.5, gzip;q=0.5", "zstd"), ("*", "zstd"), ("*, zstd;q=0", "br"), ("gzip;q=nonsense", None), ("compress", None),
])
def test_the_client_chooses(asked: str, coding: str | None) -> None:
    assert choose(asked) == coding


def test_if_none_match_compares_weakly() -> None:
    assert etag_matches('"a"', 'W/"a"') and etag_matches('W/"a"', '"b", "a"') and etag_matches('"a"', "*")
    assert not etag_matches('"a"', '"b"')


async def test_a_streamed_answer_is_compressed_and_each_chunk_flushed() -> None:
    chunks = [b"coach;city\n" + b"C-000001;Zeist\n" * 40, b"C-000002;Utrecht\n" * 40, b""]

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv; charset=utf-8")]})
        for number, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": number < len(chunks) - 1})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/open-data/coaches.csv", "headers": [(b"accept-encoding", b"gzip")]}
    await CompressionMiddleware(streaming)(scope, None, send)  # pyright: ignore[reportArgumentType]
    start, *bodies = sent
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"gzip" and b"content-length" not in headers and headers[b"vary"] == b"Accept-Encoding"
    reader = zlib.decompressobj(31)
    assert reader.decompress(bodies[0]["body"]) == chunks[0], "the first chunk reaches the client before the rest is written"
    assert reader.decompress(b"".join(body["body"] for body in bodies[1:])) == b"".join(chunks[1:])
    assert reader.eof and bodies[-1]["more_body"] is False
