"""supplyline: supply-route exposure and encirclement risk from open data.

The library API, in the order data flows through it:

- :mod:`supplyline.sources`  -- where the data lives, what was found (``data status``)
- :mod:`supplyline.fetch`    -- downloading public sources into the cache
- :mod:`supplyline.control`  -- control (held territory) history: "held on date D"
- :mod:`supplyline.network`  -- the routable road / rail network
- :mod:`supplyline.places`   -- gazetteer: places and oblasts
- :mod:`supplyline.exposure` -- threat bands and per-edge clearance from held territory
- :mod:`supplyline.routes`   -- routes to rear hubs, safest route, resilience
- :mod:`supplyline.encirclement` -- ring occupancy, flanks, corridor width
- :mod:`supplyline.analysis` -- one-call summaries used by the CLI
"""

__version__ = "0.1.0"
