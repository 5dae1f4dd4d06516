"""Start and stop long-running child processes (the Dagster webserver and daemon, live ingest).

Each child runs in its own session with SIGINT/SIGTERM reset to their defaults: a process
started in the background from a non-interactive shell inherits "ignore" for them, and
`dagster dev`-style servers then never stop. Stopping sends SIGTERM to the child's whole
process group, waits, and falls back to SIGKILL, so no grandchild (code servers) is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def _reset_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def venv_tool(name: str) -> str:
    """A console script installed beside this interpreter (the project's venv)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


@dataclass
class Children:
    """Named child processes started together and stopped together (in reverse order)."""

    logs: Path
    started: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _handles: list[IO[bytes]] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{name}.log").open("ab")
        self._handles.append(log)
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_reset_signals,
        )
        self.started[name] = process
        return process

    def failed(self) -> str | None:
        """Name of a child that exited, if any."""
        return next((n for n, p in self.started.items() if p.poll() is not None), None)

    def stop(self, timeout: float = 20.0) -> None:
        for process in reversed(list(self.started.values())):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.started.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(remaining)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(5)
        for process in self.started.values():
            _signal_group(process, signal.SIGKILL)  # grandchildren that outlived their parent
        for handle in self._handles:
            handle.close()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def dagster_commands(workspace: Path, host: str, port: int) -> dict[str, list[str]]:
    """The webserver and the daemon, both loading the checkout's workspace.yaml."""
    return {
        "dagster-webserver": [
            venv_tool("dagster-webserver"),
            "-w",
            str(workspace),
            "-h",
            host,
            "-p",
            str(port),
        ],
        "dagster-daemon": [venv_tool("dagster-daemon"), "run", "-w", str(workspace)],
    }


def prepare_dagster_home(env: Mapping[str, str], cwd: Path) -> None:
    """Create (or migrate) the instance's storage before the webserver and daemon start.

    Two processes creating a fresh SQLite storage at once race on its schema version table
    ("more than one head present") and one of them dies; one migration first avoids it.
    """
    subprocess.run(
        [venv_tool("dagster"), "instance", "migrate"],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
    )
