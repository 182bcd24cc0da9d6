"""Command line: `forecourt serve`, `forecourt db upgrade`, `forecourt demo load`, `forecourt inventory import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.settings import get_settings

app = typer.Typer(help="Forecourt: automotive new-retail platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
inventory_app = typer.Typer(help="Vehicle inventory.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(inventory_app, name="inventory")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind; default FORECOURT_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default FORECOURT_PORT")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the API (and, later, the storefront and back office)."""
    import uvicorn

    settings = get_settings()
    typer.echo(f"Forecourt on http://{host or settings.host}:{port or settings.port}  (database: {settings.database_url})")
    uvicorn.run(
        "forecourt.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply the Alembic migrations to FORECOURT_DATABASE_URL."""
    from forecourt.core.migrate import upgrade

    engine = make_engine(get_settings().database_url)
    upgrade(engine, revision)
    engine.dispose()
    typer.echo(f"database at {revision}")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when vehicles already exist")] = False,
    vehicles: Annotated[int, typer.Option(min=0, max=200_000, help="How many vehicles to generate")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data")] = 2018,
) -> None:
    """Load the deterministic Ford China 2018 demo: catalog, stores and vehicles."""
    from forecourt.catalog.demo import load_demo
    from forecourt.catalog.repository import count_vehicles

    factory = make_session_factory(make_engine(get_settings().database_url))
    with transaction(factory) as session:
        if if_empty and count_vehicles(session) > 0:
            typer.echo("demo data already present; nothing loaded")
            return
        summary = load_demo(session, vehicles=vehicles, seed=seed)
    typer.echo(summary)


@inventory_app.command("import")
def inventory_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON file")],
    file_format: Annotated[str | None, typer.Option("--format", help="csv or json; default from the extension")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the per-row error report to this CSV file")] = None,
) -> None:
    """Upsert vehicles by VIN from a CSV or JSON file; bad rows are reported and change nothing."""
    from forecourt.catalog.import_cli import run_import

    raise typer.Exit(run_import(file, file_format, report))


if __name__ == "__main__":
    app()
