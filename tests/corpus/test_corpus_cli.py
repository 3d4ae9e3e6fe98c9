"""Corpus, part 1: bad command-line arguments.

Each case: one line on stderr naming the option/value (the needles), exit code 2, no
traceback, no hang, nothing written; then every file of the derived cache is still
there byte for byte. Cases that get as far as the data (``{D}``, the data directory, in
their arguments) also re-run the baseline query and compare its answer; the cases that
stop at the arguments share one re-run at the end (test_baseline_after_argument_cases),
as a re-run costs ~1.5 s and their cache check already shows nothing stored changed.
"""

from __future__ import annotations

import json

import pytest

from .helpers import classify, expect_error, expect_ok, run_cli, snapshot, unchanged

pytestmark = [pytest.mark.corpus, pytest.mark.realdata]

D = "{D}"
CASES = [
    # usage errors of the click copy inside Typer
    ("missing-city", ["status"], ["missing argument", "supplyline status"]),
    ("unknown-option", ["status", "Pokrovsk", "--bogus"], ["no such option", "--bogus"]),
    ("radius-not-number", ["places", "--city", "Pokrovsk", "--radius", "abc"], ["--radius"]),
    ("workers-not-int", ["timeline", "Pokrovsk", "--workers", "x"], ["--workers"]),
    ("unknown-command", ["frobnicate"], ["frobnicate"]),
    ("option-without-value", ["status", "Pokrovsk", "--date"], ["--date"]),
    ("data-unknown-subcommand", ["data", "frob"], ["frob"]),
    # values checked by the CLI before any computation
    ("workers-zero", ["timeline", "Pokrovsk", "--workers", "0"], ["--workers", ">= 1"]),
    ("radii-empty", ["encirclement", "Pokrovsk", "--radii", ","], ["--radii"]),
    ("radii-nonpositive", ["encirclement", "Pokrovsk", "--radii", "-5,0"], ["--radii", "-5"]),
    ("radii-duplicate", ["encirclement", "Pokrovsk", "--radii", "5,5"], ["--radii", "once"]),
    ("radii-text", ["encirclement", "Pokrovsk", "--radii", "5,x"], ["--radii"]),
    ("radii-huge", ["encirclement", "Pokrovsk", "--radii", "1e9"], ["--radii", "500"]),
    ("radii-nan", ["encirclement", "Pokrovsk", "--radii", "nan"], ["--radii"]),
    ("bbox-three", ["exposure", "--bbox", "1,2,3"], ["--bbox", "MINLON"]),
    ("bbox-inverted", ["exposure", "--bbox", "38,48,37,47"], ["--bbox", "min < max"]),
    ("bbox-nan", ["exposure", "--bbox", "nan,47,38,48"], ["--bbox"]),
    ("bbox-world", ["exposure", "--bbox", "-180,-90,180,90", "--data", D],
     ["--bbox", "network extent", "MINLON"]),
    ("bbox-elsewhere", ["exposure", "--bbox", "2,48,3,49", "--data", D],
     ["--bbox", "network extent"]),
    ("exposure-mode", ["exposure", "--mode", "boat"], ["--mode", "road or rail"]),
    ("exposure-suffix", ["exposure", "-o", "edges.shp"], ["--output", ".gpkg"]),
    ("tolerance-negative", ["distance", "Pokrovsk", "--tolerance", "-1"], ["--tolerance"]),
    ("distance-radius-zero", ["distance", "Pokrovsk", "--radius", "0"], ["--radius"]),
    ("distance-radius-inf", ["distance", "Pokrovsk", "--radius", "inf"], ["--radius"]),
    ("places-radius-negative", ["places", "--city", "Pokrovsk", "--radius", "-3"],
     ["--radius"]),
    ("places-top-zero", ["places", "--city", "Pokrovsk", "-n", "0"], ["--top"]),
    ("places-nothing", ["places"], ["--oblast", "--city"]),
    ("forecast-future", ["timeline", "Pokrovsk", "--forecast-at", "2030-01-01", "--data", D],
     ["--forecast-at", "2030-01-01", "outside"]),
    ("forecast-before-from", ["timeline", "Pokrovsk", "--from", "2025-01-01",
                              "--forecast-at", "2024-12-01", "--data", D],
     ["--forecast-at", "outside"]),
    ("forecast-not-date", ["timeline", "Pokrovsk", "--forecast-at", "soon", "--data", D],
     ["soon", "YYYY-MM-DD"]),
    ("scheduler-refused", ["timeline", "Pokrovsk", "--scheduler", "tcp://127.0.0.1:9"],
     ["--scheduler", "127.0.0.1:9"]),
    ("scheduler-garbage", ["timeline", "Pokrovsk", "--scheduler", "garbage"],
     ["--scheduler", "garbage"]),
    ("scheduler-protocol", ["timeline", "Pokrovsk", "--scheduler", "udp://host:1"],
     ["--scheduler", "udp"]),
    ("scheduler-port", ["timeline", "Pokrovsk", "--scheduler", "tcp://host:99999"],
     ["--scheduler", "port"]),
    ("timeline-no-city", ["timeline"], ["at least one city"]),
    ("timeline-reversed", ["timeline", "Pokrovsk", "--from", "2025-02-01", "--to",
                           "2025-01-01", "--data", D], ["before"]),
    ("bands-empty-name", ["routes", "Pokrovsk", "--bands", "=5,b=10"], ["name", "empty"]),
    ("bands-decreasing", ["routes", "Pokrovsk", "--bands", "a=5,b=2"], ["increasing"]),
    ("bands-nan", ["routes", "Pokrovsk", "--bands", "a=nan"], ["band"]),
    ("bands-markup", ["routes", "Pokrovsk", "--bands", "<b>x</b>=5"], ["band name"]),
    ("bands-reserved", ["encirclement", "Pokrovsk", "--bands", "held=3"], ["held"]),
    ("bands-only-commas", ["exposure", "--bands", ",,,"], ["bands"]),
    ("profile-and-bands", ["routes", "Pokrovsk", "--profile", "p.toml", "--bands", "a=1"],
     ["either"]),
    ("routes-mode", ["routes", "Pokrovsk", "--mode", "boat"], ["--mode"]),
    ("routes-suffix", ["routes", "Pokrovsk", "-o", "routes.txt"], ["--output", ".geojson"]),
    ("map-suffix", ["map", "Pokrovsk", "-o", "map.txt"], ["--output", ".png"]),
    ("animate-suffix", ["animate", "Pokrovsk", "--from", "2025-01-01", "--to", "2025-02-01",
                        "-o", "a.avi"], ["--output", ".gif"]),
    ("report-suffix", ["report", "Pokrovsk", "-o", "r.pdf"], ["--output", ".html"]),
    ("report-step", ["report", "Pokrovsk", "--step-days", "0"], ["--step-days"]),
    # mistakes found once the data is loaded
    ("unknown-place", ["status", "Qwertyuiopgrad", "--data", D], ["Qwertyuiopgrad"]),
    ("date-before-history", ["status", "Pokrovsk", "--date", "2021-06-01", "--data", D],
     ["2021-06-01", "before"]),
    ("date-invalid", ["status", "Pokrovsk", "--date", "2025-02-30", "--data", D],
     ["2025-02-30"]),
    ("date-words", ["status", "Pokrovsk", "--date", "yesterday", "--data", D],
     ["yesterday", "YYYY-MM-DD"]),
    ("off-network", ["routes", "Lviv", "--to", "Dnipro", "--data", D], ["Lviv"]),
    ("unknown-road", ["distance", "Pokrovsk", "--road", "X-99", "--data", D], ["X-99"]),
    ("unknown-oblast", ["places", "--oblast", "Narnia", "--data", D], ["Narnia"]),
    ("bad-bearing", ["axes", "Pokrovsk", "-b", "XYZ", "--data", D], ["XYZ"]),
    ("network-mode", ["network", "--mode", "boat", "--data", D], ["boat"]),
    ("map-dpi", ["map", "Pokrovsk", "--dpi", "5", "--data", D], ["dpi"]),
    ("animate-reversed", ["animate", "Pokrovsk", "--from", "2025-02-01", "--to", "2025-01-01",
                          "--data", D], ["before"]),
    ("data-dir-missing", ["status", "Pokrovsk", "--data", "/nonexistent/data"],
     ["/nonexistent/data"]),
    ("data-dir-is-file", ["status", "Pokrovsk", "--data", "/etc/hostname"],
     ["/etc/hostname"]),
]


