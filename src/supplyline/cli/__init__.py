"""Command-line interface: parse, call the library, render. Nothing else."""

from .app import app, main

__all__ = ["app", "main"]
