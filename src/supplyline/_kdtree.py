"""scipy's ``cKDTree`` without importing the rest of :mod:`scipy.spatial`.

``from scipy.spatial import cKDTree`` runs ``scipy/spatial/__init__.py``, which imports
qhull, the distance functions, rotations and with them :mod:`scipy.special` and
:mod:`scipy.linalg`: ~0.1 s of CPU in a command-line query that needs the KD-tree only.
The compiled ``scipy.spatial._ckdtree`` module needs none of that, so it is loaded here
on its own, under its own name (a later ``import scipy.spatial`` finds and reuses it).
Whenever that is not possible (another scipy layout) the ordinary import is used: the
class is the same either way.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from typing import Any

_NAME = "scipy.spatial._ckdtree"


def _load() -> Any:
    if _NAME in sys.modules or "scipy.spatial" in sys.modules:
        from scipy.spatial import cKDTree

        return cKDTree
    try:
        import scipy

        base = Path(scipy.__path__[0]) / "spatial"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = base / f"_ckdtree{suffix}"
            if path.is_file():
                loader = importlib.machinery.ExtensionFileLoader(_NAME, str(path))
                spec = importlib.util.spec_from_file_location(_NAME, path, loader=loader)
                if spec is None:
                    break
                module = importlib.util.module_from_spec(spec)
                sys.modules[_NAME] = module
                try:
                    loader.exec_module(module)
                except BaseException:
                    del sys.modules[_NAME]
                    raise
                return module.cKDTree
    except Exception:  # pragma: no cover - another layout: the ordinary import below
        pass
    from scipy.spatial import cKDTree

    return cKDTree


cKDTree = _load()

__all__ = ["cKDTree"]
