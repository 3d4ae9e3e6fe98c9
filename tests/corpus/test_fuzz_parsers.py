"""Property-based fuzzing (hypothesis) of the option parsers and profile loaders: any
input gives a value that satisfies the parser's contract or the project's one-line error
class, never another exception."""

from __future__ import annotations

import datetime as dt
import json
import math
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from supplyline.analysis.scheduler import parse_scheduler
from supplyline.cli.checks import number as _number
from supplyline.cli.checks import parse_bbox as _parse_bbox
from supplyline.cli.checks import parse_radii as _parse_radii
from supplyline.core.exposure import BAND_NAME, MAX_BAND_KM, ThreatProfile
from supplyline.data.control import parse_date
from supplyline.errors import DataFormatError, DateOutOfRangeError, InvalidArgumentError

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

numbers_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e999", "0x10", "1_000", "٣", "5km",
                     "--5", "+5", ".5", "5.", "1e-320"]),
)


def _one_line(exc: Exception) -> None:
    msg = str(exc)
    assert msg and "\n" not in msg


# ------------------------------------------------------------------ band strings
band_spec = st.lists(
    st.tuples(st.one_of(st.text(max_size=12), st.sampled_from(["contact", "fpv", "held",
                                                                 "a b", "x-1", "<b>"])),
              numbers_text),
    max_size=6,
).map(lambda parts: ",".join(f"{n}={k}" for n, k in parts))


@FUZZ
@given(st.one_of(st.text(max_size=80), band_spec))
@example("=5,b=10")
@example("a=1,,b=2,")
@example("a==5")
def test_band_strings(spec):
    try:
        p = ThreatProfile.parse(spec)
    except DataFormatError as exc:
        _one_line(exc)
        return
    kms = [b.max_km for b in p.bands]
    assert kms == sorted(set(kms)) and all(0 < k <= MAX_BAND_KM for k in kms)
    assert all(BAND_NAME.fullmatch(b.name) for b in p.bands)
    again = ThreatProfile.parse(",".join(f"{b.name}={b.max_km!r}" for b in p.bands))
    assert again == p


# ------------------------------------------------------------------ profile files
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["band", "bands", "name", "max_km", "note", "x"]), kids, max_size=4),
    max_leaves=20,
)
band_docs = st.fixed_dictionaries({"band": st.lists(st.fixed_dictionaries(
    {"name": st.one_of(st.text(max_size=8), st.integers()),
     "max_km": st.one_of(st.floats(), st.integers(), st.text(max_size=4), st.booleans())},
    optional={"note": st.one_of(st.text(max_size=8), st.integers())}), max_size=5)})


def _load(tmp_path, name: str, data: bytes):
    f = tmp_path / name
    f.write_bytes(data)
    try:
        return ThreatProfile.load(f)
    except DataFormatError as exc:
        _one_line(exc)
        return None


@FUZZ
@given(suffix=st.sampled_from([".toml", ".json", ".yaml", ".yml", ".txt"]),
       data=st.binary(max_size=300))
def test_profile_files_of_random_bytes(tmp_path, suffix, data):
    _load(tmp_path, "p" + suffix, data)


@FUZZ
@given(doc=st.one_of(json_values, band_docs))
def test_profile_json_documents(tmp_path, doc):
    try:
        text = json.dumps(doc)
    except ValueError:
        return
    p = _load(tmp_path, "p.json", text.encode())
    if p is not None:
        assert isinstance(doc, dict) and p.bands


@FUZZ
@given(doc=band_docs)
def test_profile_yaml_documents(tmp_path, doc):
    yaml = pytest.importorskip("yaml")
    _load(tmp_path, "p.yaml", yaml.safe_dump(doc, allow_unicode=True).encode())


# ------------------------------------------------------------------ bbox, radii, numbers
@FUZZ
@given(st.one_of(st.text(max_size=40),
                 st.lists(numbers_text, min_size=0, max_size=6).map(",".join)))
