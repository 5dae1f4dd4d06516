"""A websocket feed that survives weeks: reconnects with backoff, detects stalls, stops on request.

The feed is a plain iterator of messages (bytes or str), with `None` yielded on every quiet
tick so the consumer can flush on time and check its own limits. It uses websockets' threaded
client on purpose: its background thread keeps reading and answering pings while the consumer
spends a second in a Delta commit, which an asyncio loop blocked by that commit would not.

The cursor is the caller's: `cursor()` is asked before every (re)connect, so a reconnect
resumes right after the last event the consumer saw.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect

from trendlake.ingest import logs
from trendlake.ingest.backoff import Backoff
from trendlake.ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)

Message = bytes | str


@dataclass
class FeedOptions:
    recv_timeout: float = 30.0  # no frame for this long on an open socket: it is stalled
    idle_exit: float | None = None  # no frame for this long (connected or not): stop
    tick: float = 0.5  # how often the consumer gets a None to flush and check limits
    open_timeout: float = 10.0
    max_size: int = 32 * 1024 * 1024  # relay frames are at most a few MB
    max_queue: int = 4096
    close_timeout: float = 1.0


class WebSocketFeed:
    """Messages from `url_for(cursor())`, across reconnects, until stopped or idle."""

    def __init__(
        self,
        url_for: Callable[[int | None], str],
        cursor: Callable[[], int | None],
        *,
        metrics: IngestMetrics,
        stop: threading.Event,
        options: FeedOptions | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.url_for = url_for
        self.cursor = cursor
        self.metrics = metrics
        self.stop = stop
        self.options = options or FeedOptions()
        self.backoff = backoff or Backoff()
        self.connections = 0
        self.idle_exited = False
        self._last_progress = time.monotonic()

    def mark_progress(self) -> None:
        """The consumer saw a new position: the stream is not idle (replays do not count)."""
        self._last_progress = time.monotonic()

    def __iter__(self) -> Iterator[Message | None]:
        self._last_progress = time.monotonic()  # idle is measured across reconnects
        while not self.stop.is_set() and not self._idle():
            with ExitStack() as stack:
                ws = self._connect(stack)
                if ws is not None:
                    reconnect = yield from self._receive(ws)
                    if not reconnect:  # stopped or idle: done
                        return
            self._sleep(self.backoff.next_delay())

    def _receive(self, ws: ClientConnection) -> Generator[Message | None, None, bool]:
        """Messages of one connection; returns True to reconnect, False to stop."""
        options = self.options
        healthy = False
        last_message = time.monotonic()
        try:
            while not self.stop.is_set():
                try:
                    message = ws.recv(timeout=options.tick)
                except TimeoutError:
                    if self._idle():
                        return False
                    if time.monotonic() - last_message > options.recv_timeout:
                        self.metrics.stalls.labels(self.metrics.source).inc()
                        log.warning(
                            "receive timeout: no frame for %.1fs, reconnecting",
                            options.recv_timeout,
                        )
                        return True
                    yield None
                    continue
                last_message = time.monotonic()
                if not healthy:
                    healthy = True
                    self.backoff.reset()
                yield message
        except ConnectionClosed as exc:
            log.warning(
                "connection closed by the server",
                extra={"code": exc.rcvd.code if exc.rcvd else None},
            )
            return True
        finally:
            logs.conn_id.set(None)
        return False

    def _connect(self, stack: ExitStack) -> ClientConnection | None:
        cursor = self.cursor()
        url = self.url_for(cursor)
        if self.connections:
            self.metrics.reconnects.labels(self.metrics.source).inc()
        self.connections += 1
        logs.conn_id.set(logs.new_id())
        try:
            ws = stack.enter_context(
                connect(
                    url,
                    open_timeout=self.options.open_timeout,
                    max_size=self.options.max_size,
                    compression=None,  # relays do not deflate; skipping it saves CPU
                    # Room for a surge's frames while a Delta commit holds the consumer: the
                    # reader thread keeps draining the socket instead of pausing at 16.
                    max_queue=self.options.max_queue,
                    # On stop, buffered frames can hide the server's close reply; waiting the
                    # default 10 s for it gains nothing.
                    close_timeout=self.options.close_timeout,
                    user_agent_header="trendlake",
                    legacy=False,
                )
            )
        except (
            OSError,
            WebSocketException,
            TimeoutError,
        ) as exc:  # refused, DNS, TLS, HTTP 4xx/5xx
            log.warning("cannot connect", extra={"url": url, "error": str(exc)})
            logs.conn_id.set(None)
            return None
        log.info("connected", extra={"url": url, "cursor": cursor})
        return ws

    def _idle(self) -> bool:
        idle_exit = self.options.idle_exit
        if idle_exit is not None and time.monotonic() - self._last_progress >= idle_exit:
            log.info("no frame for %.1fs: stopping (--idle-exit)", idle_exit)
            self.idle_exited = True
            return True
        return False

    def _sleep(self, delay: float) -> None:
        """Wait before reconnecting, but never past a stop request or the idle deadline."""
        if self.stop.is_set():
            return
        idle_exit = self.options.idle_exit
        if idle_exit is not None:
            delay = min(delay, max(0.0, self._last_progress + idle_exit - time.monotonic()))
        log.info("reconnecting in %.2fs", delay)
        self.stop.wait(delay)
