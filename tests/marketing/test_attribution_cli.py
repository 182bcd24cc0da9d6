"""`forecourt attribution run` on a SQLite file holding the small dataset, and on touchpoint/conversion files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from forecourt.cli import app
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.migrate import upgrade
from forecourt.core.settings import get_settings
from tests.marketing.factories import seed_small

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        seed_small(session)
    engine.dispose()
    monkeypatch.setenv("FORECOURT_DATABASE_URL", url)
    monkeypatch.setenv("FORECOURT_TIME_ZONE", "UTC")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_run_prints_the_table(database: str) -> None:
    result = runner.invoke(
        app, ["attribution", "run", "--model", "linear", "--from", "2026-03-02", "--to", "2026-03-08"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    search = next(line for line in lines if line.strip("│ ").startswith("search"))
    assert "1.50" in search and "300.00" in search and "200.00" in search
    assert any("Total" in line and "350.00" in line for line in lines)
    assert "Cost per conversion" in result.stdout and "ROAS" in result.stdout


def test_run_markov_order_2_as_csv(database: str) -> None:
    result = runner.invoke(
        app,
        [
            "attribution",
            "run",
            "--model",
            "markov",
            "--order",
            "2",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-08",
            "--conversion",
            "order",
            "--by",
            "campaign",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["campaign", "credit", "value", "spend", "cost_per_conversion", "roas"]
    assert sum(float(r[1]) for r in rows[1:]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "linear", "--order", "2"], "--order: applies to the markov model only"),
        (["--model", "markov", "--order", "5"], "--order: must be between 1 and 3"),
        (["--from", "2026-03-09", "--to", "2026-03-01"], "--from: must be on or before to"),
        (["--model", "magic"], "--model: must be one of"),
    ],
)
def test_run_refuses_bad_options(database: str, arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["attribution", "run", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_run_on_files(tmp_path: Path) -> None:
    touches = pl.DataFrame(
        {
            "visitor_id": ["a", "a", "b"],
            "channel": ["search", "email", "search"],
            "campaign": ["s1", "e1", "s1"],
            "at": [
                datetime(2026, 3, 3, 10, tzinfo=UTC),
                datetime(2026, 3, 4, 10, tzinfo=UTC),
                datetime(2026, 3, 3, 11, tzinfo=UTC),
            ],
        }
    )
    touches.write_parquet(tmp_path / "touches.parquet")
    (tmp_path / "conversions.csv").write_text(
        "conversion_id,visitor_id,at,type,value\n"
        "c1,a,2026-03-05T10:00:00Z,test_drive_booked,\n"
        "c2,b,2026-03-03T12:00:00Z,test_drive_booked,\n",
        encoding="utf-8",
    )
    (tmp_path / "spend.csv").write_text("key,amount\nsearch,300.00\nemail,50.00\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "attribution",
            "run",
            "--model",
            "linear",
            "--touchpoints",
            str(tmp_path / "touches.parquet"),
            "--conversions",
            str(tmp_path / "conversions.csv"),
            "--spend",
            str(tmp_path / "spend.csv"),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in csv.reader(io.StringIO(result.stdout))}
    assert rows["search"][1:] == ["1.50", "0.00", "300.00", "200.00", ""]
    assert rows["email"][1:] == ["0.50", "0.00", "50.00", "100.00", ""]
