"""supplyline: supply-route exposure and encirclement risk from open data.

A flat public namespace (names are imported on first use, so ``import supplyline`` and
the command line start fast)::

    import supplyline as sl
    sl.status("Pokrovsk", "2025-01-31").distance_to_held_km
    sl.routes("Pokrovsk", "2025-01-31", to=["Dnipro"]).to_geodataframe()
    sl.timeline(["Pokrovsk"], "2025-01-01", "2025-06-30")["timeline"].days

The package is layered; data flows one way: :mod:`supplyline.io` (sources, downloads,
loaders, caches) -> :mod:`supplyline.data` (control history, network, places) ->
:mod:`supplyline.core` (exposure, routes, encirclement, ...) -> :mod:`supplyline.analysis`
(workspace, queries, typed results, timeline) -> :mod:`supplyline.viz` (maps, report) ->
:mod:`supplyline.cli`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

#: public name -> module it lives in
_EXPORTS = {
    # queries (one call per question)
    "status": "supplyline.analysis.api",
    "routes": "supplyline.analysis.api",
    "encirclement": "supplyline.analysis.api",
    "distance": "supplyline.analysis.api",
    "places": "supplyline.analysis.api",
    "axes": "supplyline.analysis.api",
    "timeline": "supplyline.analysis.api",
    "edge_exposure": "supplyline.analysis.api",
    "held_territory": "supplyline.analysis.api",
    "network_edges": "supplyline.analysis.api",
    "to_networkx": "supplyline.analysis.api",
    "default_workspace": "supplyline.analysis.api",
    # context and options
    "Workspace": "supplyline.analysis.context",
    "AnalysisOptions": "supplyline.analysis.options",
    "ThreatProfile": "supplyline.core.exposure",
    "Band": "supplyline.core.exposure",
    # results
    "StatusResult": "supplyline.analysis.results",
    "RoutesResult": "supplyline.analysis.results",
    "EncirclementResult": "supplyline.analysis.results",
    "DistanceResult": "supplyline.analysis.results",
    "PlacesResult": "supplyline.analysis.results",
    "AxesResult": "supplyline.analysis.results",
    "PlaceRef": "supplyline.analysis.results",
    "json_schema": "supplyline.analysis.results",
    "Timeline": "supplyline.analysis.timeline",
    # errors
    "SupplylineError": "supplyline.errors",
    "InvalidArgumentError": "supplyline.errors",
    "DataNotFoundError": "supplyline.errors",
    "DataFormatError": "supplyline.errors",
    "DateOutOfRangeError": "supplyline.errors",
    "PlaceNotFoundError": "supplyline.errors",
    "OffNetworkError": "supplyline.errors",
    "OutputError": "supplyline.errors",
    "FetchError": "supplyline.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'supplyline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # explicit re-exports for type checkers and IDEs
    from .analysis.api import axes as axes
    from .analysis.api import default_workspace as default_workspace
    from .analysis.api import distance as distance
    from .analysis.api import edge_exposure as edge_exposure
    from .analysis.api import encirclement as encirclement
    from .analysis.api import held_territory as held_territory
    from .analysis.api import network_edges as network_edges
    from .analysis.api import places as places
    from .analysis.api import routes as routes
    from .analysis.api import status as status
    from .analysis.api import timeline as timeline
    from .analysis.api import to_networkx as to_networkx
    from .analysis.context import Workspace as Workspace
    from .analysis.options import AnalysisOptions as AnalysisOptions
    from .analysis.results import AxesResult as AxesResult
    from .analysis.results import DistanceResult as DistanceResult
    from .analysis.results import EncirclementResult as EncirclementResult
    from .analysis.results import PlaceRef as PlaceRef
    from .analysis.results import PlacesResult as PlacesResult
    from .analysis.results import RoutesResult as RoutesResult
    from .analysis.results import StatusResult as StatusResult
    from .analysis.results import json_schema as json_schema
    from .analysis.timeline import Timeline as Timeline
    from .core.exposure import Band as Band
    from .core.exposure import ThreatProfile as ThreatProfile
    from .errors import DataFormatError as DataFormatError
    from .errors import DataNotFoundError as DataNotFoundError
    from .errors import DateOutOfRangeError as DateOutOfRangeError
    from .errors import FetchError as FetchError
    from .errors import InvalidArgumentError as InvalidArgumentError
    from .errors import OffNetworkError as OffNetworkError
    from .errors import OutputError as OutputError
    from .errors import PlaceNotFoundError as PlaceNotFoundError
    from .errors import SupplylineError as SupplylineError
