"""Corpus, part 4: bad library calls. Each raises one of the project's error classes
(a SupplylineError subclass, one line), never AttributeError/TypeError/KeyError, and
leaves the workspace answering the baseline."""

from __future__ import annotations

import datetime as dt

import pytest

import supplyline as sl
from supplyline.errors import (
    DataFormatError,
    DateOutOfRangeError,
    InvalidArgumentError,
    SupplylineError,
)

pytestmark = [pytest.mark.corpus]

LEAD = "lead (new flat API validates its arguments)"


def _raises(cls, fn, *args, **kw) -> str:
    try:
        fn(*args, **kw)
    except cls as exc:
        msg = str(exc)
        assert "\n" not in msg and msg, msg
        return msg
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"traceback: {type(exc).__name__}: {exc}") from exc
    raise AssertionError(f"wrong: {fn.__name__}{args} raised nothing")


def _workspace(*args, **kw):
    from supplyline.analysis.context import Workspace

    return Workspace(*args, **kw)


WORKSPACE_ARGS = [
    ("data-int", (5,), {}, "data_dir"),
    ("data-bytes", (b"x",), {}, "data_dir"),
    ("data-empty", ("",), {}, "data_dir"),
    ("profile-string", (), {"profile": "contact=3"}, "ThreatProfile.parse"),
    ("profile-dict", (), {"profile": {"contact": 3}}, "profile"),
    ("use-cache-string", (), {"use_cache": "no"}, "use_cache"),
    ("network-source-int", (), {"network_source": 3}, "network_source"),
    ("network-source-unknown", (), {"network_source": "shp"}, "network source"),
    ("control-file-int", (), {"control_file": 7}, "control_file"),
    ("date-column-empty", (), {"date_column": ""}, "date_column"),
]


@pytest.mark.parametrize(("args", "kw", "needle"), [c[1:] for c in WORKSPACE_ARGS],
                         ids=[c[0] for c in WORKSPACE_ARGS])
def test_workspace_arguments(args, kw, needle):
    msg = _raises(SupplylineError, _workspace, *args, **kw)
    assert needle in msg


def test_workspace_int_is_an_invalid_argument():
    _raises(InvalidArgumentError, _workspace, 5)
    _raises(InvalidArgumentError, _workspace, profile="contact=3")


PARSERS = [
    ("bands-none", "supplyline.core.exposure:ThreatProfile.parse", (None,), DataFormatError),
    ("bands-int", "supplyline.core.exposure:ThreatProfile.parse", (5,), DataFormatError),
    ("bands-empty-name", "supplyline.core.exposure:ThreatProfile.parse", ("=5",),
     DataFormatError),
    ("profile-none-path", "supplyline.core.exposure:ThreatProfile.load", ("",),
     DataFormatError),
    ("date-none", "supplyline.data.control:parse_date", (None,), DateOutOfRangeError),
    ("date-float", "supplyline.data.control:parse_date", (2025.1,), DateOutOfRangeError),
    ("date-dotted", "supplyline.data.control:parse_date", ("31.01.2025",),
     DateOutOfRangeError),
    ("date-month-13", "supplyline.data.control:parse_date", ("2025-13-01",),
     DateOutOfRangeError),
    ("scheduler-none", "supplyline.analysis.scheduler:parse_scheduler", (None,),
     InvalidArgumentError),
    ("scheduler-space", "supplyline.analysis.scheduler:parse_scheduler", ("tcp://a b:1",),
     InvalidArgumentError),
]


def _resolve(spec: str):
    import importlib

    mod, attr = spec.split(":")
    obj = importlib.import_module(mod)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(("spec", "args", "cls"), [c[1:] for c in PARSERS],
                         ids=[c[0] for c in PARSERS])
def test_parser_rejects(spec, args, cls):
    _raises(cls, _resolve(spec), *args)


def test_band_objects_of_the_wrong_type():
    from supplyline.core.exposure import Band, ThreatProfile

    _raises(DataFormatError, ThreatProfile, (Band("a", "5"),))
    _raises(DataFormatError, ThreatProfile, ("a=5",))
    _raises(DataFormatError, ThreatProfile, (Band("a", True),))
    _raises(DataFormatError, ThreatProfile, tuple(Band(f"b{i}", i + 1) for i in range(20)))


@pytest.mark.realdata
def test_dates_outside_the_history(ws, intact, warm_cache):
    _raises(DateOutOfRangeError, ws.history.held, "1999-01-01")
    _raises(DateOutOfRangeError, ws.history.held, dt.date(2022, 1, 1))
    _raises(DateOutOfRangeError, sl.status, "Pokrovsk", "31.01.2025", ws=ws)
    intact(warm_cache)


def _routes_to_string(ws):
    """A string where a list is expected is one hub (or refused), never iterated by
    character ("place 'D' not found")."""
    road = sl.AnalysisOptions(modes=("road",))
    try:
        res = sl.routes("Pokrovsk", "2025-01-31", to="Dnipro", options=road, ws=ws)
    except SupplylineError as exc:
        assert "'D'" not in str(exc), f"wrong: {exc}"
        return
    hubs = [p.hub.name for p in res.modes["road"].hubs]
    assert hubs == ["Dnipro"], f"wrong: hubs {hubs}"


def _timeline_workers_string(ws):
    from supplyline.analysis.summary import timeline_analysis

    _raises(SupplylineError, timeline_analysis, ws, ["Pokrovsk"], "2025-10-01", "2025-10-03",
            workers="2")


LEAD_CASES = [
    ("status-none", lambda ws: _raises(SupplylineError, sl.status, None, "2025-01-31", ws=ws)),
    ("status-int", lambda ws: _raises(SupplylineError, sl.status, 123, "2025-01-31", ws=ws)),
    ("status-bytes", lambda ws: _raises(SupplylineError, sl.status, b"x", "2025-01-31",
                                        ws=ws)),
    ("radii-string", lambda ws: _raises(SupplylineError, sl.AnalysisOptions,
                                        radii_km="5,10")),
    ("ws-not-a-workspace", lambda ws: _raises(SupplylineError, sl.status, "Pokrovsk",
                                              "2025-01-31", ws="ws")),
    ("to-string", _routes_to_string),
    ("workers-string", _timeline_workers_string),
]


@pytest.mark.realdata
@pytest.mark.parametrize("check", [c[1] for c in LEAD_CASES], ids=[c[0] for c in LEAD_CASES])
def test_flat_api_arguments(check, ws, intact, warm_cache):
    """The flat API validates its arguments: the project's one-line error classes."""
    check(ws)
    intact(warm_cache)
