"""Self-contained HTML report: interactive map with a date slider, charts, events, forecasts.

>>> from supplyline.analysis import Workspace
>>> from supplyline.report import build_report
>>> ws = Workspace()
>>> build_report(ws, "Pokrovsk", "2025-09-01", "2025-11-20", Path("pokrovsk.html"))

The report is ONE HTML file that works offline: no external request of any kind (no CDN,
no basemap tiles, no fonts, no images). Leaflet (the map library) is inlined; its JS and
CSS come from the npm package ``leaflet`` (see :func:`load_leaflet`). Instead of tiles the
map draws oblast boundaries, main roads and railways, and the larger places as context.

Map: held territory near the city (clipped to ``MAP_RADIUS_KM`` around it and simplified),
main roads and railways coloured by their exposure band on the selected date, the city and
its rear hubs (circle markers: no image assets). A date slider steps through the timeline
every ``step_days`` (always including the last day). Charts are inline SVG drawn here; a
vertical cursor follows the slider. Then the events table, the forecasts with their
backtest figures (a withheld forecast shows the reason, never a date), and the trends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import math
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from ..crs import lonlat_xy
from ..errors import SupplylineError
from ..io.cache import atomic_write
from ..settings import user_cache_dir

if TYPE_CHECKING:
    from ..analysis.context import Workspace
    from ..core.exposure import ThreatProfile
    from ..data.places import Place

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------ assets
LEAFLET_VERSION = "1.9.4"
#: Vendored assets inside the package (filled by ``scripts/fetch_assets.py``, not in git;
#: the package data of pyproject.toml and the .gitignore are there).
VENDOR_DIR = Path(__file__).resolve().parent / "assets" / "vendor"
LEAFLET_FILES = {"package/dist/leaflet.js": "leaflet.js",
                 "package/dist/leaflet.css": "leaflet.css",
                 "package/LICENSE": "leaflet-LICENSE"}
#: SHA-256 of each file of the npm package ``leaflet@1.9.4`` (leaflet.js and leaflet.css
#: match the SRI hashes Leaflet publishes for 1.9.4: sha256-20nQCchB9co0qIjJZRGuk2/Z9VM+
#: kNiyxNV1lvTlZBo= and sha256-p4NxAoJBhIIN+hmNHrzRCf9tD/miZyoHS5obTRR9BMY=). A file is
#: inlined into a report only when its bytes have this hash.
LEAFLET_SHA256 = {
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "leaflet-LICENSE": "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
}
NPM_TIMEOUT_S = 180


def asset_dirs() -> list[Path]:
    """Where the Leaflet files are looked for, in order."""
    return [VENDOR_DIR, user_cache_dir() / "assets"]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_pinned(directory: Path, name: str, version: str = LEAFLET_VERSION) -> bytes:
    """The bytes of ``directory/name`` if their SHA-256 is the pinned one, else a
    one-line :class:`SupplylineError` saying why (missing, unreadable, different)."""
    want = LEAFLET_SHA256.get(name) if version == LEAFLET_VERSION else None
    if want is None:
        raise SupplylineError(f"{name}: no SHA-256 pinned for Leaflet {version}")
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SupplylineError(f"{path}: {exc.strerror or exc}") from None
    if _sha256(data) != want:
        raise SupplylineError(f"{path}: SHA-256 differs from Leaflet {version}'s (a modified "
                              "or different file; not used)")
    return data


def _valid_leaflet(directory: Path, version: str = LEAFLET_VERSION) -> bool:
    """True when leaflet.js and leaflet.css in ``directory`` are Leaflet ``version``,
    byte for byte (their SHA-256 is pinned)."""
    try:
        for name in ("leaflet.js", "leaflet.css"):
            _read_pinned(directory, name, version)
    except SupplylineError:
        return False
    return True


def fetch_leaflet(dest: Path, *, version: str = LEAFLET_VERSION,
                  timeout: float = NPM_TIMEOUT_S) -> Path:
    """``npm pack leaflet@version`` in a temp dir; extract the dist JS, CSS and LICENSE
    into ``dest``, each checked against its pinned SHA-256 before it is written. Raises
    :class:`SupplylineError` (one line) when that fails."""
    if version != LEAFLET_VERSION:
        raise SupplylineError(f"leaflet@{version}: only {LEAFLET_VERSION} is pinned")
    npm = shutil.which("npm")
    if npm is None:
        raise SupplylineError(f"cannot fetch leaflet@{version}: npm not found on PATH "
                              "(install Node.js/npm, e.g. `apt-get install -y npm`)")
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false",
               npm_config_audit="false")
    with tempfile.TemporaryDirectory(prefix="supplyline-npm-") as tmp:
        try:
            proc = subprocess.run([npm, "pack", f"leaflet@{version}", "--silent"], cwd=tmp,
                                  capture_output=True, text=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SupplylineError(f"cannot fetch leaflet@{version} with npm pack: "
                                  f"{exc}") from None
        tgz = sorted(Path(tmp).glob("leaflet-*.tgz"))
        if proc.returncode != 0 or not tgz:
            msg = " ".join((proc.stderr or proc.stdout or "no package written").split())
            raise SupplylineError(f"cannot fetch leaflet@{version} with npm pack "
                                  f"(exit {proc.returncode}): {msg[:300]}")
        files = {}
        with tarfile.open(tgz[0], "r:gz") as tar:
            for member, name in LEAFLET_FILES.items():
                try:
                    f = tar.extractfile(member)
                except KeyError:
                    f = None
                if f is None:
                    raise SupplylineError(f"leaflet@{version} package has no {member}")
                data = f.read()
                if _sha256(data) != LEAFLET_SHA256[name]:
                    raise SupplylineError(f"leaflet@{version} from npm: {member} has an "
                                          "unexpected SHA-256; not installed")
                files[name] = data
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        _write_public(dest / name, lambda p, data=data: p.write_bytes(data))
    return dest


def _write_public(path: Path, write: Callable[[Path], object]) -> None:
    """Atomic write (temp file beside ``path``, then os.replace), world-readable."""
    def writer(tmp: Path) -> None:
        write(tmp)
        os.chmod(tmp, 0o644)

    atomic_write(path, writer)


def load_leaflet(*, fetch: bool = True) -> tuple[str, str]:
    """Leaflet's JS and CSS text from the first of :func:`asset_dirs` whose files have
    the pinned SHA-256 (checked on the very bytes returned), else fetched into the user
    cache with ``npm pack`` (when ``fetch``), else a one-line :class:`SupplylineError`."""
    dirs = asset_dirs()
    why: list[str] = []
    for d in dirs:
        if not (d / "leaflet.js").exists() and not (d / "leaflet.css").exists():
            continue
        try:
            js, css = (_read_pinned(d, n) for n in ("leaflet.js", "leaflet.css"))
            return js.decode("utf-8"), _offline_css(css.decode("utf-8"))
        except SupplylineError as exc:
            log.warning("%s", exc)
            why.append(str(exc))
    if fetch:
        try:
            d = fetch_leaflet(dirs[-1])
            js, css = (_read_pinned(d, n) for n in ("leaflet.js", "leaflet.css"))
            return js.decode("utf-8"), _offline_css(css.decode("utf-8"))
        except SupplylineError as exc:
            why.append(str(exc))
    reason = f" ({'; '.join(why)})" if why else ""
    raise SupplylineError(
        f"Leaflet {LEAFLET_VERSION} (needed for HTML reports) not found in "
        f"{' or '.join(str(d) for d in dirs)}{reason}; get it with "
        "`python scripts/fetch_assets.py` (needs npm and the npm registry)")


def _offline_css(css: str) -> str:
    """Leaflet's CSS without its image and VML references (nothing is fetched)."""
    import re

    return re.sub(r"url\([^)]*\)", "none", css)


