"""`trendlake ...`: the command line. Every failure a user causes is one line and an exit code.

Each module registers its commands on the shared typer app; this one runs it.
"""

from __future__ import annotations

import logging
import sys

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
        err.print(Text.assemble(("error:", "red"), f" {exc}"), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:  # usage errors carry their own exit code
        exc.show()
        sys.exit(exc.exit_code)
