"""Turn an `app.bsky.feed.post` record into a plain post row (shared by every source).

Rows are plain dicts with the posts table's column names; event_time is carried as integer
microseconds and becomes a timestamp (and event_date) when the sink builds its Arrow batch.
"""

from __future__ import annotations

from typing import Any

from trendlake.models import DeleteRecord, PostRecord

POST_COLLECTION = "app.bsky.feed.post"

_EMBED_KINDS = {
    "app.bsky.embed.images": "images",
    "app.bsky.embed.video": "video",
    "app.bsky.embed.external": "external",
    "app.bsky.embed.record": "record",
    "app.bsky.embed.recordWithMedia": "record_with_media",
}
MAX_OUTLINE_TAGS = 8  # the post lexicon's limit on `tags`
_EXTERNAL = "app.bsky.embed.external"
_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_TAG = "app.bsky.richtext.facet#tag"
_LINK = "app.bsky.richtext.facet#link"
_MENTION = "app.bsky.richtext.facet#mention"


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def post_row(
    *,
    did: str,
    rkey: str,
    cid: str | None,
    record: dict[str, Any],
    event_time_us: int,
    seq: int | None,
    source: str,
) -> PostRecord:
    """The posts-table row of one created post; tolerant of the optional fields' absence."""
    hashtags: list[str] = []
    mentions: list[str] = []
    links: list[str] = []
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else ():
        for feature in facet.get("features") or () if isinstance(facet, dict) else ():
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == _TAG and isinstance(feature.get("tag"), str):
                hashtags.append(feature["tag"])
            elif kind == _LINK and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
            elif kind == _MENTION and isinstance(feature.get("did"), str):
                mentions.append(feature["did"])
    outline = record.get("tags")
    for tag in outline[:MAX_OUTLINE_TAGS] if isinstance(outline, list) else ():
        # "Outline" tags: hashtags kept beside the text, which Bluesky's hashtag search finds.
        if isinstance(tag, str) and tag not in hashtags:
            hashtags.append(tag)
    reply, embed = _object(record.get("reply")), _object(record.get("embed"))
    card = card_link(embed)
    if card is not None and card not in links:  # a card usually repeats a link of the text
        links.append(card)
    langs = record.get("langs")
    text = record.get("text")
    created_at = record.get("createdAt")
    return {
        "uri": post_uri(did, rkey),
        "cid": cid,
        "did": did,
        "rkey": rkey,
        "text": text if isinstance(text, str) else "",
        "langs": [x for x in langs if isinstance(x, str)] if isinstance(langs, list) else [],
        "created_at": created_at if isinstance(created_at, str) else None,
        "event_time": event_time_us,
        "seq": seq,
        "reply_root": _ref_uri(reply.get("root")),
        "reply_parent": _ref_uri(reply.get("parent")),
        "embed_kind": _EMBED_KINDS.get(str(embed.get("$type"))) if embed else None,
        "hashtags": hashtags,
        "mentions": mentions,
        "links": links,
        "source": source,
    }


def card_link(embed: dict[str, Any]) -> str | None:
    """The URI of a post's link card: an external embed, alone or beside a quoted post.

    A link shared as a card is a link like one in the text, and often the only trace of it:
    Bluesky's app lets a post be a card alone, and news bots post a headline and a card.
    Without it a story's domain would trend only among the posts that also spell the URL.
    """
    media = embed.get("media") if embed.get("$type") == _RECORD_WITH_MEDIA else embed
    if not isinstance(media, dict) or media.get("$type") != _EXTERNAL:
        return None
    external = media.get("external")
    uri = external.get("uri") if isinstance(external, dict) else None
    return uri if isinstance(uri, str) and uri else None


def delete_row(
    *, did: str, rkey: str, event_time_us: int, seq: int | None, source: str
) -> DeleteRecord:
    return {
        "uri": post_uri(did, rkey),
        "did": did,
        "rkey": rkey,
        "event_time": event_time_us,
        "seq": seq,
        "source": source,
    }


def _object(value: object) -> dict[str, Any]:
    """A JSON object field, or {} when the record holds something else there."""
    return value if isinstance(value, dict) else {}


def _ref_uri(ref: object) -> str | None:
    if isinstance(ref, dict) and isinstance(ref.get("uri"), str):
        return ref["uri"]
    return None
