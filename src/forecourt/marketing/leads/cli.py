"""`forecourt leads ...`: retrain the lead-scoring model."""

from __future__ import annotations

from typing import Annotated

import typer

leads_app = typer.Typer(help="Leads and the lead-scoring model.", no_args_is_help=True)


@leads_app.command("train-scoring")
def train_scoring(seed: Annotated[int, typer.Option(help="Seed of the held-out split")] = 2018) -> None:
    """Train the lead-scoring model on every won and lost lead; print its AUC on a stratified held-out 25%."""
    from forecourt.core.clock import utcnow
    from forecourt.core.db import make_engine, make_session_factory, transaction
    from forecourt.core.errors import DomainError
    from forecourt.core.settings import get_settings
    from forecourt.marketing.leads.scoring_service import train_from_history

    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            row = train_from_history(session, now=utcnow(), seed=seed)
            typer.echo(
                f"lead-scoring model v{row.version}: trained on {row.training_rows} leads, "
                f"held-out AUC {row.held_out_auc:.3f} on {row.held_out_rows} leads (seed {seed})"
            )
    except DomainError as exc:
        typer.echo(f"not trained: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
