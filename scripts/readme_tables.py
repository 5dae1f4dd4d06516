"""Regenerate the README's table and configuration reference from the code."""

from __future__ import annotations

from pathlib import Path

from trendlake.config import Settings
from trendlake.models import TABLES

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "### `posts`", "## Development"
CONFIG_START, CONFIG_END = "| variable | default | meaning |", "\nFor a 3-broker Kafka cluster"


def configuration_table() -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "unset" if field.default is None else f"`{field.default}`"
        lines.append(f"| `TRENDLAKE_{name.upper()}` | {default} | {field.description} |")
    return "\n".join(lines) + "\n"


def table_reference() -> str:
    lines: list[str] = []
    for name, spec in TABLES.items():
        lines += [f"### `{name}` — {spec.description}", ""]
        lines += [
            f"Partitioned by `{', '.join(spec.partition_by)}`; time column `{spec.time_column}`.",
            "",
        ]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        for field in spec.schema:
            kind = str(field.type).replace("timestamp[us, tz=UTC]", "timestamp (µs, UTC)")
            kind = kind.replace("list<item: ", "list<")
            required = "" if field.nullable else ", not null"
            meaning = (field.metadata or {}).get(b"description", b"").decode()
            lines.append(f"| `{field.name}` | {kind}{required} | {meaning} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = README.read_text()
    start, end = text.index(START), text.index(END)
    text = text[:start] + table_reference() + text[end:]
    start, end = text.index(CONFIG_START), text.index(CONFIG_END)
    README.write_text(text[:start] + configuration_table() + text[end:])


if __name__ == "__main__":
    main()