@example("-180,-90,180,90")
@example("nan,47,38,48")
@example("1e308,1,1e309,2")
def test_bbox(text):
    try:
        box = _parse_bbox(text)
    except InvalidArgumentError as exc:
        _one_line(exc)
        return
    assert len(box) == 4 and all(math.isfinite(v) for v in box)
    assert -180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90


@FUZZ
@given(st.one_of(st.text(max_size=40),
                 st.lists(numbers_text, max_size=6).map(",".join)))
@example(",")
@example("-5,0")
def test_radii(text):
    try:
        radii = _parse_radii(text)
    except InvalidArgumentError as exc:
        _one_line(exc)
        return
    assert radii and len(set(radii)) == len(radii)
    assert all(math.isfinite(r) and 0 < r <= 500 for r in radii)


@FUZZ
@given(value=st.one_of(st.floats(), st.integers(-10**20, 10**20)),
       low=st.none() | st.floats(-1e6, 1e6), high=st.none() | st.floats(-1e6, 1e6),
       low_open=st.booleans())
def test_number_ranges(value, low, high, low_open):
    try:
        v = _number("--x", value, low, high, low_open=low_open)
    except InvalidArgumentError as exc:
        _one_line(exc)
        return
    assert math.isfinite(v)
    assert low is None or (v > low if low_open else v >= low)
    assert high is None or v <= high


# ------------------------------------------------------------------ dates, scheduler
@FUZZ
@given(st.one_of(st.text(max_size=20), st.dates().map(str), st.integers(), st.floats(),
                 st.none(), st.dates()))
@example("2025-02-30")
@example("2025-01-31\x00")
def test_dates(value):
    try:
        d = parse_date(value)
    except DateOutOfRangeError as exc:
        _one_line(exc)
        return
    assert isinstance(d, dt.date)


host_chars = string.ascii_letters + string.digits + ".-:[]/_ "


@FUZZ
@given(st.one_of(st.text(max_size=40), st.text(alphabet=host_chars, max_size=40),
                 st.builds(lambda p, h, n: f"{p}://{h}:{n}",
                           st.sampled_from(["tcp", "tls", "udp", "TCP", ""]),
                           st.text(alphabet=host_chars, max_size=15),
                           st.integers(-5, 70000)),
                 st.integers(), st.none()))
@example("garbage")
@example("tcp://[::1]:8786")
def test_scheduler_addresses(text):
    try:
        addr = parse_scheduler(text)
    except InvalidArgumentError as exc:
        _one_line(exc)
        return
    if not addr.local:
        assert addr.protocol in ("tcp", "tls") and 0 < addr.port < 65536
        assert parse_scheduler(addr.address) == addr


# ------------------------------------------------------------------ the CLI itself
VOCAB = ["status", "routes", "exposure", "encirclement", "distance", "places", "axes",
         "timeline", "map", "animate", "report", "network", "Pokrovsk", "--date", "--to",
         "--from", "--bands", "--radii", "--bbox", "--radius", "--tolerance", "--workers",
         "--scheduler", "--forecast-at", "--mode", "-o", "--json", "--top", "-n", "-b",
         "--profile", "2025-01-31", "2030-01-01", "x", "-1", "0", "nan", ",", "a=1",
         "=5", "1,2,3,4", "tcp://127.0.0.1:9", "--bogus", "--version", "--help", "-v", ""]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=8)), max_size=7))
def test_cli_argument_soup(tmp_path, argv):
    """Any argv: exit 0 or 2, no traceback, no hang; an error is one line. --data points
    nowhere, so every command stops before any computation."""
    from .helpers import classify, run_cli

    assume(not argv or argv[0] != "data")
    res = run_cli([*argv, "--data", tmp_path / "none"], cwd=tmp_path, timeout=60)
    assert classify(res) == "ok", f"{classify(res)}: {argv}: {res.exc!r}\n{res.err}"
    assert res.code in (0, 2), (argv, res.code, res.err)
    if res.code == 2 and "Usage" not in res.out:
        assert len(res.lines) == 1, (argv, res.err)