# ------------------------------------------------------------------------------ report
#: Half-width of the map's data extent around the city (km).
MAP_RADIUS_KM = 60.0
#: Simplification tolerances (m, metric CRS) for held territory, lines and boundaries.
HELD_SIMPLIFY_M = 60.0
LINE_SIMPLIFY_M = 40.0
BOUNDARY_SIMPLIFY_M = 150.0
#: Decimal places of lon/lat in the file (4 ~ 10 m).
COORD_DECIMALS = 4
MAX_PLACES = 18
PLACE_MIN_POPULATION = 5_000
MAIN_ROAD_CLASSES = ("motorway", "primary", "secondary")
ROAD_WEIGHTS = {"motorway": 4.0, "primary": 3.0, "secondary": 1.8}
RAIL_WEIGHT = 3.2
HUB_COLOURS = ("#1565c0", "#8e24aa", "#00838f", "#3949ab", "#6d4c41")
HELD_FILL = "#8c2d19"
MISSING_FILL = "#d9d9d9"
ATTRIBUTION = ("Control: DeepStateMap · Network: © EuroGeographics (EuroGlobalMap) · "
               "Boundaries: © OpenStreetMap contributors · Places: GeoNames · "
               f"Map library: Leaflet {LEAFLET_VERSION} (BSD-2-Clause)")
ATTRIBUTION_SHORT = "DeepStateMap · © EuroGeographics · © OpenStreetMap contributors · GeoNames"
BAND_NOTE = ("Threat bands are assumed reach distances from held territory "
             "(strategic scale), not measurements.")


def _band_colours(profile: ThreatProfile) -> list[str]:
    """Colour per band index: held, each band (nearest first), beyond."""
    try:
        from .maps import band_colours

        return list(band_colours(profile))
    except Exception:  # pragma: no cover - maps is optional here
        ramp = ["#c0152a", "#f4511e", "#fb9a29", "#e9c21f"]
        n = len(profile.bands)
        mid = [ramp[min(len(ramp) - 1, round(i * (len(ramp) - 1) / max(n - 1, 1)))]
               for i in range(n)]
        return ["#2b1b17", *mid, "#7f9c83"]


def _status_colour(status: str, profile: ThreatProfile, colours: list[str]) -> str:
    if not isinstance(status, str) or not status or status == "nan":
        return MISSING_FILL
    if status == "cut":
        return colours[0]
    if status == "open":
        return colours[-1]
    for i, b in enumerate(profile.bands):
        if status == f"under fire ({b.name})":
            return colours[i + 1]
    return MISSING_FILL


def _lonlat(geom: Any) -> Any:
    """Metric-CRS geometry to lon/lat (vectorised)."""
    def tr(xy: np.ndarray) -> np.ndarray:
        lon, lat = lonlat_xy(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, tr)


def _latlngs(coords: np.ndarray) -> list[list[float]]:
    return np.round(np.asarray(coords)[:, ::-1], COORD_DECIMALS).tolist()


def _parts(geom: Any, type_id: int) -> list:
    """Single parts of one geometry type (collections unpacked)."""
    if geom is None or shapely.is_empty(geom):
        return []
    parts = shapely.get_parts(geom)
    while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts = shapely.get_parts(parts)
    return [p for p in parts if shapely.get_type_id(p) == type_id and not p.is_empty]


def _encode_lines(geom_ll: Any) -> list[list[list[float]]]:
    out = []
    for line in _parts(geom_ll, 1):
        xy = shapely.get_coordinates(line)
        if len(xy) >= 2:
            out.append(_latlngs(xy))
    return out


def _encode_polygons(geom_ll: Any) -> list[list[list[list[float]]]]:
    out = []
    for poly in _parts(geom_ll, 3):
        rings = []
        for ring in (poly.exterior, *poly.interiors):
            xy = shapely.get_coordinates(ring)
            if len(xy) >= 4:
                rings.append(_latlngs(xy[:-1]))  # Leaflet closes rings itself
        if rings and len(poly.exterior.coords) >= 4:
            out.append(rings)
    return out


def _frame_indices(n: int, step_days: int) -> list[int]:
    idx = list(range(0, n, step_days))
    if idx and idx[-1] != n - 1:
        idx.append(n - 1)
    return idx


def _fmt(x: Any, nd: int = 1, unit: str = "") -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(v):
        return "—"
    return f"{v:.{nd}f}{unit}"


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


# ------------------------------------------------------------------------------ charts
CHART_W, CHART_H = 560.0, 190.0
CHART_L, CHART_R, CHART_T, CHART_B = 46.0, 14.0, 36.0, 24.0
RING_COLOURS = ("#b2182b", "#ef8a62", "#67a9cf", "#2166ac", "#5e3c99", "#1b7837")
MODE_COLOURS = {"road": "#37474f", "rail": "#8e24aa"}
CORRIDOR_COLOUR = "#00796b"


