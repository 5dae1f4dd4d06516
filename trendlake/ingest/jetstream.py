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

SOURCE = "jetstream"


def decode_event(event: Any) -> Decoded:
    """Decode one parsed Jetstream event; raise DecodeError when it is not a valid event."""
    if not isinstance(event, dict):
        raise DecodeError("event is not a JSON object")
    time_us = event.get("time_us")
    did = event.get("did")
    if not isinstance(time_us, int) or isinstance(time_us, bool) or time_us <= 0:
        raise DecodeError("missing or invalid time_us")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise DecodeError("missing or invalid did")
    if event.get("kind") != "commit":
        return Decoded("other", time_us)
    commit = event.get("commit")
    if not isinstance(commit, dict):
        raise DecodeError("commit event without a commit object")
    if commit.get("collection") != POST_COLLECTION:
        return Decoded("other", time_us)
    rkey = commit.get("rkey")
    if not isinstance(rkey, str) or not rkey:
        raise DecodeError("post commit without rkey")
    operation = commit.get("operation")
    if operation == "create":
        record = commit.get("record")
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
