"""What the command line prints when something fails: one line."""

from __future__ import annotations

from trendlake.cli import one_line


def test_a_storage_error_chain_becomes_one_line_without_colour_codes() -> None:
    # As delta-rs words a missing S3 credential: each cause on its own coloured line.
    message = (
        "cannot open s3://bucket/lake/posts: Kernel error -> Operation not supported\n"
        "          \x1b[31m↳\x1b[0m an error occurred while loading credentials\n"
        "           \x1b[31m↳\x1b[0m request forbidden\n\n"
    )
    assert one_line(message) == (
        "cannot open s3://bucket/lake/posts: Kernel error -> Operation not supported; "
        "an error occurred while loading credentials; request forbidden"
    )
    assert one_line("no such file: x.jsonl") == "no such file: x.jsonl"
