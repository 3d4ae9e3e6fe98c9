"""The shared palette: distinct bands for colour-blind readers, used by every output."""

from __future__ import annotations

import numpy as np
import pytest

from supplyline.core.exposure import ThreatProfile
from supplyline.viz import palette as pal


def test_delta_e2000_matches_published_pairs():
    # Sharma, Wu & Dalal (2005), table 1: pairs 1, 7 and 17
    assert pal.delta_e2000(np.array([50, 2.6772, -79.7751]),
                           np.array([50, 0, -82.7485])) == pytest.approx(2.0425, abs=1e-4)
    assert pal.delta_e2000(np.array([50, 0, 0]),
                           np.array([50, -1, 2])) == pytest.approx(2.3669, abs=1e-4)
    assert pal.delta_e2000(np.array([50, 2.5, 0]),
                           np.array([73, 25, -18])) == pytest.approx(27.1492, abs=1e-4)


def test_simulation_keeps_greys_and_merges_red_green():
    grey = pal.simulate("#808080", "deuteranopia")
    assert np.allclose(grey, pal.simulate("#808080", None), atol=2e-3)
    red, green = "#d62728", "#2ca02c"  # matplotlib's default red and green
    assert pal.distinction([red, green])[0] > 40
    assert pal.distinction([red, green], "deuteranopia")[0] < 20  # a pair the check rejects


@pytest.mark.parametrize("kind", [None, "deuteranopia", "protanopia"])
def test_band_colours_stay_distinct(kind):
    cols = pal.band_colours(ThreatProfile())
    de, a, b = pal.distinction(cols, kind)
    assert de >= pal.MIN_DELTA_E, f"{a} and {b}: {de:.1f} under {kind or 'normal vision'}"


def test_band_colours_and_dashes_follow_the_profile():
    p = ThreatProfile()
    cols, dashes = pal.band_colours(p), pal.band_dashes(p)
    assert len(cols) == len(dashes) == len(p.names) == 6
    assert dashes[0] is None and dashes[-1] is None  # held and beyond solid
    assert len(set(dashes[1:-1])) == 4  # every band its own pattern
    two = ThreatProfile.parse("a=5,b=10")
    assert len(pal.band_colours(two)) == 4 and len(set(pal.band_dashes(two)[1:-1])) == 2
    six = pal.band_colours(6)
    assert len(six) == 8 and len(set(six)) == 8
    assert six[1] == pal.BAND_RAMP[0] and six[-2] == pal.BAND_RAMP[-1]


def test_status_colour():
    p = ThreatProfile()
    cols = pal.band_colours(p)
    bands = [b.name for b in p.bands]
    assert pal.status_colour("cut", bands, cols) == cols[0]
    assert pal.status_colour("open", bands, cols) == cols[-1]
    assert pal.status_colour("under fire (fpv)", bands, cols) == cols[2]
    for none in (None, "", float("nan"), "under fire (mortar)"):
        assert pal.status_colour(none, bands, cols) == pal.MISSING


def test_palette_json_for_pages():
    d = pal.palette_json(ThreatProfile())
    assert [b["name"] for b in d["bands"]] == ThreatProfile().names
    assert d["bands"][2] == {"index": 2, "name": "fpv", "colour": "#c2185b",
                             "dash": (3.0, 1.5), "max_km": 15.0}
    assert d["bands"][0]["max_km"] is None and d["bands"][-1]["dash"] is None


def test_maps_use_the_palette():
    from supplyline.viz import maps

    assert maps.band_colours(ThreatProfile()) == pal.band_colours(ThreatProfile())
    assert maps.HELD_FILL == pal.HELD_FILL
