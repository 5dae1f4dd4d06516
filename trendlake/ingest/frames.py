"""Decode `com.atproto.sync.subscribeRepos` frames (DAG-CBOR header + body, CAR blocks) into rows.

Pure functions over bytes, so the live relay, a recorded capture and the benchmark share one
decoder. libipld (Rust) does the CBOR and CAR work; the atproto SDK's pydantic models are not
used on this path because they cost several times more per frame (see benchmarks/bench_ingest.py).

Every failure is a FrameDecodeError: the caller counts the frame, logs it and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import libipld

from trendlake.errors import DecodeError
from trendlake.ingest.events import Decoded
from trendlake.ingest.records import POST_COLLECTION, delete_row, post_row

SOURCE = "firehose"
_POST_PREFIX = POST_COLLECTION + "/"
_KNOWN = frozenset({"#commit", "#identity", "#account", "#sync", "#info", "#handle", "#tombstone"})


class FrameDecodeError(DecodeError):
    """A frame that is not valid DAG-CBOR or not a valid subscribeRepos message."""


@dataclass(slots=True)
class Frame:
    """One decoded frame.

    `type` is the header's `t` (`#commit`, `#identity`, ...), or `error` for an error frame.
    `seq` is the relay's sequence number (None for #info and errors). `events` holds what the
    sink needs: one Decoded per post create/delete, or one `other` event that just advances
    the cursor. `name`/`message` carry #info and error frames' contents.
    """

    type: str
    seq: int | None = None
    time_us: int | None = None
    events: list[Decoded] = field(default_factory=list)
    name: str | None = None
    message: str | None = None
    missing_records: int = 0


def decode_frame(data: bytes) -> Frame:
    """Decode one binary frame; raise FrameDecodeError when it cannot be understood."""
    try:
        parts = libipld.decode_dag_cbor_multi(data)
    except (ValueError, RecursionError) as exc:
        raise FrameDecodeError(f"not DAG-CBOR: {exc}") from None
    if len(parts) != 2 or not isinstance(parts[0], dict) or not isinstance(parts[1], dict):
        raise FrameDecodeError(f"expected a header and a body, got {len(parts)} parts")
    header, body = parts
    op = header.get("op")
    if op == -1:
        return Frame("error", name=_str(body.get("error")), message=_str(body.get("message")))
    if op != 1:
        raise FrameDecodeError(f"unknown frame op {op!r}")
    kind = header.get("t")
    if not isinstance(kind, str):
        raise FrameDecodeError("message frame without a type")
    if kind == "#commit":
        return _commit(body)
    if kind == "#info":
        return Frame(kind, name=_str(body.get("name")), message=_str(body.get("message")))
    seq = body.get("seq")
    if kind not in _KNOWN or not isinstance(seq, int):
        return Frame(kind)  # a type from a newer lexicon: ignored, no cursor to advance
    time_us = _time_us(body.get("time"))
    return Frame(kind, seq, time_us, [Decoded("other", seq)])


def _commit(body: dict[str, Any]) -> Frame:
    seq, repo, ops = body.get("seq"), body.get("repo"), body.get("ops")
    if not isinstance(seq, int) or not isinstance(repo, str) or not isinstance(ops, list):
        raise FrameDecodeError("#commit without seq, repo or ops")
    time_us = _time_us(body.get("time"))
    frame = Frame("#commit", seq, time_us)
    creates: list[tuple[str, bytes]] = []
    for op in ops:
        path = op.get("path") if isinstance(op, dict) else None
        if not isinstance(path, str) or not path.startswith(_POST_PREFIX):
            continue
        rkey = path[len(_POST_PREFIX) :]
        action = op.get("action")
        if action == "create":
            cid = op.get("cid")
            if isinstance(cid, bytes):
                creates.append((rkey, cid))
            else:
                frame.missing_records += 1
        elif action == "delete":
            row = delete_row(did=repo, rkey=rkey, event_time_us=time_us, seq=seq, source=SOURCE)
            frame.events.append(Decoded("delete", seq, row))
    if creates:  # only frames with a post pay for reading the CAR
        records = _records(body.get("blocks"), {cid for _, cid in creates})
        for rkey, cid in creates:
            record = records.get(cid)
            if not isinstance(record, dict):
                frame.missing_records += 1  # tooBig commits or a relay that trimmed blocks
                continue
            row = post_row(
                did=repo,
                rkey=rkey,
                cid=libipld.encode_cid(cid),
                record=record,
                event_time_us=time_us,
                seq=seq,
                source=SOURCE,
            )
            frame.events.append(Decoded("post", seq, row))
    if not frame.events:
        frame.events.append(Decoded("other", seq))  # advances the cursor past this commit
    return frame


def _records(car: object, wanted: set[bytes]) -> dict[bytes, Any]:
    """Decode only the wanted blocks of a CAR v1 file.

    A commit's CAR also holds the signed commit and the MST nodes on the path to the record;
    skipping them instead of decoding every block (libipld.decode_car) measured ~3x faster on
    the CAR step (4.7 vs 15 µs per frame), which is most of the firehose decode time. Each
    section is varint(length) + CID + block, so a wanted CID is a prefix match.
    """
    if not isinstance(car, bytes):
        raise FrameDecodeError("#commit without CAR blocks")
    found: dict[bytes, Any] = {}
    end = len(car)
    try:
        size, pos = _varint(car, 0)
        pos += size
        if pos > end:
            raise FrameDecodeError("CAR header runs past the end")
        while pos < end and len(found) < len(wanted):
            size, pos = _varint(car, pos)
            stop = pos + size
            if stop > end:
                raise FrameDecodeError("CAR block runs past the end")
            for cid in wanted:
                if car.startswith(cid, pos):
                    found[cid] = libipld.decode_dag_cbor(car[pos + len(cid) : stop])
                    break
            pos = stop
    except IndexError:
        raise FrameDecodeError("truncated CAR") from None
    except (ValueError, RecursionError) as exc:
        raise FrameDecodeError(f"bad record block: {exc}") from None
    return found


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:  # lengths under 128: one byte
        return byte, pos + 1
    value, shift = byte & 0x7F, 7
    while True:
        pos += 1
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + 1
        shift += 7
        if shift > 63:
            raise FrameDecodeError("varint too long")


def _time_us(value: object) -> int:
    """Relay time as integer microseconds (exact: no float rounding)."""
    if not isinstance(value, str):
        raise FrameDecodeError("frame without a time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FrameDecodeError(f"bad frame time {value!r}") from None
    if moment.tzinfo is None:
        raise FrameDecodeError(f"frame time without a zone {value!r}")
    delta = moment - _UTC_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


_UTC_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
