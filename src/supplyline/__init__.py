"""supplyline: supply-route exposure and encirclement risk from open data.

The package is layered; data flows one way:

- :mod:`supplyline.io`       -- sources, downloads, file loaders, derived-data caches
- :mod:`supplyline.data`     -- control history, transport network, places
- :mod:`supplyline.core`     -- exposure, routes, encirclement, proximity, settlements, axes
- :mod:`supplyline.analysis` -- the workspace, queries with typed results, the timeline
- :mod:`supplyline.viz`      -- maps, animations, the report
- :mod:`supplyline.cli`      -- the command-line interface
"""

from ._version import __version__

__all__ = ["__version__"]