@pytest.fixture(scope="module")
def warm_before(warm_cache):
    return snapshot(warm_cache)


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_argument(args, needles, shared_data, warm_cache, warm_before, intact, tmp_path):
    argv = [str(shared_data) if a == D else a for a in args]
    res = run_cli(argv, cwd=tmp_path, env={"SUPPLYLINE_CACHE": str(warm_cache)})
    expect_error(res, *needles)
    assert res.out == "", res.out
    assert list(tmp_path.iterdir()) == [], "a failed command left files behind"
    if D in args:
        intact(warm_cache, warm_before)
    else:
        unchanged(warm_cache, warm_before)


def test_baseline_after_argument_cases(warm_cache, warm_before, intact):
    intact(warm_cache, warm_before)


def test_bare_command_prints_help(tmp_path, warm_cache, warm_before, intact):
    res = run_cli([], cwd=tmp_path)
    expect_ok(res, code=2)
    assert "Usage" in res.out and "status" in res.out
    unchanged(warm_cache, warm_before)


def test_version(tmp_path, warm_cache, warm_before, intact):
    from supplyline import __version__

    res = run_cli(["--version"], cwd=tmp_path)
    expect_ok(res)
    assert res.out.strip() == f"supplyline {__version__}"
    unchanged(warm_cache, warm_before)


