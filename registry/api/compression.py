"""Answers over 1 KB compressed for clients that ask (`Accept-Encoding`: zstd, br or gzip), streamed answers included.

An answer that could be compressed says `Vary: Accept-Encoding` whenever the client asked for a
coding we have; to a client that asks for none the answer passes untouched (a cache may hand a
plain answer to anyone, so it needs no Vary; answers that caches keep say it themselves).

Around the whole app, so the plain-ASGI hot route, Litestar's routes, errors and streamed files
are treated alike. (Litestar's CompressionMiddleware matches `gzip` as a substring, so it
compresses for `gzip;q=0`, offers no zstd, keeps strong ETags, and runs only around Litestar's
own routes.) Big bodies are compressed on a worker thread: zlib, brotli and zstd release the GIL,
and a 15 MB batch answer would otherwise hold the event loop for a tenth of a second or more.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, Protocol

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Both are dependencies; an environment installed before they were still answers in gzip.
brotli: Any
zstandard: Any
try:
    import brotli
except ImportError:  # pragma: no cover - depends on the installation
    brotli = None
try:
    import zstandard
except ImportError:  # pragma: no cover - depends on the installation
    zstandard = None

MINIMUM_SIZE = 1024
# Past this size a body (or a streamed chunk) is compressed on a worker thread.
THREAD_SIZE = 64 * 1024
# Past this size the fastest level: a 10,000-item batch answer is mostly receipts, which do not
# compress, and the slower levels gain a few per cent for several times the time.
BIG_SIZE = 1024 * 1024
# Our preference when a client accepts several equally: zstd is the fastest at a ratio like brotli's.
PREFERENCE = ("zstd", "br", "gzip")
COMPRESSIBLE = ("application/json", "application/problem+json", "text/", "application/xml", "image/svg+xml", "application/javascript")


class Compressor(Protocol):
    """One answer's compression stream."""

    def chunk(self, data: bytes, last: bool) -> bytes:
        """The compressed bytes for `data`: flushed so the client can read them now, or the end of the stream if `last`."""
        ...


class _Gzip:
    def __init__(self, big: bool) -> None:
        self._stream = zlib.compressobj(1 if big else 6, zlib.DEFLATED, 31)

    def chunk(self, data: bytes, last: bool) -> bytes:
        return self._stream.compress(data) + self._stream.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class _Brotli:
    def __init__(self, big: bool) -> None:
        self._stream = brotli.Compressor(quality=1 if big else 4)

    def chunk(self, data: bytes, last: bool) -> bytes:
        return self._stream.process(data) + (self._stream.finish() if last else self._stream.flush())


class _Zstd:
    def __init__(self, big: bool) -> None:
        self._stream = zstandard.ZstdCompressor(level=1 if big else 3).compressobj()

    def chunk(self, data: bytes, last: bool) -> bytes:
        flush = zstandard.COMPRESSOBJ_FLUSH_FINISH if last else zstandard.COMPRESSOBJ_FLUSH_BLOCK
        return self._stream.compress(data) + self._stream.flush(flush)


COMPRESSORS: dict[str, type[_Gzip] | type[_Brotli] | type[_Zstd]] = {
    "gzip": _Gzip, **({"br": _Brotli} if brotli else {}), **({"zstd": _Zstd} if zstandard else {}),
}


def choose(accept_encoding: str) -> str | None:
    """The coding to answer in: the client's highest q among those we have (ours first on a tie), or None."""
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    weight = float(parameter[2:])
                except ValueError:
                    weight = 0.0
        if name:
            weights[name] = weight
    best, best_weight = None, 0.0
    for name in PREFERENCE:
        if name not in COMPRESSORS:
            continue
        weight = weights.get(name, weights.get("*", 0.0))
        if weight > best_weight:
            best, best_weight = name, weight
    return best


def _compressible(headers: MutableScopeHeaders) -> bool:
    media_type = headers.get("content-type", "").lower()
    return media_type.startswith(COMPRESSIBLE)


def _add_vary(headers: MutableScopeHeaders) -> None:
    vary = headers.get("vary", "")
    if "accept-encoding" not in vary.lower():
        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


async def _run(compressor: Compressor, data: bytes, last: bool) -> bytes:
    if len(data) < THREAD_SIZE:
        return compressor.chunk(data, last)
    return await asyncio.get_running_loop().run_in_executor(None, compressor.chunk, data, last)


class CompressionMiddleware:
    """Compresses compressible answers of 1 KB or more (and every streamed one) in the coding the client prefers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept, ranged = "", False
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value.decode("latin-1")
            elif name == b"range":
                ranged = True
        coding = None if ranged or scope.get("method") == "HEAD" else choose(accept)
        if coding is None:  # nothing to do: the answer passes untouched (and the hot path pays nothing)
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        compressor: Compressor | None = None
        decided = False

        async def compressing(message: Message) -> None:
            nonlocal held, compressor, decided
            if message["type"] == "http.response.start":
                held = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            if decided:
                if compressor is not None:
                    more = message.get("more_body", False)
                    message["body"] = await _run(compressor, message.get("body", b""), not more)
                await send(message)
                return
            decided = True
            start, held = held, None
            if start is None:  # a body without a start is not ours to judge
                await send(message)
                return
            compressor = await self._decide(start, message, coding)
            await send(start)
            await send(message)

        await self.app(scope, receive, compressing)

    @staticmethod
    async def _decide(start: Any, first: Any, coding: str) -> Compressor | None:
        """Judge the answer by its start and first body: compress it (rewriting both) or let it pass."""
        headers = MutableScopeHeaders.from_message(start)
        if start["status"] in (204, 304) or "content-encoding" in headers or not _compressible(headers):
            return None
        _add_vary(headers)
        body: bytes = first.get("body", b"")
        more: bool = first.get("more_body", False)
        if "no-transform" in headers.get("cache-control", "").lower() or (not more and len(body) < MINIMUM_SIZE):
            return None
        compressor: Compressor = COMPRESSORS[coding](big=len(body) >= BIG_SIZE)
        headers["content-encoding"] = coding
        etag = headers.get("etag")
        if etag and not etag.startswith("W/"):
            headers["etag"] = f"W/{etag}"  # a strong tag names one exact byte sequence; the compressed one is another
        for name in ("content-length", "accept-ranges"):
            if name in headers:
                del headers[name]
        first["body"] = await _run(compressor, body, not more)
        if not more:
            headers["content-length"] = str(len(first["body"]))
        return compressor


def etag_matches(etag: str, if_none_match: str) -> bool:
    """If-None-Match by weak comparison (RFC 9110 13.1.2), so the tag weakened on a compressed answer still matches."""
    if if_none_match.strip() == "*":
        return True
    return etag.removeprefix("W/") in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
