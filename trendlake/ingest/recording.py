"""The raw frames capture that `trendlake record` writes and `--format frames` replays.

Format (version 1), chosen so a capture is the relay's bytes, untouched:

    magic   b"TRENDLAKE-FRAMES/1\\n"                      (19 bytes)
    frame*  uint32 big-endian length N, then N bytes    (one websocket binary message each)

A capture cut short by a kill ends in a partial frame; readers stop before it with a warning
instead of failing, because everything before it is intact.
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from trendlake.errors import InputError
from trendlake.ingest.files import require_file

MAGIC = b"TRENDLAKE-FRAMES/1\n"
_LENGTH = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # far above the relay's limits: a larger length means corruption

log = logging.getLogger(__name__)


class FrameWriter:
    """Appends frames to a capture file (a new file gets the magic first).

    An existing capture is first cut back to its last whole frame: a writer killed mid-frame
    leaves a partial tail, and appending after it would corrupt every frame that follows.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise InputError(f"{path} is a directory: give the capture file to write")
        try:
            self._handle = self._open(path)
        except OSError as exc:  # a missing permission, a full disk: one line, not a trace
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        self.frames = 0
        self.bytes = 0

    @staticmethod
    def _open(path: Path) -> BinaryIO:
        if path.exists() and path.stat().st_size > 0:
            with path.open("r+b") as existing:
                existing.truncate(_whole_frames_end(existing, path))
            return path.open("ab")
        path.parent.mkdir(parents=True, exist_ok=True)  # as synth --out does
        handle = path.open("wb")
        handle.write(MAGIC)
        return handle

    def write(self, data: bytes) -> None:
        self._handle.write(_LENGTH.pack(len(data)) + data)
        self.frames += 1
        self.bytes += len(data)

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def _whole_frames_end(handle: BinaryIO, path: Path) -> int:
    """Offset just past the last complete frame, skipping over frames without reading them."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise InputError(f"{path} is not a trendlake frames capture (bad magic)")
    size = path.stat().st_size
    end = len(MAGIC)
    while end + _LENGTH.size <= size:
        handle.seek(end)
        (length,) = _LENGTH.unpack(handle.read(_LENGTH.size))
        if length > MAX_FRAME or end + _LENGTH.size + length > size:
            break
        end += _LENGTH.size + length
    return end


def read_frames(path: Path) -> Iterator[bytes]:
    """The frames of a capture, in order."""
    require_file(path)
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise InputError(f"{path} is not a trendlake frames capture (bad magic)")
        while True:
            head = handle.read(_LENGTH.size)
            if not head:
                return
            if len(head) < _LENGTH.size:
                log.warning("capture %s ends in a partial length; stopping there", path.name)
                return
            (length,) = _LENGTH.unpack(head)
            if length > MAX_FRAME:
                raise InputError(f"{path}: frame length {length} is corrupt")
            data = handle.read(length)
            if len(data) < length:
                log.warning("capture %s ends in a partial frame; stopping there", path.name)
                return
            yield data


def last_seq(path: Path) -> int | None:
    """Highest seq near the end of an existing capture, so `record` resumes appending to it.

    Only the last frames are decoded (the relay's seq grows), so resuming a large capture
    costs a scan of its length prefixes, not a decode of every frame.
    """
    from trendlake.ingest.frames import FrameDecodeError, decode_frame

    if not path.is_file() or path.stat().st_size == 0:
        return None
    tail: deque[bytes] = deque(maxlen=64)  # enough to get past trailing #info frames
    tail.extend(read_frames(path))
    for data in reversed(tail):
        try:
            seq = decode_frame(data).seq
        except FrameDecodeError:
            continue
        if seq is not None:
            return seq
    return None
