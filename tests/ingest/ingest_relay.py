"""A local relay and Jetstream for the ingest tests, speaking the real wire formats.

Frames are built from the real AT Protocol fixtures (/work/shared/fixtures/atproto): relay
frames re-encoded from their JSON form, and post records taken byte for byte from real repo
CARs, wrapped in #commit frames whose CAR blocks hash to their CIDs.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import libipld
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from trendlake.ingest import dagcbor
from trendlake.ingest.dagcbor import Link

FIXTURES = Path("/work/shared/fixtures/atproto")
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def car_blocks(path: Path) -> Iterator[tuple[bytes, bytes]]:
    """(CID, raw block bytes) of a CAR v1 file, without re-encoding anything."""
    data = path.read_bytes()
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = value = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    header_len = varint()
    pos += header_len
    while pos < len(data):
        size = varint()
        start = pos
        cid_len = 36  # CIDv1 dag-cbor/raw + sha256: 1 + 1 + 1 + 1 + 32
        yield data[start : start + cid_len], data[start + cid_len : start + size]
        pos = start + size


def real_post_records() -> list[bytes]:
    """Raw DAG-CBOR blocks of every real post record in the fixtures (records/ and car/)."""
    records = [p.read_bytes() for p in sorted((FIXTURES / "records").glob("*.cbor"))]
    for car in sorted((FIXTURES / "car").glob("*.car")):
        for _cid, block in car_blocks(car):
            value = libipld.decode_dag_cbor(block)
            if isinstance(value, dict) and value.get("$type") == "app.bsky.feed.post":
                records.append(block)
    return records


def generated_record(n: int) -> bytes:
    return dagcbor.encode(
        {
            "$type": "app.bsky.feed.post",
            "text": f"generated post number {n} about #trendlake https://example.com/{n}",
            "langs": ["en"],
            "createdAt": (T0 + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
            "facets": [
                {
                    "index": {"byteStart": 0, "byteEnd": 9},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "trendlake"}],
                }
            ],
        }
    )


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def commit_frame(
    seq: int,
    did: str,
    ops: list[tuple[str, str, bytes | None]],
    *,
    time: datetime | None = None,
) -> bytes:
    """A #commit frame: ops are (action, path, record block or None); blocks form a CAR."""
    record_blocks = [block for _, _, block in ops if block is not None]
    rev = f"3l{seq:011d}"
    commit = dagcbor.encode(
        {
            "did": did,
            "rev": rev,
            "data": Link(dagcbor.cid_of(b"mst" + rev.encode())),
            "prev": None,
            "version": 3,
            "sig": b"\x00" * 64,
        }
    )
    commit_cid = dagcbor.cid_of(commit)
    body = {
        "seq": seq,
        "rebase": False,
        "tooBig": False,
        "repo": did,
        "commit": Link(commit_cid),
        "rev": rev,
        "since": None,
        "blocks": dagcbor.car_v1([commit_cid], [commit, *record_blocks]),
        "ops": [
            {
                "action": action,
                "path": path,
                "cid": Link(dagcbor.cid_of(block)) if block is not None else None,
            }
            for action, path, block in ops
        ],
        "blobs": [],
        "time": iso(time or T0 + timedelta(milliseconds=seq)),
    }
    return dagcbor.frame("#commit", body)


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


