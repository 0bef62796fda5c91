"""Receipts signed off the event loop: single answers that arrive together are signed as one group on a worker thread."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Callable

# OpenSSL releases the GIL while it signs (~25 µs for ES256), so signing on a thread overlaps the event
# loop's Python work instead of following it. One thread: a second one only fights the loop for the GIL
# (10,000-claim batch: 1.17 s with two, 1.01 s with one, 1.10 s signing on the loop itself).
SIGNING_THREADS = 1

_Job = tuple[asyncio.AbstractEventLoop, list[bytes], asyncio.Future[list[str]]]


class ReceiptSigner:
    """Signs receipt payloads with the active key on worker threads, never on the event loop's own thread.

    `sign` gathers the payloads of every request that asks within one turn of the event loop and hands
    them over as one group; `sign_many` signs a batch's chunk. The threads take work from a plain queue
    and hand results back with `call_soon_threadsafe`: a hand-over costs the loop a few microseconds,
    a fraction of an executor's.
    """

    def __init__(self, sign_compact: Callable[[bytes], str], threads: int = SIGNING_THREADS):
        self._sign_compact = sign_compact
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"receipt-signer-{n}", daemon=True) for n in range(threads)]
        self._started = False
        self._waiting: list[tuple[bytes, asyncio.Future[str]]] = []

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, payloads, signed = job
            try:
                outcome: list[str] | BaseException = [self._sign_compact(payload) for payload in payloads]
            except BaseException as problem:  # handed to the waiting request, which answers 500
                outcome = problem
            try:
                loop.call_soon_threadsafe(_settle, signed, outcome)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass

    def sign_many(self, payloads: list[bytes]) -> asyncio.Future[list[str]]:
        """The compact JWS of each payload, in order, signed on a worker thread."""
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
        loop = asyncio.get_running_loop()
        signed: asyncio.Future[list[str]] = loop.create_future()
        self._jobs.put((loop, payloads, signed))
        return signed

    async def sign(self, payload: bytes) -> str:
        """The compact JWS of one payload, signed together with the others asked for in the same turn of the loop."""
        loop = asyncio.get_running_loop()
        signed: asyncio.Future[str] = loop.create_future()
        if not self._waiting:
            # After the callbacks already due in this turn: the requests they resume can still join the group.
            loop.call_soon(self._hand_over)
        self._waiting.append((payload, signed))
        return await signed

    def _hand_over(self) -> None:
        group, self._waiting = self._waiting, []
        self.sign_many([payload for payload, _ in group]).add_done_callback(lambda done: _deliver(group, done))

    def close(self) -> None:
        """Let the threads finish what they were given, then stop them."""
        if not self._started:
            return
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._started = False
        self._threads = [threading.Thread(target=self._work, name=thread.name, daemon=True) for thread in self._threads]


def _settle(signed: asyncio.Future[list[str]], outcome: list[str] | BaseException) -> None:
    if signed.done():  # cancelled while it was being signed
        return
    if isinstance(outcome, BaseException):
        signed.set_exception(outcome)
    else:
        signed.set_result(outcome)


def _deliver(group: list[tuple[bytes, asyncio.Future[str]]], done: asyncio.Future[list[str]]) -> None:
    """Each waiting request gets its own signature, or the group's failure."""
    for position, (_, signed) in enumerate(group):
        if signed.done():  # its request was cancelled (the client went away)
            continue
        if done.cancelled():
            signed.cancel()
        elif (failure := done.exception()) is not None:
            signed.set_exception(failure)
        else:
            signed.set_result(done.result()[position])
