"""(scaffold) `forecourt attribution ...`"""

from __future__ import annotations

import typer

attribution_app = typer.Typer(help="Marketing attribution over stored events.", no_args_is_help=True)
