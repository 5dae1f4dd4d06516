"""Ingest decode throughput on one core: firehose frames and Jetstream events, vs the atproto SDK.

Generates a realistic capture (commit frames shaped like the relay's: a signed commit block,
MST nodes and the post record in a CAR; posts with facets, replies, embeds and langs), then
times, on the same bytes:

  trendlake firehose   trendlake.ingest.frames.decode_frame -> post rows (libipld, plain dicts)
  atproto SDK loop     Frame.from_bytes + parse_subscribe_repos_message + CAR.from_bytes
                       + models.get_or_create(record)   (the SDK's documented firehose loop)
  trendlake jetstream  JetstreamDecoder (orjson + jetstream.decode_event) on JSON events

Plain script, no asserts: `python benchmarks/bench_ingest.py [--frames N] [--events N]`.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
from sample_words import WORDS

from trendlake.ingest import dagcbor
from trendlake.ingest.dagcbor import Link
from trendlake.ingest.frames import decode_frame
from trendlake.ingest.sources import JetstreamDecoder

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _record(rng: random.Random, n: int) -> dict[str, object]:
    words = rng.choices(WORDS, k=rng.randint(5, 40))
    record: dict[str, object] = {
        "$type": "app.bsky.feed.post",
        "text": " ".join(words),
        "langs": [rng.choice(["en", "ja", "pt", "de"])],
        "createdAt": _iso(T0 + timedelta(milliseconds=n)),
    }
    if rng.random() < 0.3:
        record["facets"] = [
            {
                "index": {"byteStart": 0, "byteEnd": 6},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": rng.choice(WORDS)}],
            },
            {
                "index": {"byteStart": 7, "byteEnd": 30},
                "features": [
                    {"$type": "app.bsky.richtext.facet#link", "uri": f"https://example.com/{n}"}
                ],
            },
        ]
    if rng.random() < 0.4:
        ref = {
            "uri": f"at://did:plc:{n % 997:024d}/app.bsky.feed.post/3kroot{n:07d}",
            "cid": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
        }
        record["reply"] = {"root": ref, "parent": ref}
    if rng.random() < 0.25:
        record["embed"] = {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "alt": "",
                    "image": {
                        "$type": "blob",
                        "ref": Link(dagcbor.cid_of(b"img%d" % n)),
                        "mimeType": "image/jpeg",
                        "size": 123456,
                    },
                }
            ],
        }
    return record


def make_capture(count: int, seed: int = 5) -> tuple[list[bytes], list[bytes]]:
    """`count` #commit frames each creating one post, and the same posts as Jetstream JSON."""
    rng = random.Random(seed)
    frames: list[bytes] = []
    events: list[bytes] = []
    for n in range(count):
        did = f"did:plc:{rng.getrandbits(100):025x}"
        rkey = f"3l{n:011d}"
        seq = 9_000_000_000 + n
        moment = T0 + timedelta(milliseconds=n * 3)
        record = _record(rng, n)
        block = dagcbor.encode(record)
        mst = [
            dagcbor.encode(
                {
                    "l": Link(dagcbor.cid_of(b"l%d%d" % (n, depth))),
                    "e": [
                        {
                            "k": f"app.bsky.feed.post/3l{n + i:011d}".encode(),
                            "p": 0 if i == 0 else 19,
                            "t": Link(dagcbor.cid_of(b"t%d%d%d" % (n, depth, i))),
                            "v": Link(dagcbor.cid_of(b"v%d%d%d" % (n, depth, i))),
                        }
                        for i in range(4)
                    ],
                }
            )
            for depth in range(4)
        ]
        commit = dagcbor.encode(
            {
                "did": did,
                "rev": rkey,
                "data": Link(dagcbor.cid_of(mst[0])),
                "prev": None,
                "version": 3,
                "sig": rng.randbytes(64),
            }
        )
        body = {
            "seq": seq,
            "rebase": False,
            "tooBig": False,
            "repo": did,
            "commit": Link(dagcbor.cid_of(commit)),
            "rev": rkey,
            "since": None,
            "blocks": dagcbor.car_v1([dagcbor.cid_of(commit)], [commit, *mst, block]),
            "ops": [
                {
                    "action": "create",
                    "path": f"app.bsky.feed.post/{rkey}",
                    "cid": Link(dagcbor.cid_of(block)),
                }
            ],
            "blobs": [],
            "time": _iso(moment),
            "prevData": Link(dagcbor.cid_of(mst[1])),
        }
        frames.append(dagcbor.frame("#commit", body))
        if isinstance(record.get("embed"), dict):
            record["embed"]["images"][0]["image"]["ref"] = {"$link": "bafkreiexample"}  # type: ignore[index]
        event = {
            "did": did,
            "time_us": int(moment.timestamp() * 1_000_000),
            "kind": "commit",
            "commit": {
                "rev": rkey,
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": record,
                "cid": str(Link(dagcbor.cid_of(block))),
            },
        }
        events.append(orjson.dumps(event))
    return frames, events


def trendlake_firehose(frames: list[bytes]) -> int:
    posts = 0
    for data in frames:
        for event in decode_frame(data).events:
            posts += event.kind == "post"
    return posts


def sdk_reference(frames: list[bytes]) -> int:
    from atproto_client import models
    from atproto_core.car import CAR
    from atproto_firehose import parse_subscribe_repos_message
    from atproto_subscription.frames import Frame

    posts = 0
    for data in frames:
        message = parse_subscribe_repos_message(Frame.from_bytes(data))
        if not isinstance(message, models.ComAtprotoSyncSubscribeRepos.Commit):
            continue
        car = CAR.from_bytes(message.blocks)
        for op in message.ops:
            if op.action == "create" and op.cid is not None:
                record = models.get_or_create(car.blocks.get(op.cid), strict=False)
                posts += record is not None and record.py_type == "app.bsky.feed.post"
    return posts


def trendlake_jetstream(events: list[bytes]) -> int:
    decode = JetstreamDecoder()
    posts = 0
    for line in events:
        for event in decode(line.decode()).events:
            posts += event.kind == "post"
    return posts


def timed(
    work: Callable[[list[bytes]], int], data: list[bytes], repeat: int = 3
) -> tuple[float, int]:
    """Best of `repeat` runs (events per second), with the GC out of the way."""
    best = float("inf")
    result = 0
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        result = work(data)
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return len(data) / best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()

    frames, _ = make_capture(args.frames)
    _, events = make_capture(args.events, seed=6)
    size = sum(map(len, frames)) / len(frames)
    print(f"capture: {len(frames)} post commit frames (avg {size:.0f} B), {len(events)} events")

    ours, ours_posts = timed(trendlake_firehose, frames)
    sdk, sdk_posts = timed(sdk_reference, frames, repeat=1)
    jet, jet_posts = timed(trendlake_jetstream, events)
    rows = [
        ("firehose: trendlake decode_frame", ours, ours_posts, 20_000, sdk),
        ("firehose: atproto SDK loop (reference)", sdk, sdk_posts, None, sdk),
        ("jetstream: trendlake JetstreamDecoder", jet, jet_posts, 100_000, None),
    ]
    print(f"{'path':<42}{'per s':>12}{'posts':>9}{'target':>10}{'vs SDK':>9}")
    for name, rate, posts, target, reference in rows:
        ratio = f"{rate / reference:.2f}x" if reference else "-"
        goal = f"{target:,}" if target else "-"
        print(f"{name:<42}{rate:>12,.0f}{posts:>9}{goal:>10}{ratio:>9}")


if __name__ == "__main__":
    main()
