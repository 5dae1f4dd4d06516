"""Decode Jetstream events (JSON) into post and delete rows.

Jetstream's field names are used exactly: `did`, `time_us`, `kind`, and
`commit.{rev,operation,collection,rkey,record,cid}`. Only `app.bsky.feed.post` commits matter;
identity and account events, and other collections, are recognised and ignored.
"""

from __future__ import annotations

from typing import Any

from trendlake.errors import DecodeError
from trendlake.ingest.events import Decoded
from trendlake.ingest.records import POST_COLLECTION, delete_row, post_row
from trendlake.timeutil import LAST_MICROSECOND

SOURCE = "jetstream"


def decode_event(event: Any) -> Decoded:
    """Decode one parsed Jetstream event; raise DecodeError when it is not a valid event."""
    if not isinstance(event, dict):
        raise DecodeError("event is not a JSON object")
    time_us = _microseconds(event.get("time_us"))
    did = event.get("did")
    if time_us is None:
        raise DecodeError("missing or invalid time_us")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise DecodeError("missing or invalid did")
    # A file assembled by hand may leave out what the rest of the event implies: the kind of
    # an event with a commit, the collection and operation of a commit with a post record.
    if event.get("kind", "commit" if "commit" in event else None) != "commit":
        return Decoded("other", time_us)
    commit = event.get("commit")
    if not isinstance(commit, dict):
        raise DecodeError("commit event without a commit object")
    record = commit.get("record")
    implied = isinstance(record, dict) and record.get("$type") == POST_COLLECTION
    if commit.get("collection", POST_COLLECTION if implied else None) != POST_COLLECTION:
        return Decoded("other", time_us)
    rkey = commit.get("rkey")
    if not isinstance(rkey, str) or not rkey:
        raise DecodeError("post commit without rkey")
    operation = commit.get("operation", "create" if implied else None)
    if operation == "create":
        if not isinstance(record, dict):
            raise DecodeError("post create without a record")
        cid = commit.get("cid")
        row = post_row(
            did=did,
            rkey=rkey,
            cid=cid if isinstance(cid, str) else None,
            record=record,
            event_time_us=time_us,
            seq=None,
            source=SOURCE,
        )
        return Decoded("post", time_us, row)
    if operation == "delete":
        return Decoded(
            "delete",
            time_us,
            delete_row(did=did, rkey=rkey, event_time_us=time_us, seq=None, source=SOURCE),
        )
    return Decoded("other", time_us)  # updates do not change what a post said when it trended


def _microseconds(value: object) -> int | None:
    """A positive whole number of microseconds up to the year 9999, or None.

    JSON has one number type: a file written by a tool that keeps numbers as doubles says
    `1772409600123456.0`, the same time. A fraction or a string is not a time_us.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= LAST_MICROSECOND:
        return None
    return value