def test_help_exits_zero(tmp_path, warm_cache, warm_before, intact):
    res = run_cli(["timeline", "--help"], cwd=tmp_path)
    expect_ok(res)
    assert "--scheduler" in res.out
    unchanged(warm_cache, warm_before)


def test_exposure_json_without_output_writes_nothing(shared_data, warm_cache, warm_before,
                                                    intact, tmp_path):
    """--json without -o prints the summary (output null) and writes no file at all."""
    res = run_cli(["exposure", "--mode", "rail", "--bbox", "36.5,47.8,37.8,48.8", "--json",
                   "--data", shared_data], cwd=tmp_path,
                  env={"SUPPLYLINE_CACHE": str(warm_cache)})
    expect_ok(res)
    doc = json.loads(res.out)
    assert doc["output"] is None and doc["edges"] > 100
    assert list(tmp_path.iterdir()) == []
    intact(warm_cache, warm_before)


def test_places_since_renders_tables(shared_data, warm_cache, warm_before, intact, tmp_path):
    """places --since in table mode: a summary line and tables, not a JSON dump."""
    res = run_cli(["places", "--city", "Pokrovsk", "--date", "2025-12-01", "--since",
                   "2025-06-01", "-n", "3", "--data", shared_data], cwd=tmp_path,
                  env={"SUPPLYLINE_CACHE": str(warm_cache)})
    expect_ok(res)
    assert "Change 2025-06-01 -> 2025-12-01" in res.out
    assert "newly held: 11 places" in res.out and "Pokrovsk (60,127)" in res.out
    assert '"population_change"' not in res.out and not res.out.lstrip().startswith("{")
    intact(warm_cache, warm_before)


def test_data_status_with_nothing_found_exits_nonzero(tmp_path, monkeypatch):
    """typer.Exit codes reach the shell (non-standalone Typer returns them: main() used
    to drop them and exit 0)."""
    import supplyline.settings as settings

    monkeypatch.setattr(settings, "_PROJECT_ROOT", tmp_path / "project")  # no ../shared
    (tmp_path / "work").mkdir()
    (tmp_path / "empty").mkdir()
    res = run_cli(["data", "status", "--data", tmp_path / "empty"], cwd=tmp_path / "work",
                  env={"SUPPLYLINE_CACHE": str(tmp_path / "cache"), "SUPPLYLINE_DATA": None})
    assert classify(res) == "ok", f"{classify(res)}: {res.exc!r} {res.err}"
    assert res.code not in (0, None), f"wrong: exit {res.code} with nothing found"
    assert "no data found" in res.err and len(res.lines) == 1
