"""What every command shares: consoles, progress display, common options, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ..errors import InvalidArgumentError

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (else "
                    "$SUPPLYLINE_DATA, ../shared/data, the download cache).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
DateOpt = Annotated[str | None, typer.Option("--date", "-d", help="Date YYYY-MM-DD "
                    "(default: the last day of the control history).")]
ToOpt = Annotated[list[str] | None, typer.Option("--to", help="Rear hub (repeatable; "
                  "default: chosen on the date by the hub rule).")]
ProfileOpt = Annotated[Path | None, typer.Option("--profile", help="Threat profile file "
                       "(TOML/JSON/YAML).")]
BandsOpt = Annotated[str | None, typer.Option("--bands", help="Bands as NAME=KM,... e.g. "
                     "contact=3,fpv=15,tube=25,rocket=45.")]
RoadsOpt = Annotated[str, typer.Option("--roads", help="Road network of routes: all (every "
                     "EGM road, the default everywhere) or main (M, P and T roads only).")]
DetourCapOpt = Annotated[float, typer.Option(
    "--detour-cap", help="The safest route is the clearest one no longer than this many "
    "times the peacetime route (1-10).")]


def progress(counter: Any = None) -> Progress:
    """Progress display on stderr; ``counter`` is the column counting done work (items by
    default, bytes for downloads)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    counter or MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                    transient=True)


def threat_profile(profile: Path | None, bands: str | None) -> Any:
    from ..core.exposure import ThreatProfile

    if profile and bands:
        raise InvalidArgumentError("use either --profile FILE or --bands SPEC, not both")
    if profile:
        return ThreatProfile.load(profile)
    if bands:
        return ThreatProfile.parse(bands)
    return ThreatProfile()


#: analysis options set by the app's global flags (``--ground``, ``--border/--no-border``)
_GLOBAL_OPTIONS: dict[str, Any] = {}


def set_global_options(**changes: Any) -> None:
    """The options every command of this invocation uses (from the global flags)."""
    from ..analysis.options import DEFAULT_OPTIONS

    _GLOBAL_OPTIONS.clear()
    _GLOBAL_OPTIONS.update({k: v for k, v in changes.items()
                            if getattr(DEFAULT_OPTIONS, k) != v})


def options(*, roads: str = "all", **changes: Any) -> Any:
    """Analysis options of a command (the defaults everywhere else use, changed by the
    global flags)."""
    from ..analysis.options import DEFAULT_OPTIONS

    changes = {**_GLOBAL_OPTIONS, **changes}
    if roads != DEFAULT_OPTIONS.road_classes:
        changes["road_classes"] = roads
    return DEFAULT_OPTIONS.with_(**changes) if changes else DEFAULT_OPTIONS


@contextmanager
def session(data: Path | None, **kw: Any) -> Iterator[Any]:
    """A workspace with a progress display while the command computes."""
    from ..analysis.context import Workspace

    kw.setdefault("options", options())
    with progress() as prog:
        yield Workspace(data, progress=prog, **kw)


def plain_json(obj: Any) -> str:
    from ..analysis.results import plain

    return json.dumps(plain(obj.to_dict() if hasattr(obj, "to_dict") else obj), indent=2,
                      ensure_ascii=False, allow_nan=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(plain_json(obj) + "\n")
