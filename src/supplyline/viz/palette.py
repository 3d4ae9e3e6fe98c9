"""The one palette of every map, chart and page: colours and dash patterns by band.

Bands are told apart twice: by colour and by line pattern. The colours are a ramp of
falling darkness from held (near black) through the threat bands (purple, crimson,
orange, light gold) to "beyond" (blue), chosen so that every pair stays distinct for
people with deuteranopia or protanopia as well as normal colour vision:
:func:`distinction` simulates colour-vision deficiency (Machado, Oliveira & Fernandes
2009, severity 1) and measures CIEDE2000 colour differences, and the tests hold the
palette to :data:`MIN_DELTA_E`. The patterns (solid for held and beyond, dots to
dash-dot for the nearest to the farthest band) carry the order on their own, in
greyscale prints too.

The PNG maps (:mod:`supplyline.viz.maps`), the report and the web pages
(:func:`palette_json`) all take their colours from here.

>>> from supplyline.core.exposure import ThreatProfile
>>> band_colours(ThreatProfile())    # held, contact, fpv, tube, rocket, beyond
['#2b1b17', '#7a0177', '#c2185b', '#ef6c00', '#eecc66', '#5b92c4']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Held territory: a semi-transparent red-brown fill and a darker outline.
HELD_FILL = "#8c2d19"
HELD_ALPHA = 0.35
HELD_EDGE = "#5e1a0c"
#: The contested ("grey") zone: grey, drawn hatched where the medium allows.
GREY_FILL = "#6e6e6e"
GREY_ALPHA = 0.35
#: Network line colours: held, the threat bands nearest first, beyond the last band.
HELD_LINE = "#2b1b17"
BAND_RAMP = ("#7a0177", "#c2185b", "#ef6c00", "#eecc66")
BEYOND_LINE = "#5b92c4"
#: Dash pattern per band, in line widths (on, off, ...): nearest band first. Held and
#: beyond are solid (None).
BAND_DASHES: tuple[tuple[float, ...], ...] = ((1.0, 1.2), (3.0, 1.5), (6.0, 1.5),
                                               (10.0, 1.5, 1.0, 1.5))
#: One colour per rear hub (its routes and marker).
HUB_COLOURS = ("#00897b", "#283593", "#8d6e63", "#00acc1", "#558b2f")
#: No data (a missing day, no route figure).
MISSING = "#d0d0d0"
#: Map background and context layers of the web pages and the report.
BACKGROUND = "#f4f3ee"
OBLAST_LINE = "#a0a0a0"
RIVER_LINE = "#9cc3e4"
LOCAL_ROAD = "#c8c8c8"
#: Narrowest corridor point and bottleneck edges.
NARROW_FILL = "#ffeb3b"
BOTTLENECK = "#00e5ff"
#: The least CIEDE2000 difference between any two band colours, for normal vision and
#: simulated deuteranopia and protanopia (tested).
MIN_DELTA_E = 12.0


def band_colours(profile_or_n: Any) -> list[str]:
    """Line colour per band index: held, each band (nearest first), beyond.

    ``profile_or_n`` is a :class:`~supplyline.core.exposure.ThreatProfile` or the number
    of threat bands; a count other than 4 interpolates the ramp in CIELAB.
    """
    n = _n_bands(profile_or_n)
    if n == len(BAND_RAMP):
        mid = list(BAND_RAMP)
    else:
        mid = _interpolate(BAND_RAMP, n)
    return [HELD_LINE, *mid, BEYOND_LINE]


def band_dashes(profile_or_n: Any) -> list[tuple[float, ...] | None]:
    """Dash pattern per band index (None: solid), aligned with :func:`band_colours`."""
    n = _n_bands(profile_or_n)
    if n <= len(BAND_DASHES):
        picks = [round(i * (len(BAND_DASHES) - 1) / max(n - 1, 1)) for i in range(n)]
        mid = [BAND_DASHES[k] for k in picks] if n > 1 else [BAND_DASHES[1]]
    else:
        mid = [BAND_DASHES[i % len(BAND_DASHES)] for i in range(n)]
    return [None, *mid, None]


def status_colour(status: Any, band_names: Sequence[str], colours: Sequence[str]) -> str:
    """Colour of a route status: cut (held colour), under fire (BAND) (the band's
    colour), open (beyond colour); anything else (no data) :data:`MISSING`."""
    if not isinstance(status, str) or not status:
        return MISSING
    if status == "cut":
        return colours[0]
    if status == "open":
        return colours[-1]
    for i, name in enumerate(band_names):
        if status == f"under fire ({name})":
            return colours[i + 1]
    return MISSING


def palette_json(profile: Any) -> dict[str, Any]:
    """Everything a web page or the report needs to draw with this palette."""
    names = list(profile.names)
    colours = band_colours(profile)
    return {
        "bands": [{"index": i, "name": n, "colour": c, "dash": d,
                   "max_km": (None if i in (0, len(names) - 1)
                              else profile.bands[i - 1].max_km)}
                  for i, (n, c, d) in enumerate(zip(names, colours, band_dashes(profile),
                                                    strict=True))],
        "held_fill": HELD_FILL, "held_alpha": HELD_ALPHA, "held_edge": HELD_EDGE,
        "grey_fill": GREY_FILL, "grey_alpha": GREY_ALPHA, "hubs": list(HUB_COLOURS),
        "missing": MISSING, "background": BACKGROUND, "oblast": OBLAST_LINE,
        "river": RIVER_LINE, "local_road": LOCAL_ROAD, "narrow": NARROW_FILL,
        "bottleneck": BOTTLENECK,
    }


def _n_bands(profile_or_n: Any) -> int:
    n = profile_or_n if isinstance(profile_or_n, int) else len(profile_or_n.bands)
    if n < 1:
        raise ValueError(f"{n} bands: expected at least one")
    return n


# --------------------------------------------------------------------------- checking
#: Machado et al. (2009) simulation matrices, severity 1.0, on linear RGB.
CVD_MATRICES = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def hex_rgb(colour: str) -> np.ndarray:
    """``#rrggbb`` as sRGB floats 0-1."""
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) / 255


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0, 1)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)


