"""The test-only clock file (several processes living one simulated day) and the job settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from forecourt.core import clock
from forecourt.core.settings import Settings


@pytest.fixture
def clock_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "clock"
    clock.follow_clock_file(path)
    yield path
    clock.follow_clock_file(None)


def test_utcnow_answers_the_clock_file_and_follows_each_change(clock_file: Path):
    clock_file.write_text("2026-12-08T17:00:00+08:00\n", encoding="utf-8")
    assert clock.utcnow() == datetime(2026, 12, 8, 9, 0, tzinfo=UTC) and clock.utcnow().tzinfo == UTC
    clock_file.write_text("2026-12-08T09:15:00+00:00", encoding="utf-8")
    assert clock.utcnow() == datetime(2026, 12, 8, 9, 15, tzinfo=UTC)
    with clock.pinned(datetime(2030, 1, 1, tzinfo=UTC)):  # a pin inside one process still wins
        assert clock.utcnow() == datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("content", [None, "", "  \n"])
def test_a_missing_or_empty_clock_file_is_the_wall_clock(clock_file: Path, content: str | None):
    if content is not None:
        clock_file.write_text(content, encoding="utf-8")
    before = datetime.now(UTC)
    assert before <= clock.utcnow() <= datetime.now(UTC)


@pytest.mark.parametrize("content", ["2026-12-08T09:00:00", "tomorrow"])
def test_a_clock_file_without_an_aware_timestamp_is_an_error_not_the_wall_clock(clock_file: Path, content: str):
    clock_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        clock.utcnow()


def test_the_clock_file_is_refused_outside_tests(tmp_path: Path):
    assert Settings(environment="test", clock_file=tmp_path / "clock").clock_file == tmp_path / "clock"
    for environment in ("development", "production"):
        with pytest.raises(ValidationError, match="FORECOURT_CLOCK_FILE is for tests only"):
            Settings(environment=environment, clock_file=tmp_path / "clock", secret_key="s" * 40)


def test_jobs_run_in_web_processes_by_default_except_in_tests_unless_asked(monkeypatch):
    assert Settings(environment="development").run_jobs is True
    assert Settings(environment="test").run_jobs is False
    assert Settings(environment="test", run_jobs=True).run_jobs is True
    monkeypatch.setenv("FORECOURT_RUN_JOBS", "true")
    assert Settings(environment="test").run_jobs is True
    monkeypatch.setenv("FORECOURT_RUN_JOBS", "false")
    assert Settings(environment="development").run_jobs is False


def test_the_job_interval_is_positive_and_at_most_a_day():
    assert Settings().job_interval_seconds == 60
    assert Settings(job_interval_seconds=0.05).job_interval_seconds == 0.05
    assert Settings(job_interval_seconds=86_400).job_interval_seconds == 86_400
    for bad in (0, -1, 86_401):
        with pytest.raises(ValidationError, match="job_interval_seconds"):
            Settings(job_interval_seconds=bad)
