"""(scaffold) `forecourt leads ...`"""

from __future__ import annotations

import typer

leads_app = typer.Typer(help="Leads and the lead-scoring model.", no_args_is_help=True)