def simulate(colour: str, kind: str | None) -> np.ndarray:
    """Linear RGB of ``colour`` as seen with colour-vision deficiency ``kind``
    (``deuteranopia``, ``protanopia``, ``tritanopia``; None: normal vision)."""
    lin = _linear(hex_rgb(colour))
    if kind is None:
        return lin
    return np.clip(CVD_MATRICES[kind] @ lin, 0, 1)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear RGB colour."""
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    n = (m @ linear_rgb) / np.array([0.95047, 1.0, 1.08883])
    e = 6 / 29
    f = np.where(n > e ** 3, np.cbrt(n), n / (3 * e * e) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference of two CIELAB colours (Sharma et al. 2005)."""
    L1, a1, b1 = (float(v) for v in lab1)
    L2, a2, b2 = (float(v) for v in lab2)
    cbar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(cbar ** 7 / (cbar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_big_h = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    lbar, cpbar = (L1 + L2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        hbar = h1 + h2
    elif abs(h1 - h2) <= 180:
        hbar = (h1 + h2) / 2
    else:
        hbar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(hbar - 30)) + 0.24 * np.cos(np.radians(2 * hbar))
         + 0.32 * np.cos(np.radians(3 * hbar + 6)) - 0.20 * np.cos(np.radians(4 * hbar - 63)))
    rc = 2 * np.sqrt(cpbar ** 7 / (cpbar ** 7 + 25 ** 7))
    rt = -np.sin(np.radians(60 * np.exp(-(((hbar - 275) / 25) ** 2)))) * rc
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cpbar, 1 + 0.015 * cpbar * t
    dl, dc, dhh = (L2 - L1) / sl, (c2 - c1) / sc, d_big_h / sh
    return float(np.sqrt(dl * dl + dc * dc + dhh * dhh + rt * dc * dhh))


def distinction(colours: Sequence[str], kind: str | None = None) -> tuple[float, str, str]:
    """The least CIEDE2000 difference between two of ``colours`` as seen with ``kind``
    of colour-vision deficiency, and that pair."""
    labs = [lab(simulate(c, kind)) for c in colours]
    return min((delta_e2000(labs[i], labs[j]), colours[i], colours[j])
               for i, j in itertools.combinations(range(len(colours)), 2))


def _interpolate(ramp: Sequence[str], n: int) -> list[str]:
    """``n`` colours evenly along ``ramp`` (interpolated in linear RGB)."""
    if n == 1:
        return [ramp[len(ramp) // 2]]
    lin = np.array([_linear(hex_rgb(c)) for c in ramp])
    out = []
    for t in np.linspace(0, len(ramp) - 1, n):
        i = min(int(t), len(ramp) - 2)
        rgb = _srgb(lin[i] + (t - i) * (lin[i + 1] - lin[i]))
        out.append("#" + "".join(f"{round(float(v) * 255):02x}" for v in rgb))
    return out


__all__ = ["BAND_DASHES", "BAND_RAMP", "BEYOND_LINE", "HELD_ALPHA", "HELD_EDGE", "HELD_FILL",
           "HELD_LINE", "HUB_COLOURS", "MIN_DELTA_E", "MISSING", "band_colours",
           "band_dashes", "distinction", "palette_json", "status_colour"]
