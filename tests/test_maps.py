"""Static maps and animations (real data: skipped without ../shared/data)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from supplyline.core.exposure import ThreatProfile
from supplyline.errors import DateOutOfRangeError, SupplylineError
from supplyline.viz.maps import (
    HELD_FILL_RGB,
    animate,
    band_colours,
    render_map,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _no_temp_files(d: Path) -> bool:
    return not [p for p in d.iterdir() if p.name.startswith(".")]


def test_render_map_pokrovsk(ws, tmp_path, artifacts):
    from PIL import Image

    out = tmp_path / "pokrovsk.png"
    res = render_map(ws, "Pokrovsk", "2025-01-31", out)
    assert res["output"] == str(out)
    assert out.exists() and out.read_bytes()[:8] == PNG_MAGIC
    assert 50_000 < out.stat().st_size < 10_000_000
    assert _no_temp_files(tmp_path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as a normally created file

    img = Image.open(out)
    assert img.format == "PNG"
    w, h = img.size
    assert 1200 <= w <= 4000 and 800 <= h <= 4000
    rgb = np.asarray(img.convert("RGB")).astype(int)
    colours = np.unique(rgb.reshape(-1, 3), axis=0)
    assert len(colours) > 50  # many distinct colours, not a blank canvas
    # the held-territory fill covers a visible share of the map (front SE of Pokrovsk)
    near_fill = np.abs(rgb - np.array(HELD_FILL_RGB)).max(axis=2) <= 3
    assert near_fill.mean() > 0.005
    # white background and some saturated band colours (red / orange / yellow roads)
    assert (rgb == 255).all(axis=2).mean() > 0.2
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    assert ((r > 200) & (g < 120) & (b < 80)).sum() > 200

    c = res["counts"]
    assert res["city"] == "Pokrovsk" and res["data_date"] == "2025-01-31"
    assert c["held_polygons"] >= 1 and c["band_outlines"] == 4
    assert c["road_edges"] > 500 and c["rail_edges"] > 100
    assert c["routes"] >= 4  # peacetime + safest for each hub
    assert c["narrowest_corridor"]
    assert 5 <= c["places_labelled"] <= 15
    assert {"held", "beyond"} <= set(c["edges_by_band"]["road"])
    assert set(res["hubs"]) >= {"Pavlohrad", "Dnipro"}

    shutil.copyfile(out, artifacts / "map-pokrovsk.png")


def test_render_map_radius_svg(ws, tmp_path):
    out = tmp_path / "sub" / "pokrovsk.svg"
    res = render_map(ws, "Pokrovsk", "2025-01-01", out, radius_km=25, to=["Dnipro"])
    assert out.exists() and out.read_text()[:200].lstrip().startswith("<?xml")
    assert not res["data_exact"] and res["data_date"] == "2024-12-31"  # a missing day
    x0, y0, x1, y1 = res["extent_m"]
    assert x1 - x0 >= 50_000 - 1 and y1 - y0 >= 50_000 - 1
    assert res["hubs"] == ["Dnipro"]


def test_animate_weekly_gif(ws, tmp_path):
    from PIL import Image

    out = tmp_path / "pokrovsk.gif"
    calls = []

    class Progress:  # the part of rich.progress.Progress that animate uses
        def add_task(self, description, total):
            calls.append(("add", total))
            return 1

        def advance(self, task):
            calls.append(("advance", task))

    res = animate(ws, "Pokrovsk", "2025-01-01", "2025-02-15", out, progress=Progress())
    assert res["frames"] == 7
    assert [r["date"] for r in res["per_frame"]][:2] == ["2025-01-01", "2025-01-08"]
    assert res["end"] == "2025-02-12"
    img = Image.open(out)
    assert img.format == "GIF"
    assert img.n_frames == 7
    assert calls[0] == ("add", 7) and len(calls) == 8
    assert all(2 < r["distance_km"] < 12 for r in res["per_frame"])
    assert _no_temp_files(tmp_path)


def test_animate_date_before_history(ws, tmp_path):
    with pytest.raises(DateOutOfRangeError):
        animate(ws, "Pokrovsk", "2020-01-01", "2020-02-01", tmp_path / "a.gif")
    assert not (tmp_path / "a.gif").exists()


def test_render_map_date_before_history(ws, tmp_path):
    with pytest.raises(DateOutOfRangeError):
        render_map(ws, "Pokrovsk", "2020-01-01", tmp_path / "a.png")


@pytest.mark.parametrize("name", ["map.jpg", "map", "map.PNG.txt"])
def test_render_map_bad_suffix(tmp_path, name):
    # checked before any data is touched: no workspace needed
    with pytest.raises(SupplylineError) as exc:
        render_map(None, "Pokrovsk", "2025-01-31", tmp_path / name)
    msg = str(exc.value)
    assert "\n" not in msg and ".png" in msg and ".svg" in msg and ".pdf" in msg
    assert list(tmp_path.iterdir()) == []


def test_animate_bad_suffix_and_args(tmp_path):
    with pytest.raises(SupplylineError, match=r"\.gif"):
        animate(None, "Pokrovsk", "2025-01-01", "2025-02-01", tmp_path / "a.png")
    with pytest.raises(SupplylineError, match="before start"):
        animate(None, "Pokrovsk", "2025-02-01", "2025-01-01", tmp_path / "a.gif")
    with pytest.raises(SupplylineError, match="step"):
        animate(None, "Pokrovsk", "2025-01-01", "2025-02-01", tmp_path / "a.gif", step_days=0)


def test_animate_mp4_needs_ffmpeg(tmp_path):
    from matplotlib import animation

    if animation.writers.is_available("ffmpeg"):
        pytest.skip("ffmpeg is installed")
    with pytest.raises(SupplylineError, match="ffmpeg") as exc:
        animate(None, "Pokrovsk", "2025-01-01", "2025-02-01", tmp_path / "a.mp4")
    assert "\n" not in str(exc.value)


def test_frame_dates_and_band_colours():
    from supplyline.viz.maps import _frame_dates

    d = _frame_dates(dt.date(2025, 1, 1), dt.date(2025, 2, 15), 7)
    assert len(d) == 7 and d[-1] == dt.date(2025, 2, 12)
    assert _frame_dates(dt.date(2025, 1, 1), dt.date(2025, 1, 1), 7) == [dt.date(2025, 1, 1)]
    cols = band_colours(ThreatProfile())
    assert len(cols) == len(ThreatProfile().names) and len(set(cols)) == len(cols)
    assert len(band_colours(ThreatProfile.parse("a=5,b=10"))) == 4


def test_map_texts_follow_the_language():
    """The PNG map's legend texts go through the catalogue (they were English only after a
    merge dropped the wrapping)."""
    from supplyline.core.exposure import ThreatProfile
    from supplyline.i18n import use_language
    from supplyline.viz import maps

    prof = ThreatProfile()
    with use_language("uk"):
        assert maps._band_label(prof, 0) == "утримувана територія"
        assert maps._band_label(prof, len(prof.names) - 1).startswith("поза смугами")
    with use_language("en"):
        assert maps._band_label(prof, 0) == "held territory"
