"""Write the AT Protocol wire format: DAG-CBOR with CID links, CIDs, CAR v1, subscribeRepos frames.

libipld decodes all of these but cannot encode a CID link (CBOR tag 42), so this small encoder
exists to *produce* real frames: for the local relay in the tests, for synthetic captures in the
benchmark and for tools. It is not on the ingest hot path (decoding is libipld's, in Rust).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Any

import libipld

_DAG_CBOR_CODEC = 0x71
_SHA256 = 0x12


@dataclass(frozen=True, slots=True)
class Link:
    """A CID link: `cid` is the CID's binary form (version 1: 0x01, codec, multihash)."""

    cid: bytes

    @classmethod
    def parse(cls, text: str) -> Link:
        decoded = libipld.decode_cid(text)
        digest = decoded["hash"]["digest"]
        return cls(
            _varint(decoded["version"])
            + _varint(decoded["codec"])
            + _varint(decoded["hash"]["code"])
            + _varint(len(digest))
            + digest
        )

    def __str__(self) -> str:
        return libipld.encode_cid(self.cid)


def cid_of(block: bytes) -> bytes:
    """CIDv1 (dag-cbor, sha2-256) of an encoded block, in binary form."""
    return bytes((0x01, _DAG_CBOR_CODEC, _SHA256, 32)) + hashlib.sha256(block).digest()


def encode(value: Any) -> bytes:
    """Canonical DAG-CBOR: shortest lengths, map keys sorted by length then bytes, no floats."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def car_v1(roots: list[bytes], blocks: list[bytes]) -> bytes:
    """A CAR v1 file holding `blocks` (each stored under its own CID)."""
    header = encode({"version": 1, "roots": [Link(root) for root in roots]})
    out = bytearray(_varint(len(header)) + header)
    for block in blocks:
        cid = cid_of(block)
        out += _varint(len(cid) + len(block)) + cid + block
    return bytes(out)


def frame(kind: str, body: dict[str, Any]) -> bytes:
    """One subscribeRepos message frame: header {op: 1, t: kind} then the body."""
    return encode({"op": 1, "t": kind}) + encode(body)


def error_frame(error: str, message: str | None = None) -> bytes:
    body: dict[str, Any] = {"error": error}
    if message is not None:
        body["message"] = message
    return encode({"op": -1}) + encode(body)


def from_json(value: Any) -> Any:
    """The atproto JSON form (`{"$bytes": b64}`, `{"$link": cid}`) as encodable values."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            text = value["$bytes"]
            return base64.b64decode(text + "=" * (-len(text) % 4))
        if set(value) == {"$link"}:
            return Link.parse(value["$link"])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _head(major: int, length: int, out: bytearray) -> None:
    if length < 24:
        out.append(major << 5 | length)
    elif length < 0x100:
        out += struct.pack(">BB", major << 5 | 24, length)
    elif length < 0x10000:
        out += struct.pack(">BH", major << 5 | 25, length)
    elif length < 0x100000000:
        out += struct.pack(">BI", major << 5 | 26, length)
    else:
        out += struct.pack(">BQ", major << 5 | 27, length)


def _encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if value >= 0:
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif isinstance(value, bytes | bytearray):
        _head(2, len(value), out)
        out += value
    elif isinstance(value, str):
        data = value.encode()
        _head(3, len(data), out)
        out += data
    elif isinstance(value, list | tuple):
        _head(4, len(value), out)
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        keys = sorted((key.encode(), key) for key in value)
        keys.sort(key=lambda pair: (len(pair[0]), pair[0]))
        _head(5, len(keys), out)
        for data, key in keys:
            _head(3, len(data), out)
            out += data
            _encode(value[key], out)
    elif isinstance(value, Link):
        out.append(0xD8)  # tag 42, one-byte argument
        out.append(42)
        _head(2, len(value.cid) + 1, out)
        out.append(0)  # the multibase identity prefix DAG-CBOR requires
        out += value.cid
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as DAG-CBOR")
