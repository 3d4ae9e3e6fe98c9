"""HTML pages from the front-end's package files (``viz/frontend/``).

The board and the city page are templates with ``{{name}}`` slots filled here, either
for the web service (stylesheets and scripts linked from ``/static/``) or as one
self-contained file (everything inline: the offline report). Data goes into JSON
``<script type="application/json">`` blocks, escaped so no value can end the block;
the scripts set every data-derived string as text.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from ..i18n import catalogue, get_language, normalise
from .maplibre import MapLibre

FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"
#: front-end files of each page, in load order (after MapLibre)
PAGE_SCRIPTS = {"city": ("common.js", "city.js"), "board": ("common.js", "board.js")}
STATIC_FILES = ("style.css", "common.js", "city.js", "board.js", "docs.js")


@cache
def frontend_file(name: str) -> str:
    """The text of a front-end package file."""
    if name not in (*STATIC_FILES, "city.html", "board.html", "docs.html"):
        raise KeyError(name)
    return (FRONTEND_DIR / name).read_text(encoding="utf-8")


def json_script(element_id: str, obj: Any) -> str:
    """``obj`` as a JSON ``<script>`` block that no string in it can close or comment."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script id="{element_id}" type="application/json">{s}</script>'


def _inline_js(js: str) -> str:
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.I)


def _inline_css(css: str) -> str:
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.I)


def render_page(name: str, *, title: str, config: dict[str, Any],
                data: Any = None, maplibre: MapLibre | None = None,
                static_prefix: str = "/static", nav: str = "", generated: str = "",
                attribution: str = "", lang: str | None = None) -> str:
    """The ``name`` page ("city" or "board"). With ``maplibre`` everything is inlined
    (one offline file); without it the styles and scripts are linked from
    ``static_prefix`` (``vendor/`` for MapLibre). ``nav`` is trusted HTML of ours;
    ``title``, ``generated`` and ``attribution`` are escaped here.

    The page is in ``lang`` (default: the active language): ``<html lang>`` and the
    catalogue of that language (``{english: translation}``, empty for English) as the
    JSON block ``supplyline-messages``, read by ``SL.t`` in ``common.js``."""
    code = normalise(lang) or get_language()
    scripts = PAGE_SCRIPTS[name]
    if maplibre is not None:
        styles = (f"<style>{_inline_css(maplibre.css.decode('utf-8'))}</style>\n"
                  f"<style>{_inline_css(frontend_file('style.css'))}</style>")
        body_js = "\n".join([f"<script>{_inline_js(maplibre.js.decode('utf-8'))}</script>",
                             *[f"<script>{_inline_js(frontend_file(s))}</script>"
                               for s in scripts]])
    else:
        p = static_prefix.rstrip("/")
        styles = (f'<link rel="stylesheet" href="{p}/vendor/maplibre-gl.css">\n'
                  f'<link rel="stylesheet" href="{p}/style.css">')
        body_js = "\n".join([f'<script src="{p}/vendor/maplibre-gl.js"></script>',
                             *[f'<script src="{p}/{s}"></script>' for s in scripts]])
    values = {"title": html.escape(title), "styles": styles, "scripts": body_js,
              "config": json_script("supplyline-config", config),
              "data": json_script("supplyline-data", data) if data is not None else "",
              "nav": nav, "generated": html.escape(generated),
              "attribution": html.escape(attribution), "lang": code,
              "messages": json_script("supplyline-messages", catalogue(code))}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)],
                  frontend_file(f"{name}.html"))


__all__ = ["FRONTEND_DIR", "STATIC_FILES", "frontend_file", "json_script", "render_page"]
