"""`forecourt attribution run`: credit, spend, cost per conversion and ROAS per channel or campaign, from the
stored events (default) or from touchpoint and conversion files (Parquet or CSV).

    forecourt attribution run --model markov --order 2 --from 2026-01-01 --to 2026-03-31 \\
        [--conversion test_drive_booked] [--by channel|campaign] [--lookback-days 30] [--format table|csv]
    forecourt attribution run --model linear --touchpoints touches.parquet --conversions conversions.csv \\
        [--spend spend.csv]

A progress bar (loading events a week at a time, building paths, solving) shows on a terminal.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

attribution_app = typer.Typer(help="Marketing attribution over stored events.", no_args_is_help=True)

STEP_NAMES = {"load": "Loading events", "paths": "Building paths", "solve": "Solving"}


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option) from exc


def _read(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pl.read_csv(path, try_parse_dates=True, encoding="utf8-lossy")
    raise typer.BadParameter(f"{path} must be a .parquet or .csv file")


def _utc(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Parse text timestamps and read naive ones as UTC (files from ad platforms rarely say)."""
    dtype = frame.schema[column]
    if dtype == pl.String:
        frame = frame.with_columns(pl.col(column).str.to_datetime(time_zone="UTC"))
    elif isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        frame = frame.with_columns(pl.col(column).dt.replace_time_zone("UTC"))
    return frame


def _spend_file(path: Path | None) -> dict[str, Decimal]:
    if path is None:
        return {}
    frame = _read(path)
    if not {"key", "amount"} <= set(frame.columns):
        raise typer.BadParameter(f"{path} needs the columns key and amount (yuan)", param_hint="--spend")
    spend: dict[str, Decimal] = {}
    for key, amount in frame.select(pl.col("key").cast(pl.String), pl.col("amount").cast(pl.String)).iter_rows():
        try:
            spend[key] = spend.get(key, Decimal(0)) + Decimal(amount)
        except (InvalidOperation, TypeError) as exc:
            raise typer.BadParameter(f"amount {amount!r} of {key!r} is not a number", param_hint="--spend") from exc
    return spend


def _fmt(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


@attribution_app.command("run")
def run(
    model: Annotated[
        str,
        typer.Option(
            help="first_touch, last_touch, last_non_direct, linear, time_decay, position_based, markov or shapley"
        ),
    ] = "markov",
    order: Annotated[int | None, typer.Option(help="Markov chain order, 1-3 (markov only)")] = None,
    first: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD")] = None,
    conversion: Annotated[
        str, typer.Option(help="test_drive_booked, test_drive_taken, credit_application or order")
    ] = "test_drive_booked",
    by: Annotated[str, typer.Option(help="channel or campaign")] = "channel",
    lookback_days: Annotated[
        int | None, typer.Option(help="Days a touch counts before a conversion (default 30)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table or csv")] = "table",
    touchpoints: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Touchpoints file (visitor_id, at, channel, campaign) instead of the database",
        ),
    ] = None,
    conversions: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Conversions file (conversion_id, visitor_id, at, type, value)"),
    ] = None,
    spend: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="With files: spend per key (key, amount in yuan)")
    ] = None,
) -> None:
    """Credit per channel or campaign for one model and period, with spend, cost per conversion and ROAS."""
    from forecourt.core.errors import InvalidInput
    from forecourt.core.settings import get_settings
    from forecourt.marketing import attribution_query, attribution_service

    if output not in ("table", "csv"):
        raise typer.BadParameter("must be table or csv", param_hint="--format")
    if (touchpoints is None) != (conversions is None):
        raise typer.BadParameter("give both --touchpoints and --conversions, or neither", param_hint="--touchpoints")
    settings = get_settings()
    zone = "UTC" if touchpoints else settings.time_zone
    try:
        query = attribution_query.check_query(
            first_day=_day(first, "--from"),
            last_day=_day(last, "--to"),
            conversion=conversion,
            model=model,
            order=order,
            by=by,
            lookback_days=lookback_days,
            zone=zone,
        )
    except InvalidInput as exc:
        for error in exc.errors:
            typer.echo(f"--{error.field.replace('_', '-')}: {error.message}", err=True)
        raise typer.Exit(2) from exc
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(STEP_NAMES.get(step, step), total=total)
            bar.update(tasks[step], completed=done, total=total)

        if touchpoints is not None and conversions is not None:
            report = _from_files(
                query,
                touchpoints,
                conversions,
                _spend_file(spend),
                progress,
                whole_file=first is None and last is None,
            )
        else:
            from forecourt.core.db import make_engine, make_session_factory, transaction

            engine = make_engine(settings.database_url)
            with transaction(make_session_factory(engine)) as session:
                report = attribution_service.attribution_report(session, query, progress)
            engine.dispose()
    _print(report, output)