class _XScale:
    """Dates to chart x (shared by every chart so one cursor x fits all)."""

    def __init__(self, d0: pd.Timestamp, d1: pd.Timestamp) -> None:
        self.d0, self.d1 = d0, d1
        self.span = max((d1 - d0).days, 1)

    def __call__(self, d: Any) -> float:
        k = (pd.Timestamp(d) - self.d0).days / self.span
        return round(CHART_L + k * (CHART_W - CHART_L - CHART_R), 2)

    def day_width(self) -> float:
        return (CHART_W - CHART_L - CHART_R) / self.span

    def ticks(self) -> list[tuple[pd.Timestamp, str]]:
        days = self.span
        if days <= 45:
            rng = pd.date_range(self.d0, self.d1, freq="7D")
            return [(t, t.strftime("%d %b")) for t in rng]
        months = pd.date_range(self.d0.to_period("M").to_timestamp(), self.d1, freq="MS")
        months = [m for m in months if m >= self.d0]
        every = max(1, math.ceil(len(months) / 7))
        return [(m, m.strftime("%b %Y" if m.month == 1 or i == 0 else "%b"))
                for i, m in enumerate(months) if i % every == 0]


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def _fmt_tick(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1 or v == 0 else f"{v:.2g}"


class _Chart:
    def __init__(self, cid: str, title: str, xs: _XScale, ylo: float, yhi: float,
                 unit: str = "") -> None:
        self.cid, self.title, self.xs = cid, title, xs
        self.ylo, self.yhi = ylo, (yhi if yhi > ylo else ylo + 1)
        self.unit = unit
        self.body: list[str] = []
        self.legend: list[tuple[str, str, str]] = []  # (colour, label, kind)

    def y(self, v: float) -> float:
        k = (v - self.ylo) / (self.yhi - self.ylo)
        return round(CHART_H - CHART_B - k * (CHART_H - CHART_T - CHART_B), 2)

    def line(self, dates: Sequence, values: np.ndarray, colour: str, label: str,
             width: float = 2.0, dash: str = "") -> None:
        """A polyline broken at NaN values (missing days are gaps, not interpolated)."""
        segs, cur = [], []
        for d, v in zip(dates, values, strict=True):
            if v is None or not np.isfinite(v):
                if cur:
                    segs.append(cur)
                cur = []
                continue
            cur.append(f"{self.xs(d)},{self.y(float(v))}")
        if cur:
            segs.append(cur)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for s in segs:
            if len(s) == 1:
                x, y = s[0].split(",")
                self.body.append(f'<circle class="series" cx="{x}" cy="{y}" r="1.8" '
                                 f'fill="{colour}"/>')
            else:
                self.body.append(f'<polyline class="series" points="{" ".join(s)}" fill="none" '
                                 f'stroke="{colour}" stroke-width="{width}"{dash_attr} '
                                 'stroke-linejoin="round"/>')
        self.legend.append((colour, label, "line"))

    def hline(self, v: float, colour: str, label: str) -> None:
        if not (self.ylo <= v <= self.yhi):
            return
        y = self.y(v)
        self.body.append(f'<line x1="{CHART_L}" x2="{CHART_W - CHART_R}" y1="{y}" y2="{y}" '
                         f'stroke="{colour}" stroke-width="1" stroke-dasharray="4 3"/>')
        self.body.append(f'<text x="{CHART_W - CHART_R - 2}" y="{y - 2}" text-anchor="end" '
                         f'class="note" fill="{colour}">{_esc(label)}</text>')

    def render(self, *, yticks: bool = True) -> str:
        xs = self.xs
        g = [f'<svg class="chart" id="{self.cid}" viewBox="0 0 {CHART_W:g} {CHART_H:g}" '
             f'role="img" aria-label="{_esc(self.title)}">',
             f'<text x="4" y="13" class="title">{_esc(self.title)}</text>']
        x0, x1 = CHART_L, CHART_W - CHART_R
        y0, y1 = CHART_T, CHART_H - CHART_B
        g.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
                 'fill="#fafafa" stroke="#ccc"/>')
        if yticks:
            for v in _nice_ticks(self.ylo, self.yhi):
                y = self.y(v)
                g.append(f'<line x1="{x0}" x2="{x1}" y1="{y}" y2="{y}" stroke="#e6e6e6"/>')
                g.append(f'<text x="{x0 - 4}" y="{y + 3.5}" text-anchor="end" '
                         f'class="tick">{_fmt_tick(v)}</text>')
        for t, lab in xs.ticks():
            x = xs(t)
            g.append(f'<line x1="{x}" x2="{x}" y1="{y0}" y2="{y1 + 3}" stroke="#e6e6e6"/>')
            g.append(f'<text x="{x}" y="{y1 + 14}" text-anchor="middle" '
                     f'class="tick">{_esc(lab)}</text>')
        g.extend(self.body)
        # legend: its own row under the title, right-aligned
        lx = x1
        for colour, label, kind in reversed(self.legend):
            w = 6 * len(label) + 26
            lx -= w
            if kind == "line":
                g.append(f'<line x1="{lx}" x2="{lx + 14}" y1="24" y2="24" stroke="{colour}" '
                         'stroke-width="2.5"/>')
            else:
                g.append(f'<rect x="{lx}" y="19" width="12" height="10" fill="{colour}"/>')
            g.append(f'<text x="{lx + 17}" y="28" class="legend">{_esc(label)}</text>')
        g.append(f'<line class="cursor" x1="{x1}" x2="{x1}" y1="{y0}" y2="{y1}" '
                 'stroke="#111" stroke-width="1.5"/>')
        g.append("</svg>")
        return "\n".join(g)


def _status_strip(xs: _XScale, days: pd.DataFrame, modes: list[str],
                  profile: ThreatProfile, colours: list[str]) -> str:
    ch = _Chart("chart-status", "Route status, best of the rear hubs (per mode)", xs, 0, 1)
    dw = xs.day_width()
    row_h = (CHART_H - CHART_T - CHART_B - 10) / max(len(modes), 1)
    seen: dict[str, str] = {}
    for k, mode in enumerate(modes):
        col = f"{mode}_status"
        y = CHART_T + 5 + k * row_h
        ch.body.append(f'<text x="{CHART_L - 4}" y="{y + row_h / 2 + 4}" text-anchor="end" '
                       f'class="tick">{mode}</text>')
        for d, missing, st in zip(days["date"], days["data_missing"].astype(bool),
                                  days[col] if col in days else [None] * len(days),
                                  strict=True):
            label = "no data" if missing else str(st)
            c = MISSING_FILL if missing else _status_colour(st, profile, colours)
            seen.setdefault(label, c)
            x = xs(d) - dw / 2
            ch.body.append(f'<rect class="series" x="{x:.2f}" y="{y:.2f}" '
                           f'width="{dw + 0.3:.2f}" '
                           f'height="{row_h - 6:.2f}" fill="{c}"><title>{_esc(d.date())} '
                           f'{mode}: {_esc(label)}</title></rect>')
    order = ["cut", *[f"under fire ({b.name})" for b in profile.bands], "open", "no data"]
    ch.legend = [(seen[s], s.replace("under fire ", "fire "), "box") for s in order if s in seen]
    return ch.render(yticks=False)


