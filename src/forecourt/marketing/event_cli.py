"""(scaffold) `forecourt marketing ...`: campaigns, spend and event imports."""

from __future__ import annotations

import typer

marketing_app = typer.Typer(help="Campaigns, daily spend and event imports.", no_args_is_help=True)