@dataclass
class Stream:
    """A stream of frames with known seqs and the post URIs it should land."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    posts: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)


def make_stream(count: int, *, start_seq: int = 1000, every_like: int = 4) -> Stream:
    """`count` commit frames: posts (real records first, then generated), likes, a delete
    every 25 frames, and one commit creating two posts under one seq."""
    real = real_post_records()
    stream = Stream()
    for i in range(count):
        seq = start_seq + i
        did = f"did:plc:author{i % 37:04d}"
        rkey = f"3kpost{i:07d}"
        if i % every_like == every_like - 1:
            like = dagcbor.encode({"$type": "app.bsky.feed.like", "createdAt": iso(T0)})
            frame = commit_frame(seq, did, [("create", f"app.bsky.feed.like/{rkey}", like)])
        elif i % 25 == 24:
            frame = commit_frame(seq, did, [("delete", f"app.bsky.feed.post/{rkey}", None)])
            stream.deletes.add(post_uri(did, rkey))
        elif i == 10:
            second = f"{rkey}b"
            frame = commit_frame(
                seq,
                did,
                [
                    ("create", f"app.bsky.feed.post/{rkey}", generated_record(i)),
                    ("create", f"app.bsky.feed.post/{second}", generated_record(10_000 + i)),
                ],
            )
            stream.posts |= {post_uri(did, rkey), post_uri(did, second)}
        else:
            record = real[i] if i < len(real) else generated_record(i)
            frame = commit_frame(seq, did, [("create", f"app.bsky.feed.post/{rkey}", record)])
            stream.posts.add(post_uri(did, rkey))
        stream.frames.append((seq, frame))
    return stream


def fixture_frames(name: str) -> list[bytes]:
    """The relay_frames/<name>.json messages as binary wire frames."""
    data = json.loads((FIXTURES / "relay_frames" / f"{name}.json").read_text())
    return [
        dagcbor.encode(dagcbor.from_json(m["frame"]["header"]))
        + dagcbor.encode(dagcbor.from_json(m["frame"]["body"]))
        for m in data["messages"]
    ]


def info_frame(name: str, message: str) -> bytes:
    return dagcbor.frame("#info", {"name": name, "message": message})


@dataclass
class Behaviour:
    """How the relay misbehaves. Connection numbers count from 1."""

    delay: float = 0.0  # seconds between frames
    drop_after: dict[int, int] = field(default_factory=dict)  # conn -> frames, then abort
    stall_after: dict[int, int] = field(default_factory=dict)  # conn -> frames, then silence
    inject: dict[int, bytes | str] = field(default_factory=dict)  # index -> sent before it
    on_cursor: list[bytes] = field(default_factory=list)  # sent first when a cursor is given
    on_connect: list[bytes] = field(default_factory=list)  # sent first on every connection


FIREHOSE_PATH = "/xrpc/com.atproto.sync.subscribeRepos"


class LocalRelay:
    """An asyncio websockets server on 127.0.0.1 (free port) in its own thread.

    `cursor` semantics follow the brief: the relay replays from the cursor's own event
    (seq >= cursor), so the sink's skip of already-landed positions is exercised.
    """

    def __init__(
        self,
        frames: Sequence[tuple[int, bytes | str]],
        behaviour: Behaviour | None = None,
        *,
        path: str = FIREHOSE_PATH,
        transform: Callable[[bytes | str], bytes | str] | None = None,
    ) -> None:
        self.frames = frames
        self.behaviour = behaviour or Behaviour()
        self.path = path
        self.transform = transform
        self.requests: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def cursors(self) -> list[int | None]:
        out: list[int | None] = []
        for request in self.requests:
            values = parse_qs(urlsplit(request).query).get("cursor")
            out.append(int(values[0]) if values else None)
        return out

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        async with serve(self._handle, "127.0.0.1", 0, compression=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopped.wait()
            for task in self._tasks:  # stalled handlers sleep forever otherwise
                task.cancel()

    async def _handle(self, ws: ServerConnection) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._stream(ws)
        except asyncio.CancelledError:
            ws.transport.abort()
        except ConnectionClosed:
            pass  # the client went away (killed, stopped): nothing to report

    async def _stream(self, ws: ServerConnection) -> None:
        request = ws.request.path if ws.request else ""
        self.requests.append(request)
        number = len(self.requests)
        if not request.startswith(self.path):
            await ws.close(1008, "wrong path")
            return
        values = parse_qs(urlsplit(request).query).get("cursor")
        cursor = int(values[0]) if values else None
        b = self.behaviour
        for extra in b.on_connect + (b.on_cursor if cursor is not None else []):
            await ws.send(extra)
        sent = 0
        for index, (seq, frame) in enumerate(self.frames):
            if cursor is not None and seq < cursor:
                continue
            if index in b.inject and number == 1:
                await ws.send(b.inject[index])
            if b.drop_after.get(number) == sent:
                ws.transport.abort()  # no close frame: a network failure, as the client sees it
                return
            if b.stall_after.get(number) == sent:
                await asyncio.sleep(3600)  # silent but open: only a receive timeout notices
            await ws.send(self.transform(frame) if self.transform else frame)
            sent += 1
            if b.delay:
                await asyncio.sleep(b.delay)
        await ws.wait_closed()  # caught up: stay connected and quiet, like a real relay

    def __enter__(self) -> LocalRelay:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)


@contextmanager
def relay(
    frames: Sequence[tuple[int, bytes | str]],
    behaviour: Behaviour | None = None,
    *,
    path: str = FIREHOSE_PATH,
    transform: Callable[[bytes | str], bytes | str] | None = None,
) -> Iterator[LocalRelay]:
    server = LocalRelay(frames, behaviour, path=path, transform=transform)
    with server:
        yield server
