"""Recorded streams on disk: Jetstream JSONL, plain or compressed (.gz, .zst)."""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson
import zstandard

from trendlake.errors import DecodeError, InputError
from trendlake.ingest.events import Decoded
from trendlake.ingest.jetstream import decode_event

log = logging.getLogger(__name__)

BadLine = Callable[[int, str], None]


def require_file(path: Path) -> None:
    """Refuse, in one line, a path that is not a readable file."""
    if path.is_dir():
        raise InputError(f"{path} is a directory: give the recorded file in it")
    if path.exists() and not path.is_file():
        raise InputError(f"{path} is not a regular file (a pipe or device): save the stream first")
    if not path.is_file():
        raise InputError(f"no such file: {path}")


def open_binary(path: Path) -> BinaryIO:
    """Open a recorded file for reading lines, decompressing by its suffix."""
    require_file(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if path.suffix == ".zst":
        raw = path.open("rb")
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader)
    return path.open("rb")


def read_jetstream_file(
    path: Path, *, strict: bool = False, on_bad_line: BadLine | None = None
) -> Iterator[Decoded]:
    """Decoded events of a Jetstream JSONL file, in file order, positioned by line number.

    The position (the cursor a sink resumes from) is the line number, not `time_us`: a
    recording is in time order, but a file assembled by hand (a stream with injected
    events, say) need not be, and a time cursor would take every event behind the latest
    one landed for landed already. A line that is not JSON or not a valid event is reported
    with its line number and skipped; with `strict` it stops the run instead (InputError).
    """
    with open_binary(path) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if number == 1 and line.startswith(_UTF8_BOM):  # editors on Windows write one
                    line = line[len(_UTF8_BOM) :]
                if not line.strip():
                    continue
                try:
                    event = decode_event(orjson.loads(line))
                except (orjson.JSONDecodeError, DecodeError) as exc:
                    reason = f"{path.name}:{number}: {_reason(exc)}"
                    if strict:
                        raise InputError(f"bad line {reason}") from None
                    log.warning("skipping bad line %s", reason)
                    if on_bad_line is not None:
                        on_bad_line(number, reason)
                    continue
                yield Decoded(event.kind, number, event.row)
        except (OSError, EOFError, zstandard.ZstdError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc


_UTF8_BOM = b"\xef\xbb\xbf"


def _reason(exc: Exception) -> str:
    if isinstance(exc, orjson.JSONDecodeError):
        return "not valid JSON"
    return str(exc)
