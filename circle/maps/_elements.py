"""The branca elements the maps add: verbatim HTML, a line of attribution, the tile fallback.

A module of its own so that branca (and folium) load only when a map is drawn.
"""

from __future__ import annotations

from branca.element import Element, MacroElement
from jinja2 import Template

__all__ = ["AddAttribution", "RawHtml", "TileFallback"]


class RawHtml(Element):
    """HTML or script emitted verbatim (never parsed as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__("{{ this.text }}")
        self.text = text


class AddAttribution(MacroElement):
    """Adds a line to the map's attribution control (shown with or without base tiles)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "AddAttribution"
        self.text = text


class TileFallback(MacroElement):
    """When a tile layer's first tile fails (no internet), remove the layer and show a notice:
    the map keeps its offline base (the streets drawn from the data).

    Added to the tile layer, so its script runs right after the layer is created, before any
    tile can fail.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (layer) {"
        " let failed = false;"
        " layer.on('tileerror', function () {"
        "  if (failed) return; failed = true;"
        "  layer.remove();"
        "  const note = document.createElement('div');"
        "  note.className = 'circle-tiles-notice';"
        "  note.setAttribute('role', 'status');"
        "  note.textContent = {{ this.text|tojson }};"
        "  note.style.cssText = 'position:fixed;bottom:26px;left:10px;z-index:1000;"
        "background:#fff3cd;border:1px solid #d39e00;padding:6px 10px;border-radius:4px;"
        "font-size:12px;max-width:40%';"
        "  document.body.append(note);"
        " });"
        "})({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "TileFallback"
        self.text = text
