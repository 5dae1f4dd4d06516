"""The README documents every table, column and setting (it is the reference users read)."""

from __future__ import annotations

from pathlib import Path

from scripts.readme_tables import configuration_table, table_reference
from trendlake.config import Settings
from trendlake.models import TABLES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_table_and_column_is_documented() -> None:
    for name, spec in TABLES.items():
        section = README.split(f"### `{name}`", 1)
        assert len(section) == 2, f"no section for table {name}"
        body = section[1].split("### ", 1)[0]
        for column in spec.schema.names:
            assert f"| `{column}` |" in body, f"{name}.{column} is not documented"


def test_every_setting_is_in_the_configuration_table() -> None:
    for name in Settings.model_fields:
        assert f"`TRENDLAKE_{name.upper()}`" in README, name


def test_the_reference_tables_are_the_ones_the_code_generates() -> None:
    # Edited by hand, the README drifts from the code: regenerate it with
    # `python scripts/readme_tables.py` after changing a setting or a column.
    assert table_reference() in README
    assert configuration_table() in README


def test_quick_start_is_the_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick and "make test" in quick
