"""``python -m supplyline`` runs the command-line interface."""

from .cli import main

main()