def _from_files(
    query,
    touch_path: Path,
    conversion_path: Path,
    spend,
    progress,
    *,  # type: ignore[no-untyped-def]
    whole_file: bool,
):
    from forecourt.marketing import attribution_journeys, attribution_query, attribution_service

    progress("load", 0, 2)
    touches = _utc(_read(touch_path), "at")
    progress("load", 1, 2)
    converted = _utc(_read(conversion_path), "at")
    progress("load", 2, 2)
    if "campaign" not in touches.columns:
        touches = touches.with_columns(pl.lit(None, dtype=pl.String).alias("campaign"))
    if "value" not in converted.columns:
        converted = converted.with_columns(pl.lit(None, dtype=pl.Float64).alias("value"))
    if "conversion_id" not in converted.columns:
        converted = converted.with_row_index("conversion_id").with_columns(pl.col("conversion_id").cast(pl.String))
    missing = [c for c in ("visitor_id", "at", "channel") if c not in touches.columns]
    missing += [c for c in ("visitor_id", "at", "type") if c not in converted.columns]
    if missing:
        raise typer.BadParameter(f"missing column(s): {', '.join(missing)}", param_hint="--touchpoints/--conversions")
    # Files carry their own period: without --from/--to every conversion in them counts.
    if whole_file and converted.height:
        period = attribution_query.Period(converted["at"].min().date(), converted["at"].max().date(), "UTC")
        query = attribution_query.Query(
            period, query.conversion, query.model, query.order, query.by, query.lookback_days
        )
    journeys = attribution_journeys.Journeys(
        touches.select("visitor_id", "at", "channel", pl.col("campaign").cast(pl.String)),
        converted.select(
            "conversion_id",
            "visitor_id",
            "at",
            "type",
            pl.col("value").cast(pl.Float64),
            pl.lit(None, dtype=pl.String).alias("model_code"),
            pl.lit(None, dtype=pl.String).alias("city"),
        ),
    )
    progress("paths", 0, 1)
    paths = attribution_journeys.path_set(
        journeys, query.conversion, query.period.start, query.period.end, query.lookback
    )
    progress("paths", 1, 1)
    return attribution_service.report_from_paths(query, paths, spend, progress)


def _print(report, output: str) -> None:  # type: ignore[no-untyped-def]
    query = report.query
    header = [query.by, "credit", "value", "spend", "cost_per_conversion", "roas"]
    rows = [
        [
            r.key,
            f"{r.conversions:.2f}",
            f"{r.value:.2f}",
            f"{r.spend:.2f}",
            "" if r.cost_per_conversion is None else f"{r.cost_per_conversion:.2f}",
            "" if r.roas is None else f"{r.roas:.2f}",
        ]
        for r in report.rows
    ]
    if output == "csv":
        from forecourt.marketing.dashboard import csv_bytes

        sys.stdout.write(csv_bytes(header, rows).decode("utf-8-sig"))
        return
    model = query.model + (f" (order {query.order})" if query.model == "markov" else "")
    table = Table(
        title=f"{query.conversion} by {query.by}, {model}, {query.period.first_day} to "
        f"{query.period.last_day} ({query.period.zone})"
    )
    table.add_column(query.by.capitalize())
    for name in ("Credit", "Value", "Spend", "Cost per conversion", "ROAS"):
        table.add_column(name, justify="right")
    for r in report.rows:
        table.add_row(
            r.key, f"{r.conversions:,.2f}", _fmt(r.value), _fmt(r.spend), _fmt(r.cost_per_conversion), _fmt(r.roas)
        )
    table.add_section()
    table.add_row(
        "Total",
        f"{report.conversions:,}",
        _fmt(report.value),
        _fmt(report.spend),
        _fmt(report.cost_per_conversion),
        _fmt(report.roas),
    )
    Console(width=max(100, Console().width)).print(table)
