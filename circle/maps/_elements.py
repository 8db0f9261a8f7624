"""The two branca elements the maps add: verbatim HTML and a line of attribution.

A module of its own so that branca (and folium) load only when a map is drawn.
"""

from __future__ import annotations

from branca.element import Element, MacroElement
from jinja2 import Template

__all__ = ["AddAttribution", "RawHtml"]


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