def _charts(days: pd.DataFrame, profile: ThreatProfile, colours: list[str], radii: list[str],
            event_dates: list[tuple[str, str]]) -> tuple[str, _XScale]:
    dates = list(days["date"])
    xs = _XScale(dates[0], dates[-1])
    obs = ~days["data_missing"].astype(bool).to_numpy()

    def col(name: str) -> np.ndarray:
        if name not in days:
            return np.full(len(days), np.nan)
        v = pd.to_numeric(days[name], errors="coerce").to_numpy(dtype=float)
        return np.where(obs, v, np.nan)

    out = []
    dist = col("distance_to_held_km")
    hi = np.nanmax(dist) if np.isfinite(dist).any() else 10.0
    ch = _Chart("chart-distance", "Distance from the city centre to held territory (km)",
                xs, 0, max(hi * 1.1, 1.0))
    for i, b in enumerate(profile.bands):
        ch.hline(b.max_km, colours[i + 1], f"{b.name} {b.max_km:g} km")
    ch.line(dates, dist, "#b71c1c", "distance")
    for d, label in event_dates:
        x = xs(pd.Timestamp(d))
        ch.body.append(f'<path class="event-mark" d="M{x - 4},{CHART_T} h8 l-4,6 z" '
                       f'fill="#444"><title>{_esc(d)}: {_esc(label)}</title></path>')
    out.append(ch.render())

    ch = _Chart("chart-rings", "Ring occupancy: held share of the circle at each radius (%)",
                xs, 0, 100)
    for i, r in enumerate(radii):
        ch.line(dates, col(f"ring_held_share_{r}km") * 100, RING_COLOURS[i % len(RING_COLOURS)],
                f"{r} km")
    out.append(ch.render())

    modes = [m for m in ("road", "rail") if f"{m}_status" in days]
    out.append(_status_strip(xs, days, modes, profile, colours))

    clear = {m: col(f"{m}_best_min_clearance_km") for m in modes}
    hi = max([np.nanmax(v) for v in clear.values() if np.isfinite(v).any()] or [10.0])
    ch = _Chart("chart-clearance", "Safest route: closest approach to held territory (km)",
                xs, 0, max(hi * 1.1, 1.0))
    for i, b in enumerate(profile.bands):
        ch.hline(b.max_km, colours[i + 1], f"{b.name} {b.max_km:g} km")
    for m, v in clear.items():
        ch.line(dates, v, MODE_COLOURS.get(m, "#555"), m)
    out.append(ch.render())

    cor = col("corridor_width_km")
    hi = np.nanmax(cor) if np.isfinite(cor).any() else 10.0
    ch = _Chart("chart-corridor", "Corridor width to the rear: open ground (km)", xs, 0,
                max(hi * 1.1, 1.0))
    ch.line(dates, cor, CORRIDOR_COLOUR, "corridor")
    out.append(ch.render())

    area_cols = [c for c in days.columns if c.startswith("held_area_")]
    if area_cols:
        a = col(area_cols[0])
        r = area_cols[0].removeprefix("held_area_").split("km")[0]
        lo = np.nanmin(a) if np.isfinite(a).any() else 0.0
        hi = np.nanmax(a) if np.isfinite(a).any() else 1.0
        pad = max((hi - lo) * 0.1, 1.0)
        ch = _Chart("chart-area", f"Held area within {r} km of the centre (km²)", xs,
                    max(lo - pad, 0.0), hi + pad)
        ch.line(dates, a, HELD_FILL, "held area")
        out.append(ch.render())
    return "\n".join(out), xs


