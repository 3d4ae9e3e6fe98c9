"""Modules imported on first use.

pandas, geopandas and pyarrow take longer to import (~0.5-1 s together) than a whole
command-line query needs for its work. Modules that use them only on some paths bind
them with :func:`lazy_module`: the import happens the first time an attribute is read,
so a command that never reaches such a path never pays for it::

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = lazy_module("pandas")
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` and imports it when an attribute is first read."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_module", None)

    def _load(self) -> ModuleType:
        mod = object.__getattribute__(self, "_module")
        if mod is None:
            mod = importlib.import_module(object.__getattribute__(self, "_name"))
            object.__setattr__(self, "_module", mod)
        return mod

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        name = object.__getattribute__(self, "_name")
        state = "loaded" if object.__getattribute__(self, "_module") else "not loaded yet"
        return f"<lazy module {name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for ``import name`` that imports the module on first attribute access."""
    return LazyModule(name)
