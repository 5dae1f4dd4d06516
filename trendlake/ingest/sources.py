"""The live sources: how to build each one's subscribe URL and decode its messages into Frames.

Firehose: `--url` is the relay's base URL; the XRPC path and `cursor=seq` are added here.
Jetstream: `--url` is the full subscribe URL; `wantedCollections=app.bsky.feed.post` and
`cursor=time_us` are added (replacing any the user gave), other parameters are kept.

Jetstream's `compress=true` mode sends zstd frames made with a dictionary that ships with
Jetstream (pkg/models/zstd_dictionary in bluesky-social/jetstream). trendlake does not bundle
it: pass it with `--zstd-dict PATH` and compressed mode is requested. Without a dictionary,
binary messages are still decompressed as plain zstd frames (a Jetstream-compatible server that
compresses without the dictionary works), and compressed mode is only used when the URL asks
for it explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import zstandard

from trendlake.errors import DecodeError, InputError
from trendlake.ingest import jetstream
from trendlake.ingest.frames import Frame, FrameDecodeError, decode_frame
from trendlake.ingest.records import POST_COLLECTION

DEFAULT_RELAY = "wss://bsky.network"
DEFAULT_JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
SUBSCRIBE_REPOS = "/xrpc/com.atproto.sync.subscribeRepos"

Decoder = Callable[[bytes | str], Frame]


def _check_ws(url: str) -> None:
    if urlsplit(url).scheme not in ("ws", "wss"):
        raise InputError(f"--url must be a ws:// or wss:// URL, got {url!r}")


def host_of(url: str) -> str:
    """The URL's host[:port]: the cursor's app id names it (each relay has its own seq)."""
    return urlsplit(url).netloc or "unknown"


def firehose_url(base: str) -> Callable[[int | None], str]:
    _check_ws(base)
    root = base.rstrip("/")
    if root.endswith(SUBSCRIBE_REPOS):  # tolerate a full subscribe URL too
        root = root[: -len(SUBSCRIBE_REPOS)]

    def url_for(cursor: int | None) -> str:
        if cursor is None:
            return root + SUBSCRIBE_REPOS
        return f"{root}{SUBSCRIBE_REPOS}?cursor={cursor}"

    return url_for


def decode_firehose(message: bytes | str) -> Frame:
    if isinstance(message, str):
        raise FrameDecodeError("text message on a binary subscription")
    return decode_frame(message)


def jetstream_url(url: str, *, compress: bool = False) -> Callable[[int | None], str]:
    _check_ws(url)
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("cursor", "wantedCollections")]
    query.insert(0, ("wantedCollections", POST_COLLECTION))
    if compress and not any(k == "compress" for k, _ in query):
        query.append(("compress", "true"))

    def url_for(cursor: int | None) -> str:
        full = [*query, ("cursor", str(cursor))] if cursor is not None else query
        return urlunsplit(parts._replace(query=urlencode(full)))

    return url_for


class JetstreamDecoder:
    """JSON text messages, or zstd binary ones (with Jetstream's dictionary when given)."""

    def __init__(self, dictionary: Path | None = None) -> None:
        if dictionary is not None:
            if not dictionary.is_file():
                raise InputError(f"no such zstd dictionary: {dictionary}")
            data = zstandard.ZstdCompressionDict(dictionary.read_bytes())
            self._zstd = zstandard.ZstdDecompressor(dict_data=data)
        else:
            self._zstd = zstandard.ZstdDecompressor()

    def __call__(self, message: bytes | str) -> Frame:
        if isinstance(message, bytes):
            try:
                message = self._zstd.decompressobj().decompress(message)
            except zstandard.ZstdError as exc:
                raise DecodeError(f"bad zstd message: {exc}") from None
        try:
            event = orjson.loads(message)
        except orjson.JSONDecodeError:
            raise DecodeError("not valid JSON") from None
        decoded = jetstream.decode_event(event)
        kind = event.get("kind")
        return Frame(
            kind if isinstance(kind, str) else "unknown",
            decoded.position,
            decoded.position,
            [decoded],
        )
