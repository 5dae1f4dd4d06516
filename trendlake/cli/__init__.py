"""`trendlake ...`: the command line. Every failure a user causes is one line and an exit code.

Each module registers its commands on the shared typer app; this one runs it.
"""

from __future__ import annotations

import logging
import os
import re
import sys

# The Rust storage layer logs warnings of its own to stderr (e.g. the AWS SDK finding no
# instance metadata service off the cloud): noise on a command line, and read before any
# table is opened. RUST_LOG=warn brings them back.
os.environ.setdefault("RUST_LOG", "error")

import click
import typer
from rich.text import Text

from trendlake.cli import compute, landing, streams, up, views  # noqa: F401  (they register commands)
from trendlake.cli.common import app, err
from trendlake.errors import TrendlakeError

__all__ = ["app", "main"]


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        app(standalone_mode=False)
    except TrendlakeError as exc:
        # One line whatever the terminal width; the message is text, never markup.
        err.print(
            Text.assemble(("error:", "red"), f" {one_line(str(exc))}"),
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except (click.ClickException, typer.TyperException) as exc:
        # Usage errors (an unknown option, a bad value): typer raises its own copy of
        # click's exceptions, which click.ClickException does not catch.
        _usage_error(exc)


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(message: str) -> str:
    """A message on one line: a storage error's chain of causes (delta-rs prints each on
    its own line, coloured, after a "↳") joined with "; "."""
    lines = (
        line.strip().lstrip("↳").strip() for line in _ANSI_ESCAPE.sub("", message).splitlines()
    )
    return "; ".join(line for line in lines if line)


def _usage_error(exc: Exception) -> None:
    """One line naming the command and what was wrong, and click's exit code (2)."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    message = message.replace("Value error, ", "")  # pydantic's prefix says nothing here
    if not message.strip():  # no command given: typer has printed the help
        sys.exit(getattr(exc, "exit_code", 2))
    context = getattr(exc, "ctx", None)
    where = f"{context.command_path}: " if context is not None else ""
    hint = f" (see {context.command_path} --help)" if context is not None else ""
    line = f" {where}{' '.join(message.split())}{hint}"
    err.print(Text.assemble(("error:", "red"), line), highlight=False, soft_wrap=True)
    sys.exit(getattr(exc, "exit_code", 2))
