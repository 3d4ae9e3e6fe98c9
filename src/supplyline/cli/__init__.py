"""Command-line interface: parse, call the library, render. Nothing else."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """The ``supplyline`` command (see :func:`supplyline.cli.app.main`). Typer and Rich
    are imported here, inside the Ctrl-C handling: an interrupt while they load is
    "interrupted" and exit code 130 too, not a traceback."""
    try:
        from .app import main as run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    run(argv)


__all__ = ["main"]  # the Typer application is supplyline.cli.app.app
