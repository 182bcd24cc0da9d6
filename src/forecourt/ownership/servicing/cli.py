"""`forecourt service-schedules …`: the service schedule table as files, like rate programs.

forecourt service-schedules export --format yaml > schedules.yaml
forecourt service-schedules import schedules.csv   # all or nothing; every problem with its line and column
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.settings import get_settings

schedules_app = typer.Typer(help="Service schedules per model and powertrain.", no_args_is_help=True)


def _factory():
    from forecourt.models_registry import import_all_models

    import_all_models()
    return make_session_factory(make_engine(get_settings().database_url))


@schedules_app.command("export")
def export(file_format: Annotated[Literal["csv", "yaml"], typer.Option("--format")] = "csv") -> None:
    """Write the table to standard output."""
    from forecourt.ownership.servicing import service

    with transaction(_factory()) as session:
        data = service.export_schedules(session, file_format)
    sys.stdout.buffer.write(data)


@schedules_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    file_format: Annotated[str | None, typer.Option("--format", help="csv or yaml; default from the name")] = None,
) -> None:
    """Replace the table with the file's, or change nothing and list every problem."""
    from forecourt.finance.programs.import_export import FileRejected
    from forecourt.finance.programs.import_export import file_format as detect
    from forecourt.ownership.servicing import service

    try:
        with transaction(_factory()) as session:
            table = service.import_schedules(session, path.read_bytes(), detect(file_format, path.name), actor=None)
    except FileRejected as rejected:
        for problem in rejected.problems:
            where = f"line {problem.line}" if problem.line else "file"
            typer.echo(f"{where}, {problem.column or '-'}: {problem.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(table.plans)} schedule row(s) imported")
