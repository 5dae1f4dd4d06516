"""The project's shape: Dagster layer from the checkout, a core that never imports dagster."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["assets", "sensors", "resources"])
def test_dagster_layer_resolves_inside_the_repo(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(ROOT), module.__file__


def test_core_never_imports_dagster() -> None:
    offenders = []
    for path in (ROOT / "trendlake").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0].startswith("dagster")
            ]
    assert offenders == []


def test_dbt_folder_is_not_a_python_package() -> None:
    assert not (ROOT / "dbt" / "__init__.py").exists()


def test_wheel_contains_only_trendlake(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("trendlake-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "trendlake" in tops
    assert tops - {"trendlake"} == {next(t for t in tops if t.endswith(".dist-info"))}
