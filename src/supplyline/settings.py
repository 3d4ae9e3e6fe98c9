"""Settings: the one place that reads the environment.

:class:`Settings` holds every option a user can set through an environment variable;
:func:`get_settings` reads them afresh (cheap, so a changed environment is seen, as tests
and long sessions need). No other module reads ``os.environ``.

=============================  ===========================================================
variable                       meaning
=============================  ===========================================================
``SUPPLYLINE_DATA``            data directory searched after ``--data`` (must exist)
``SUPPLYLINE_CACHE``           cache root (default ``$XDG_CACHE_HOME/supplyline``, else
                               ``~/.cache/supplyline``): ``data/`` downloads, ``derived/``
``SUPPLYLINE_NETWORK``         ``egm`` (EuroGlobalMap, default) or ``osm`` (the extract)
``SUPPLYLINE_CONTROL``         dated polygons used instead of the DeepState files:
                               ``path`` or ``path::date_column``
``SUPPLYLINE_DEEPSTATE_URL``   base URL of the daily DeepState files
``SUPPLYLINE_DEEPSTATE_API``   base URL of the DeepStateMap API (raw snapshots)
``SUPPLYLINE_OSM_URL``         URL of the OpenStreetMap ``.osm.pbf`` extract
``SUPPLYLINE_LANG``            language of messages and outputs (``en`` or ``uk``)
``SUPPLYLINE_STATE``           state directory (default ``$XDG_STATE_HOME/supplyline``,
                               else ``~/.local/state/supplyline``): ``watch`` alert state
=============================  ===========================================================

Data locations are searched in order: ``--data DIR``, ``SUPPLYLINE_DATA``,
``../shared/data`` (relative to the working directory and to the project checkout),
then the per-user download cache.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parents[2]

ENV_DATA = "SUPPLYLINE_DATA"
ENV_CACHE = "SUPPLYLINE_CACHE"
ENV_NETWORK = "SUPPLYLINE_NETWORK"
ENV_CONTROL = "SUPPLYLINE_CONTROL"
ENV_DEEPSTATE_URL = "SUPPLYLINE_DEEPSTATE_URL"
ENV_DEEPSTATE_API = "SUPPLYLINE_DEEPSTATE_API"
ENV_OSM_URL = "SUPPLYLINE_OSM_URL"
ENV_LANG = "SUPPLYLINE_LANG"
ENV_STATE = "SUPPLYLINE_STATE"


@dataclass(frozen=True)
class Settings:
    """Every environment option, read once by :meth:`from_env`."""

    data_dir: Path | None = None
    cache_dir: Path = Path.home() / ".cache" / "supplyline"
    network: str | None = None
    control_file: Path | None = None
    control_date_column: str | None = None
    deepstate_url: str | None = None
    deepstate_api: str | None = None
    osm_url: str | None = None
    lang: str | None = None
    state_dir: Path = Path.home() / ".local" / "state" / "supplyline"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default :data:`os.environ`); empty values are unset."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        cache = get(ENV_CACHE)
        if cache:
            cache_dir = Path(cache).expanduser()
        else:
            base = get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            cache_dir = Path(base) / "supplyline"
        control, column = get(ENV_CONTROL), None
        if control and "::" in control:
            control, _, column = control.partition("::")
        data = get(ENV_DATA)
        state = get(ENV_STATE)
        if state:
            state_dir = Path(state).expanduser()
        else:
            base = get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
            state_dir = Path(base) / "supplyline"
        return cls(
            data_dir=Path(data).expanduser() if data else None,
            cache_dir=cache_dir,
            network=(get(ENV_NETWORK) or "").lower() or None,
            control_file=Path(control).expanduser() if control else None,
            control_date_column=column or None,
            deepstate_url=get(ENV_DEEPSTATE_URL),
            deepstate_api=get(ENV_DEEPSTATE_API),
            osm_url=get(ENV_OSM_URL),
            lang=(get(ENV_LANG) or "").lower() or None,
            state_dir=state_dir,
        )

    @property
    def download_dir(self) -> Path:
        """Where ``data fetch`` stores downloaded public data (a data location itself)."""
        return self.cache_dir / "data"

    @property
    def derived_dir(self) -> Path:
        """Where derived caches (built networks, parsed histories) are written."""
        return self.cache_dir / "derived"


def get_settings() -> Settings:
    """The settings of the current environment."""
    return Settings.from_env()


def user_cache_dir() -> Path:
    """Per-user cache directory (``SUPPLYLINE_CACHE`` or ``$XDG_CACHE_HOME/supplyline``)."""
    return get_settings().cache_dir


def download_dir() -> Path:
    """Where ``data fetch`` stores downloaded public data (a data location itself)."""
    return get_settings().download_dir


def derived_cache_dir() -> Path:
    """Where derived caches (built networks, parsed histories) are written."""
    return get_settings().derived_dir


def candidate_data_dirs(explicit: str | os.PathLike[str] | None = None,
                        settings: Settings | None = None) -> list[tuple[str, Path]]:
    """Data locations in search order, each with a label saying where it came from."""
    s = settings or get_settings()
    out: list[tuple[str, Path]] = []
    if explicit:
        out.append(("--data", Path(explicit).expanduser()))
    if s.data_dir is not None:
        out.append((ENV_DATA, s.data_dir))
    for p in (Path.cwd().parent / "shared" / "data", _PROJECT_ROOT.parent / "shared" / "data"):
        if all(p.resolve() != q.resolve() for _, q in out):
            out.append(("../shared/data", p))
    out.append(("user cache", s.download_dir))
    return out
