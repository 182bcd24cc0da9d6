"""Real `forecourt` processes for the tests of the worker and of many processes on one database: a database of
their own (migrated, dropped after), the environment they share, a clock file they all read, and polling with a
deadline (the only way to wait for another process's work)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.engine import make_url

import forecourt
from tests import races

SOURCE = Path(forecourt.__file__).resolve().parents[1]  # the src/ directory this test run imports
T = TypeVar("T")


@contextmanager
def scratch_database(backend_url: str, directory: Path) -> Iterator[str]:
    """A migrated database of the same kind as `backend_url`, for processes that commit what they like."""
    with races.scratch_database(make_url(backend_url).get_backend_name(), directory) as (url, engine):
        engine.dispose()  # the processes open their own
        yield url


def set_clock(path: Path, at: datetime) -> None:
    """Move every process's time at once; written aside and renamed, so no reader sees half a timestamp."""
    aside = path.with_suffix(".next")
    aside.write_text(at.isoformat(), encoding="utf-8")
    os.replace(aside, path)


def environment(database_url: str, clock_file: Path, outbox_dir: Path, **settings: str) -> dict[str, str]:
    """The parent's environment without its FORECOURT_* settings, plus a test environment of these."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FORECOURT_")}
    env.update(
        PYTHONPATH=str(SOURCE),
        FORECOURT_ENVIRONMENT="test",
        FORECOURT_DATABASE_URL=database_url,
        FORECOURT_CLOCK_FILE=str(clock_file),
        FORECOURT_OUTBOX_DIR=str(outbox_dir),
        **{f"FORECOURT_{name.upper()}": value for name, value in settings.items()},
    )
    return env


def start_cli(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`forecourt ARGUMENTS` in a process of its own, its output in `log` (a pipe nobody reads could fill up)."""
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "forecourt.cli", *arguments], env=env, stdout=handle, stderr=subprocess.STDOUT
    )


def wait_for(check: Callable[[], T], seconds: float, what: str, interval: float = 0.02) -> T:
    """Poll `check` until it answers something truthy; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if answer := check():
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(interval)


def stop(processes: list[subprocess.Popen[bytes]], seconds: float = 30) -> list[int | None]:
    """SIGTERM each, then their exit codes (None for one that had to be killed after `seconds`)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=seconds))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            codes.append(None)
    return codes
