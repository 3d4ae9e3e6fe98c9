"""The web service: the board, city pages and the JSON/GeoJSON API (FastAPI).

A top layer beside the command line: thin over the same queries (it imports the
analysis and viz layers, nothing imports it but the CLI's ``serve`` command).
:func:`create_app` builds the application; ``supplyline serve`` runs it with uvicorn.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