# ------------------------------------------------------------------------------ tables
def _events_html(events: list[dict]) -> str:
    if not events:
        return '<p class="muted">No events in this range.</p>'
    rows = []
    for e in events:
        rows.append(f'<tr data-date="{_esc(e["date"])}"><td class="nowrap">{_esc(e["date"])}'
                    f'</td><td>{_esc(str(e["kind"]).replace("_", " "))}</td>'
                    f'<td>{_esc(e["subject"])}</td><td>{_esc(e["detail"])}</td></tr>')
    return ('<table id="events"><thead><tr><th>Date</th><th>Event</th><th>Subject</th>'
            '<th>Detail</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _forecasts_html(forecasts: list[dict]) -> str:
    if not forecasts:
        return '<p class="muted">No forecast: too few observed days in this range.</p>'
    rows = []
    for f in forecasts:
        bt = f.get("backtest") or {}
        p = bt.get("error_p10_p90_days")
        rng = f"{_fmt(p[0], 0)} to {_fmt(p[1], 0)}" if p else "—"
        cov = bt.get("coverage")
        n_cov = int(bt.get("coverage_cases") or 0)
        cov_s = (f"{cov * 100:.0f} % of {n_cov}" if cov is not None else "—")
        if cov is not None and n_cov >= 5 and cov < 0.6:
            cov_s += '<br><span class="muted">too narrow for an 80 % range</span>'
        med = bt.get("median_abs_error_days")
        med_s = f"{med:g}" if med is not None else "—"
        base = bt.get("baselines") or {}
        if base.get("dates"):
            mae, sk = base["mae_days"], base["skill"]
            base_s = (f'{_fmt(mae["trend"], 0)} / {_fmt(mae["no_change"], 0)} / '
                      f'{_fmt(mae["straight_line_30d"], 0)}<br><span class="muted">'
                      f'{int(base["dates"])} dates</span>')
            skill_s = " / ".join("—" if sk[k] is None else f"{sk[k]:+.2f}"
                                 for k in ("no_change", "straight_line_30d"))
        else:
            base_s = skill_s = "—"
        if f.get("shown") and f.get("forecast"):
            fc = f["forecast"]
            if fc.get("eta"):
                lo, hi = (fc.get("eta_range") or [None, None])[:2]
                what = (f'<b>{_esc(fc["eta"])}</b> <span class="muted">(80 % range '
                        f'{_esc(lo or "—")} to {_esc(hi or "beyond horizon")}; from '
                        f'{_esc(fc.get("date", ""))})</span>')
                rc = fc.get("range_coverage")
                if rc:
                    what += f'<br><span class="muted">range: {_esc(rc["note"])}</span>'
                if f.get("calibrated_range"):
                    clo, chi = f["calibrated_range"]
                    what += (f'<br><span class="muted">calibrated on earlier errors: '
                             f'{_esc(clo)} to {_esc(chi)}</span>')
            else:
                what = _esc(fc.get("note") or "no crossing forecast")
            cls = "shown"
        else:
            what = (f'<span class="withheld">withheld</span> <span class="muted">'
                    f'{_esc(f.get("withheld") or "no backtest")}</span>')
            cls = "withheld-row"
        rows.append(f'<tr class="{cls}"><td>{_esc(f.get("quantity", ""))}</td><td>{what}</td>'
                    f'<td class="num">{int(bt.get("scored") or 0)}</td>'
                    f'<td class="num">{med_s}</td><td class="num">{rng}</td>'
                    f'<td class="num">{cov_s}</td>'
                    f'<td class="num">{base_s}</td><td class="num">{skill_s}</td>'
                    f'<td class="num">{int(bt.get("false_alarms") or 0)}</td>'
                    f'<td class="num">{int(bt.get("missed") or 0)}</td></tr>')
    return ('<table id="forecasts"><thead><tr><th>Quantity</th><th>Forecast date</th>'
            '<th>Scored cases</th><th>Median abs. error (days)</th>'
            '<th>80 % error range (days)</th><th>Real coverage of the 80 % range</th>'
            '<th>Mean error: trend / no change / straight line (days)</th>'
            '<th>Skill vs no change / straight line</th>'
            '<th>False alarms</th><th>Missed</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _trends_html(tr: dict) -> str:
    if not tr:
        return ""
    parts = []
    a = tr.get("approach_km_per_day")
    if a is not None:
        lo, hi = (tr.get("approach_range") or [None, None])[:2]
        parts.append(f"held territory approaches the centre at <b>{_fmt(a, 3)} km/day</b> "
                     f"(80 %: {_fmt(lo, 3)} to {_fmt(hi, 3)})")
    s = tr.get("area_km2_per_day")
    if s is not None:
        parts.append(f"held area near the city changes by <b>{_fmt(s, 2)} km²/day</b>")
    out = (f'<p>Trend over the {int(tr.get("window_days", 0))} days before '
           f'{_esc(tr.get("date", ""))}: ' + "; ".join(parts) + ".</p>") if parts else ""
    routes = tr.get("routes") or []
    if routes:
        rows = "".join(f'<tr><td>{_esc(r["mode"])}</td><td>{_esc(r["hub"])}</td>'
                       f'<td class="num">{_fmt(r.get("clearance_km_per_day"), 3)}</td>'
                       f'<td>{"shrinking" if r.get("shrinking") else "—"}</td></tr>'
                       for r in routes)
        out += ('<table class="compact"><thead><tr><th>Mode</th><th>Hub</th>'
                '<th>Safest-route clearance change (km/day)</th><th></th></tr></thead>'
                f"<tbody>{rows}</tbody></table>")
    return out


def _day_panel(row: pd.Series, rts: pd.DataFrame, held_day: dt.date, exact: bool,
               profile: ThreatProfile, colours: list[str], radii: list[str]) -> str:
    """HTML of the side panel for one date (all text escaped)."""
    date = row["date"].date()
    lines = [f'<h3>{_esc(date)}</h3>']
    if not exact:
        lines.append(f'<p class="warn">No control data for this day: map shows {held_day}, '
                     "the last known day before it; no metrics.</p>")
    if bool(row.get("data_missing", False)):
        return "\n".join(lines)
    if bool(row.get("centre_held")):
        lines.append('<p><b>City centre held.</b></p>')
    else:
        d = _fmt(row.get("distance_to_held_km"), 1)
        lines.append(f"<p>Centre to held territory: <b>{d} km</b></p>")
    rings = " · ".join(
        f"{r} km: {_fmt(100 * float(row.get(f'ring_held_share_{r}km', np.nan)), 0)} %"
        for r in radii)
    lines.append(f'<p>Rings held: {rings}</p>')
    lines.append(f'<p>Open-ground corridor: <b>{_fmt(row.get("corridor_width_km"), 1)} km</b></p>')
    if len(rts):
        trs = []
        for _, r in rts.iterrows():
            c = _status_colour(r["status"], profile, colours)
            trs.append(f'<tr><td>{_esc(r["mode"])}</td><td>{_esc(r["hub"])}</td>'
                       f'<td><span class="sw" style="background:{c}"></span>'
                       f'{_esc(r["status"])}</td>'
                       f'<td class="num">{_fmt(r.get("safest_min_clearance_km"), 1)}</td>'
                       f'<td class="num">{_fmt(r.get("safest_length_km"), 0)}</td></tr>')
        lines.append('<table class="compact"><thead><tr><th>Mode</th><th>To hub</th>'
                     '<th>Status</th><th>Clear km</th><th>Length km</th></tr></thead>'
                     f'<tbody>{"".join(trs)}</tbody></table>')
    return "\n".join(lines)


# ------------------------------------------------------------------------------ map data
def _pick_places(ws: Workspace, box: Any, exclude: list[tuple[float, float]], n: int = MAX_PLACES,
                 min_sep_m: float = 6000.0) -> list[dict]:
    g = ws.gazetteer
    pl = g.places
    xy = g.xy
    x0, y0, x1, y1 = shapely.bounds(box)
    ok = ((xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
          & (pl["population"].to_numpy() >= PLACE_MIN_POPULATION))
    if "source" in pl:
        ok &= pl["source"].to_numpy() == "geonames"
    idx = np.flatnonzero(ok)
    idx = idx[np.argsort(-pl["population"].to_numpy()[idx], kind="stable")]
    taken = [np.asarray(p) for p in exclude]
    names: set[str] = set()
    out = []
    for i in idx:
        p = xy[i]
        name = str(pl["name"].iat[i])
        if name in names or name.lower().startswith(("rayon ", "raion ")):
            continue
        if any(np.hypot(*(p - q)) < min_sep_m for q in taken):
            continue
        taken.append(p)
        names.add(name)
        lon, lat = lonlat_xy(p[0], p[1])
        out.append({"name": name, "lat": round(float(lat), 5), "lng": round(float(lon), 5),
                    "pop": int(pl["population"].iat[i])})
        if len(out) >= n:
            break
    return out


def _line_groups(ws: Workspace, box: Any, frames_held: list,
                 profile: ThreatProfile) -> list[dict]:
    """Main roads and railways in ``box``, merged into groups of edges with the same class
    and the same band on every frame; each group has one band digit per frame."""
    from ..core.exposure import HeldIndex
    from ..core.routes import EdgeExposure

    clip = shapely.buffer(box, profile.cap_m + 5000, join_style="mitre")
    per_mode: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    for mode in ("road", "rail"):
        net = ws.network(mode)
        ids = np.sort(net.edge_tree.query(box, predicate="intersects"))
        if mode == "road":
            ids = ids[np.isin(net.attr["cls"][ids], MAIN_ROAD_CLASSES)]
        per_mode[mode] = (ids, [])
    indexes: dict[int, HeldIndex] = {}
    for geom in frames_held:
        key = id(geom)
        if key not in indexes:
            indexes[key] = HeldIndex.build(geom, clip=clip)
        idx = indexes[key]
        for mode, (ids, bands) in per_mode.items():
            if len(ids) == 0:
                bands.append(np.empty(0, np.int64))
                continue
            bands.append(EdgeExposure.compute(ws.network(mode), idx, profile, ids).band
                         if len(idx.polygons) else
                         np.full(len(ids), len(profile.bands) + 1, np.int64))
    groups = []
    for mode, (ids, bands) in per_mode.items():
        if len(ids) == 0:
            continue
        net = ws.network(mode)
        cls = net.attr["cls"][ids] if mode == "road" else np.full(len(ids), "rail", object)
        B = np.stack(bands, axis=1) if bands else np.zeros((len(ids), 0), np.int64)
        keys = ["".join(chr(48 + int(b)) for b in row) for row in B]  # '0' = held
        table: dict[tuple[str, str], list[int]] = {}
        for j, (c, kstr) in enumerate(zip(cls, keys, strict=True)):
            table.setdefault((str(c), kstr), []).append(j)
        for (c, kstr), members in table.items():
            geom = shapely.line_merge(shapely.multilinestrings(net.geoms[ids[members]]))
            geom = shapely.intersection(shapely.simplify(geom, LINE_SIMPLIFY_M), box)
            coords = _encode_lines(_lonlat(geom))
            if coords:
                groups.append({"m": mode, "k": c, "b": kstr, "c": coords})
    order = {"rail": 0, "secondary": 1, "primary": 2, "motorway": 3}
    groups.sort(key=lambda g: order.get(g["k"], 1))
    return groups


# ------------------------------------------------------------------------------ build
def build_report(ws: Workspace, city: str, start: str | dt.date | None, end: str | dt.date | None,
                 output: str | Path, *, step_days: int = 7, progress: Any = None) -> dict:
    """Write ONE self-contained offline HTML report for ``city`` from ``start`` to ``end``.

    Returns ``{"path", "bytes", "dates", ...}``: the output path, its size in bytes and the
    number of dates on the slider (every ``step_days`` days, always including the last).
    """
    from ..analysis.summary import timeline_analysis

    t0 = time.perf_counter()
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise SupplylineError(f"{output}: report output must end in .html "
                              f"(got {output.suffix or 'no suffix'})")
    if not isinstance(step_days, int) or step_days < 1:
        raise SupplylineError(f"step {step_days!r} days: expected an integer >= 1")
    leaflet_js, leaflet_css = load_leaflet()  # fail fast, before the long computation

    res = timeline_analysis(ws, [city], start, end, progress=progress)
    t_timeline = time.perf_counter() - t0
    tl = res["timeline"]
    place = tl.cities[0]
    days = tl.city(place.ident or place.name).sort_values("date").reset_index(drop=True)
    hub_ids = [h for v in days.get("hubs", pd.Series(dtype=str)).dropna()
               for h in str(v).split(";") if h]
    hubs = [ws.find(h).place for h in dict.fromkeys(hub_ids)]
    if not len(days):
        raise SupplylineError(f"{place.name}: no days between {start} and {end}")
    routes = tl.city_routes(place.ident or place.name)
    events = [e for e in res["events"] if e.get("city_id") == (place.ident or place.name)]
    summary = res["cities"].get(place.name, {})
    profile = ws.profile
    colours = _band_colours(profile)
    radii = [c.removeprefix("ring_held_share_").removesuffix("km") for c in days.columns
             if c.startswith("ring_held_share_")]

    # ---- frames
    fidx = _frame_indices(len(days), step_days)
    hist = ws.history
    cxy = np.asarray(place.xy)
    r = MAP_RADIUS_KM * 1000
    box = shapely.box(cxy[0] - r, cxy[1] - r, cxy[0] + r, cxy[1] + r)
    task = progress.add_task("Report frames", total=len(fidx)) if progress else None
    held_by_day: dict[dt.date, object] = {}
    frames_held, frame_meta = [], []
    for i in fidx:
        d = days["date"].iloc[i].date()
        h = hist.held(d)
        frame_meta.append((i, d, h.date, h.exact))
        if h.date not in held_by_day:
            held_by_day[h.date] = h.geometry
        frames_held.append(held_by_day[h.date])
    t1 = time.perf_counter()
    groups = _line_groups(ws, box, frames_held, profile)
    t_lines = time.perf_counter() - t1

    held_shapes: list = []
    held_key: dict[dt.date, int] = {}
    frames = []
    chart_svg, xs = _charts(days, profile, colours, radii,
                            [(e["date"], f'{e["kind"].replace("_", " ")}: {e["subject"]}')
                             for e in events])
    for (i, d, hd, exact) in frame_meta:
        if hd not in held_key:
            g = shapely.intersection(shapely.simplify(
                shapely.clip_by_rect(held_by_day[hd], *shapely.bounds(box)), HELD_SIMPLIFY_M),
                box)
            held_key[hd] = len(held_shapes)
            held_shapes.append(_encode_polygons(_lonlat(g)))
        row = days.iloc[i]
        rts = (routes[routes["date"] == row["date"]] if len(routes) else routes)
        frames.append({"date": str(d), "data_date": str(hd), "exact": bool(exact),
                       "missing": bool(row.get("data_missing", False)),
                       "h": held_key[hd], "x": xs(row["date"]),
                       "panel": _day_panel(row, rts, hd, exact, profile, colours, radii)})
        if progress:
            progress.advance(task)

    # ---- static context
    view = shapely.bounds(_lonlat(box))
    hub_pts = []
    for k, h in enumerate(hubs):
        b, km = ws.bearing_km(place, h)
        hub_pts.append({"name": h.name, "lat": round(h.lat, 5), "lng": round(h.lon, 5),
                        "colour": HUB_COLOURS[k % len(HUB_COLOURS)],
                        "note": f"rear hub, {km:.0f} km from {place.name}"})
    obl = []
    wide = shapely.buffer(box, 20_000, join_style="mitre")
    for o in ws.gazetteer.oblasts:
        g = shapely.intersection(shapely.boundary(o.geometry), wide)
        if not g.is_empty:
            obl.extend(_encode_lines(_lonlat(shapely.simplify(g, BOUNDARY_SIMPLIFY_M))))
    places = _pick_places(ws, box, [place.xy, *[h.xy for h in hubs]])
    band_labels = (["held"] + [f"{b.name} (≤ {b.max_km:g} km)" for b in profile.bands]
                   + [f"beyond {profile.bands[-1].max_km:g} km"])
    data = {
        "city": {"name": place.name, "lat": round(place.lat, 5), "lng": round(place.lon, 5)},
        "hubs": hub_pts, "places": places, "oblasts": obl,
        "view": [[view[1], view[0]], [view[3], view[2]]],
        "colours": colours, "band_labels": band_labels, "held": held_shapes, "lines": groups,
        "frames": frames, "weights": ROAD_WEIGHTS | {"rail": RAIL_WEIGHT},
        "held_fill": HELD_FILL, "attribution": ATTRIBUTION_SHORT, "step_days": step_days,
    }
    page = _page(place, hubs, days, summary, events, chart_svg, data, leaflet_js, leaflet_css,
                 profile, colours, band_labels)
    _write_public(output, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    size = output.stat().st_size
    return {"path": str(output), "bytes": size, "dates": len(frames),
            "city": place.name, "range": [str(days["date"].iloc[0].date()),
                                          str(days["date"].iloc[-1].date())],
            "hubs": [h.name for h in hubs], "events": len(events),
            "forecasts": [{"quantity": f.get("quantity"), "shown": bool(f.get("shown"))}
                          for f in summary.get("forecasts") or []],
            "line_groups": len(groups), "held_shapes": len(held_shapes),
            "seconds": {"timeline": round(t_timeline, 2), "map_lines": round(t_lines, 2),
                        "total": round(time.perf_counter() - t0, 2)}}


def _json_script(obj: Any) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` as
    JSON escapes, so no data-derived string can close the block or look like markup."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline_js(js: str) -> str:
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def _page(place: Place, hubs: list[Place], days: pd.DataFrame, summary: dict,
          events: list[dict], chart_svg: str, data: dict, leaflet_js: str, leaflet_css: str,
          profile: ThreatProfile, colours: list[str], band_labels: list[str]) -> str:
    first, last = days["date"].iloc[0].date(), days["date"].iloc[-1].date()
    n_missing = int(days["data_missing"].astype(bool).sum())
    title = f"{place.name} — supply lines {first} to {last}"
    oblast = f", {place.oblast}" if getattr(place, "oblast", "") else ""
    hub_txt = ", ".join(h.name for h in hubs) or "none found"
    legend = []
    legend.append('<div><span class="sw held"></span>held territory</div>')
    legend.append('<div class="lh">Main roads and railways, by distance to held territory '
                  'on the date:</div>')
    for c, lab in zip(colours, band_labels, strict=True):
        legend.append(f'<div><span class="ln" style="background:{c}"></span>{_esc(lab)}</div>')
    legend.append('<div><span class="ln rail"></span>railway (dashed white)</div>')
    legend.append('<div><span class="dot city"></span>city · <span class="dot hub"></span>'
                  'rear hub · <span class="dot place"></span>place</div>')
    legend.append('<div><span class="ln obl"></span>oblast boundary</div>')
    legend.append('<div><span class="sw mask"></span>outside the mapped extent '
                  f'(±{MAP_RADIUS_KM:g} km)</div>')
    n = len(data["frames"])
    body = f"""<header>
<h1>{_esc(place.name)}{_esc(oblast)}: supply lines and held territory</h1>
<p class="sub">{_esc(first)} to {_esc(last)} · rear hubs (fixed on the first day):
{_esc(hub_txt)} · {len(days)} days, {n_missing} without control data ·
map dates every {int(data["step_days"])} days and the last day</p>
</header>
<section id="controls">
<button id="play" type="button" title="Play / pause">▶</button>
<input id="slider" type="range" min="0" max="{n - 1}" step="1" value="{n - 1}"
 aria-label="Date">
<span id="date-label" aria-live="polite"></span>
</section>
<section id="top">
<div id="map"></div>
<aside id="side"><div id="day-panel"></div>
<h3>Legend</h3><div id="legend">{"".join(legend)}</div></aside>
</section>
<section id="charts">{chart_svg}</section>
<section><h2>Events</h2>
<p class="muted">A change counts when it persists 3 observed days; the date is its first
day. Events after the selected date are greyed.</p>
{_events_html(events)}</section>
<section><h2>Forecasts and their backtests</h2>
<p class="muted">A forecast is shown only with a backtest of at least 5 scored cases and
only when, on the same past dates, it beats two naive baselines: no change, and a straight
line through the last 30 days (mean error in days to the crossing, "none within 365 days"
counting as 365; skill = 1 &minus; trend's mean error / baseline's); otherwise it is
withheld with the reason. Errors are forecast minus actual date, over past dates of this
range; the real coverage is the share of actual dates that fell inside the trend's 80 %
range (it should be near 80 %).</p>
{_forecasts_html(summary.get("forecasts") or [])}
<h2>Trends</h2>{_trends_html(summary.get("trends") or {})}</section>
<footer><p>{_esc(ATTRIBUTION)}</p><p class="muted">{_esc(BAND_NOTE)} Map: held territory
within {MAP_RADIUS_KM:g} km of the city, simplified to {HELD_SIMPLIFY_M:g} m; main roads
(motorway, primary, secondary) and railways coloured by their band on the selected date.
No basemap. Generated by supplyline on {_esc(dt.date.today())}.</p></footer>"""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{_esc(title)}</title>
<style>{leaflet_css}</style>
<style>{_CSS}</style>
</head><body>
{body}
<script id="report-data" type="application/json">{_json_script(data)}</script>
<script>{_inline_js(leaflet_js)}</script>
<script>{_JS}</script>
</body></html>
"""


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:1400px;padding:8px 18px;color:#222;background:#fff}
h1{font-size:22px;margin:6px 0 2px}h2{font-size:17px;margin:18px 0 6px}
h3{font-size:15px;margin:4px 0}
.sub,.muted{color:#666}.muted{font-size:12.5px}.warn{color:#a15c00}
#controls{display:flex;align-items:center;gap:12px;margin:8px 0;position:sticky;top:0;
background:#fff;z-index:1000;padding:6px 0;border-bottom:1px solid #eee}
#slider{flex:1}#date-label{font-weight:bold;font-size:17px;min-width:260px}
#play{font-size:15px;width:36px;height:30px}
#top{display:flex;gap:14px;align-items:stretch}
#map{flex:1;height:660px;border:1px solid #bbb;background:#f4f3ee}
#side{width:380px;font-size:13px}
#side p{margin:3px 0}
.sw{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;
border:1px solid #0003}
.sw.held{background:#8c2d1959;border-color:#5e1a0c}
.ln{display:inline-block;width:22px;height:4px;margin-right:6px;vertical-align:3px}
.ln.rail{background:repeating-linear-gradient(90deg,#555 0 5px,#fff 5px 9px);
border:1px solid #555;height:3px}
.ln.obl{border-top:2px dashed #8a8a8a;height:0}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;vertical-align:-1px;
margin-right:3px}
.dot.city{background:#fff;border:2.5px solid #000;width:7px;height:7px}
.dot.hub{background:#1565c0;border:1.5px solid #fff;outline:1px solid #1565c0}
.dot.place{background:#333;width:6px;height:6px}
#legend div{margin:2px 0}#legend .lh{color:#555;margin-top:6px}
.sw.mask{background:#e9e9e6;border-color:#999}
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:6px 16px;
margin-top:12px}
svg.chart{width:100%;height:auto;font-family:inherit}
svg.chart .title{font-size:13px;font-weight:600;fill:#222}
svg.chart .tick{font-size:10px;fill:#555}
svg.chart .legend{font-size:10.5px;fill:#333}
svg.chart .note{font-size:9.5px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right}.nowrap{white-space:nowrap}
table.compact td,table.compact th{padding:2px 5px;font-size:12px}
#events tr.future td{color:#aaa}
#events tr.now td{background:#fff6d6}
.withheld{font-weight:bold;color:#8a5a00}
footer{margin-top:20px;border-top:1px solid #ddd;padding-top:6px;font-size:12.5px}
.leaflet-tooltip.lbl{background:none;border:0;box-shadow:none;padding:0 2px;
color:#222;font-size:12px;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}
.leaflet-tooltip.lbl:before{display:none}
.leaflet-tooltip.lbl.city{font-size:15px;font-weight:bold}
.leaflet-tooltip.lbl.hub{font-size:13px;font-weight:bold}
.leaflet-tooltip.lbl.small{font-size:11px;color:#444}
.map-btns button{display:block;width:100%;font-size:12px;padding:3px 6px;cursor:pointer;
background:#fff;border:0;border-bottom:1px solid #ccc}
.map-date{background:#fffd;padding:3px 8px;font-weight:bold;font-size:15px;
border-radius:4px;box-shadow:0 1px 4px #0004}
"""

_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  // Leaflet renders a string tooltip as HTML: data-derived names go in as text nodes
  function asText(s) {
    var el = document.createElement("span");
    el.textContent = String(s);
    return el;
  }
  var map = L.map("map", {zoomSnap: 0.25, zoomDelta: 0.5, preferCanvas: false,
                          attributionControl: true});
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(asText(D.attribution).outerHTML);
  L.control.scale({imperial: false}).addTo(map);
  [["context", 350], ["held", 370], ["lines", 390], ["mask", 400], ["points", 420]]
    .forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
  if (D.oblasts.length) {
    L.polyline(D.oblasts, {pane: "context", color: "#8a8a8a", weight: 1.5,
                           dashArray: "6 4", interactive: false}).addTo(map);
  }
  L.polygon([[[-85, -180], [85, -180], [85, 180], [-85, 180]],
             [D.view[0], [D.view[0][0], D.view[1][1]], D.view[1],
              [D.view[1][0], D.view[0][1]]]],
            {pane: "mask", color: "#999", weight: 1, fillColor: "#e9e9e6",
             fillOpacity: 0.75, interactive: false}).addTo(map);
  var heldLayer = L.layerGroup().addTo(map);
  var heldCache = {};
  function heldShape(k) {
    if (!heldCache[k]) {
      heldCache[k] = D.held[k].length ? L.polygon(D.held[k], {
        pane: "held", color: "#5e1a0c", weight: 1, fillColor: D.held_fill,
        fillOpacity: 0.35, interactive: false}) : null;
    }
    return heldCache[k];
  }
  var groups = D.lines.map(function (g) {
    var w = D.weights[g.k] || 2;
    var layer = L.polyline(g.c, {pane: "lines", weight: w, opacity: 0.95,
                                 lineCap: "round", interactive: false}).addTo(map);
    if (g.m === "rail") {
      L.polyline(g.c, {pane: "lines", color: "#fff", weight: w * 0.45, dashArray: "5 5",
                       lineCap: "butt", interactive: false}).addTo(map);
    }
    return {layer: layer, bands: g.b};
  });
  D.places.forEach(function (p) {
    L.circleMarker([p.lat, p.lng], {pane: "points", radius: p.pop >= 50000 ? 4 : 3,
      color: "#fff", weight: 1, fillColor: "#333", fillOpacity: 1})
      .bindTooltip(asText(p.name), {permanent: true, direction: "right", offset: [4, 0],
                            className: "lbl" + (p.pop >= 50000 ? "" : " small")})
      .addTo(map);
  });
  D.hubs.forEach(function (h) {
    L.circleMarker([h.lat, h.lng], {pane: "points", radius: 7, color: "#fff", weight: 2,
      fillColor: h.colour, fillOpacity: 1})
      .bindTooltip(asText(h.name), {permanent: true, direction: "right", offset: [8, 0],
                            className: "lbl hub"})
      .addTo(map);
  });
  L.circleMarker([D.city.lat, D.city.lng], {pane: "points", radius: 8, color: "#000",
    weight: 3, fillColor: "#fff", fillOpacity: 1}).addTo(map)
    .bindTooltip(asText(D.city.name), {permanent: true, direction: "right", offset: [10, 0],
                               className: "lbl city"});
  L.circleMarker([D.city.lat, D.city.lng], {pane: "points", radius: 2, color: "#000",
    weight: 1, fillColor: "#000", fillOpacity: 1, interactive: false}).addTo(map);

  var cityBounds = L.latLngBounds(D.view);
  var allBounds = L.latLngBounds(D.view);
  D.hubs.forEach(function (h) { allBounds.extend([h.lat, h.lng]); });
  var Btns = L.Control.extend({
    options: {position: "topright"},
    onAdd: function () {
      var div = L.DomUtil.create("div", "leaflet-bar map-btns");
      [["City area", cityBounds], ["City + hubs", allBounds]].forEach(function (b) {
        var el = L.DomUtil.create("button", "", div);
        el.type = "button"; el.textContent = b[0];
        L.DomEvent.on(el, "click", function (e) {
          L.DomEvent.stop(e); map.fitBounds(b[1], {padding: [10, 10]});
        });
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    }
  });
  new Btns().addTo(map);
  var DateBox = L.Control.extend({
    options: {position: "bottomleft"},
    onAdd: function () { return L.DomUtil.create("div", "map-date"); }
  });
  var dateBox = new DateBox().addTo(map);
  map.fitBounds(cityBounds);

  var slider = document.getElementById("slider");
  var label = document.getElementById("date-label");
  var panel = document.getElementById("day-panel");
  var cursors = document.querySelectorAll("svg.chart .cursor");
  var evRows = document.querySelectorAll("#events tbody tr");
  var current = -1;
  function show(i) {
    i = Math.max(0, Math.min(D.frames.length - 1, i | 0));
    if (i === current) { return; }
    current = i;
    var f = D.frames[i];
    var txt = f.date + (f.exact ? "" : " (control data of " + f.data_date + ")");
    label.textContent = txt;
    dateBox.getContainer().textContent = txt;
    heldLayer.clearLayers();
    var h = heldShape(f.h);
    if (h) { heldLayer.addLayer(h); }
    groups.forEach(function (g) {
      g.layer.setStyle({color: D.colours[g.bands.charCodeAt(i) - 48]});
    });
    cursors.forEach(function (c) {
      c.setAttribute("x1", f.x); c.setAttribute("x2", f.x);
    });
    panel.innerHTML = f.panel;
    var prev = i > 0 ? D.frames[i - 1].date : "";
    evRows.forEach(function (r) {
      var d = r.getAttribute("data-date");
      r.classList.toggle("future", d > f.date);
      r.classList.toggle("now", d > prev && d <= f.date);
    });
    if (+slider.value !== i) { slider.value = String(i); }
  }
  slider.addEventListener("input", function () { show(+slider.value); });
  slider.addEventListener("change", function () { show(+slider.value); });
  var timer = null;
  var play = document.getElementById("play");
  play.addEventListener("click", function () {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "\u25B6"; return; }
    if (current >= D.frames.length - 1) { show(0); }
    play.textContent = "\u275A\u275A";
    timer = setInterval(function () {
      if (current >= D.frames.length - 1) {
        clearInterval(timer); timer = null; play.textContent = "\u25B6"; return;
      }
      show(current + 1);
    }, 900);
  });
  show(+slider.value);
  document.body.setAttribute("data-ready", "1");
})();
"""
