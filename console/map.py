"""The live Leaflet map component, with every asset served from the console's own static folder."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import param
from bokeh.document import Document
from panel.custom import JSComponent

from console.wire import TextMessages
from layers.registry import LAYERS, LayerSpec
from layers.tiles import TileSettings

STATIC_DIR = Path(__file__).parent / "static"
STATIC_SLUG = "assets"
STATIC_URL = f"/{STATIC_SLUG}"
STATIC_DIRS: dict[str, str] = {STATIC_SLUG: str(STATIC_DIR)}
"""What the server passes as ``pn.serve(static_dirs=...)``: console/static at ``/assets``.

Not ``/static``: Bokeh serves its own JS there and Panel refuses a ``static_dirs`` entry with
that slug ("Static file route may not use /static this is reserved for internal use").
"""

IMPORTMAP: dict[Literal["imports", "scopes"], dict[str, str]] = {"imports": {"fq/": f"{STATIC_URL}/"}}
"""The import map of every console component: its module writes ``import … from "fq/lib/time.js"``
and the browser loads ``/assets/lib/time.js`` from this server (Panel evaluates a component's
module from a blob: URL, against which no relative path resolves; the map makes the shared modules
one same-origin file each, cached once per page)."""


_MAPPED_DOCS: weakref.WeakSet[Document] = weakref.WeakSet()


class FqComponent(JSComponent):
    """A console component whose module imports ``fq/...``: the page's import map is declared by
    the first such component of a document only. The browser keeps one import map per page, and
    es-module-shims rejects a second declaration of ``fq/`` even with the same target (it compares
    the new relative URL with the absolute one it stored): Panel logged "Failed to add import map:
    Rejected map override" for every component after the first. A document's components reach
    the browser together (or later, into the same page), so the first one's map serves them all."""

    _importmap = IMPORTMAP

    def _get_properties(self, doc: Document | None) -> dict[str, Any]:
        props = super()._get_properties(doc)
        if doc is not None:
            if doc in _MAPPED_DOCS:
                props["importmap"] = {}
            else:
                _MAPPED_DOCS.add(doc)
        return props

LAYER_KINDS = ("polygon", "line", "point")
_LAYER_KEYS = frozenset(
    {"name", "label", "url", "visible", "min_zoom", "style", "kind", "legend", "cluster",
     "pulse", "click"}
)

# Road line widths (px) by geo.schema.ROAD_CLASSES: roads are the basemap when no tiles exist.
ROAD_WIDTHS: dict[str, float] = {
    "motorway": 4.0,
    "trunk": 3.5,
    "primary": 3.0,
    "secondary": 2.4,
    "tertiary": 1.8,
    "residential": 1.2,
    "unclassified": 1.0,
    "living_street": 0.9,
    "service": 0.8,
    "footway": 0.5,
    "path": 0.5,
}


def validate_layers(layers: Sequence[Mapping[str, Any]]) -> None:
    """Raise ``ValueError`` unless every layer config is well formed and names are unique."""
    seen: set[str] = set()
    for i, layer in enumerate(layers):
        if not isinstance(layer, Mapping):
            raise ValueError(f"layer {i} must be a dict, got {type(layer).__name__}")
        unknown = set(layer) - _LAYER_KEYS
        if unknown:
            raise ValueError(f"layer {i} has unknown keys {sorted(unknown)}")
        name = layer.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"layer {i} needs a non-empty string 'name'")
        if name in seen:
            raise ValueError(f"duplicate layer name {name!r}")
        seen.add(name)
        if not isinstance(layer.get("label"), str) or not layer["label"]:
            raise ValueError(f"layer {name!r} needs a 'label' (shown to users, in Chinese)")
        if layer.get("kind") not in LAYER_KINDS:
            raise ValueError(f"layer {name!r}: 'kind' must be one of {LAYER_KINDS}")
        url = layer.get("url")
        if url is not None and not isinstance(url, str):
            raise ValueError(f"layer {name!r}: 'url' must be a string or None")
        min_zoom = layer.get("min_zoom")
        if min_zoom is not None and (isinstance(min_zoom, bool) or not isinstance(min_zoom, int)):
            raise ValueError(f"layer {name!r}: 'min_zoom' must be an int or None")
        if not isinstance(layer.get("style", {}), Mapping):
            raise ValueError(f"layer {name!r}: 'style' must be a dict")


class LayerList(param.List):
    """A ``param.List`` of layer configs, validated on every assignment."""

    def _validate(self, val: Any) -> None:
        super()._validate(val)
        if val is not None:
            validate_layers(val)


class LeafletMap(TextMessages, FqComponent):
    """
    A Leaflet map drawing GeoJSON layers fetched from the console's own API.

    Layers are drawn in list order (later on top), each on its own canvas. A layer with
    ``min_zoom`` (micro-grids) is drawn only at that zoom or closer. Clicking the map lists the
    areas containing the point (name and code); clicking a point feature shows that feature.
    Live changes go through :meth:`update_features` and :meth:`remove_features`, which move
    and recolour features in place without re-rendering the map.

    Leaflet is imported from ``{static_url}/vendor/leaflet/``; nothing is fetched from the
    internet, and with ``basemap_url=None`` no tiles are requested at all.
    """

    center = param.NumericTuple(default=(45.60, 84.87), length=2, doc="""
        Initial map centre as (lat, lon), WGS-84.""")

    zoom = param.Integer(default=13, bounds=(3, 19), doc="Initial zoom level.")

    layers = LayerList(default=[], item_type=dict, doc="""
        Layer configs, bottom to top: {"name", "label", "url", "kind": "polygon"|"line"|"point",
        "visible": bool, "min_zoom": int | None, "style": {...}, "legend": bool}. "style" holds
        Leaflet path options (color, weight, fillColor, fillOpacity, dashArray, radius) and
        optionally "by": <property> with "classes": {value: {"label": ..., <path options>}}.
        "url" may be None for a layer filled only by update_features(). Point layers may set
        "cluster": true (markers grouped where they crowd, vendored leaflet.markercluster) and
        "pulse": true (features whose "due" time has passed pulse; re-checked as time goes
        by); "click": false keeps a polygon layer out of the click popup (e.g. the heat).""")

    basemap_url = param.String(default=None, allow_None=True, doc="""
        Optional intranet XYZ tile URL template ({z}/{x}/{y}); None draws no tiles.""")

    basemap_crs: param.Selector = param.Selector(default="wgs84", objects=["wgs84", "gcj02"], doc="""
        The tiles' coordinate system. gcj02: each tile is moved by the shift the server
        computes for it (``basemap_shift_url``), so the WGS-84 data stays as it is.""")

    basemap_shift_url = param.String(default="/api/v1/map/tile-shift", doc="""
        Where a GCJ-02 tile's shift is asked for (``?z=&x=&y=`` → ``{dx, dy}`` pixels).""")

    export_url = param.String(default=None, allow_None=True, doc="""
        Optional URL of an HTML export of the current view: a map button opens it with
        ``?bbox=minlon,minlat,maxlon,maxlat`` appended.""")

    canvas_padding = param.Number(default=0.3, bounds=(0.0, 1.0), doc="""
        How far each layer's canvas reaches beyond the view (a share of its size): more keeps
        panning smooth, less paints and uploads fewer pixels (a wall that is never dragged).""")

    point_padding = param.Number(default=None, allow_None=True, bounds=(0.0, 1.0), doc="""
        The same for point layers (None: ``canvas_padding``). Their canvases change with every
        move and are copied to the screen each time: a small reach costs little while dragging
        (points beyond it appear when the drag ends) and saves that copy in every frame.""")

    badge = param.String(default="示意：网格与微网格为示意数据", doc="""
        Text always shown on top of the map; empty hides it.""")

    static_url = param.String(default=STATIC_URL, doc="""
        URL prefix under which console/static is served (see STATIC_DIRS).""")

    last_click = param.Dict(default=None, allow_None=True, doc="""
        Last map click reported by the browser: {"lat", "lon", "hits": [{"layer", "id",
        "name", "code"}]} (Python side only).""")

    _esm: ClassVar[Path] = STATIC_DIR / "leaflet_map.js"
    _importmap = IMPORTMAP

    listening = param.Integer(default=0, doc="""
        Bumped each time a browser's view of this map has registered for messages (Python side
        only). Messages sent before that are lost: a page pushing live layers on load pushes
        them again when this moves after its load.""")

    _rename: ClassVar[dict[str, str | None]] = {"last_click": None, "listening": None}

    def __init__(self, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_both")
        params.setdefault("min_height", 400)
        prefix = str(params.get("static_url", self.param.static_url.default)).rstrip("/")
        # Stylesheets go into the component's shadow root, where Leaflet's DOM lives.
        params["stylesheets"] = [
            f"{prefix}/vendor/leaflet/leaflet.css",
            f"{prefix}/vendor/leaflet.markercluster/MarkerCluster.css",
            f"{prefix}/vendor/leaflet.markercluster/MarkerCluster.Default.css",
            f"{prefix}/leaflet_map.css",
            f"{prefix}/leaflet_points.css",
            *params.get("stylesheets", []),
        ]
        super().__init__(**params)

    def update_features(self, layer: str, features: Iterable[Mapping[str, Any]]) -> None:
        """
        Upsert GeoJSON features by id in a named layer, in every open view of this map.

        Parameters
        ----------
        layer
            Name of a configured layer.
        features
            GeoJSON Feature dicts (or a FeatureCollection dict), each with an ``id`` (or
            ``properties.id``). Point features already on the map move and restyle in place.
        """
        self._check_layer(layer)
        items = _as_features(features)
        for feature in items:
            if _feature_id(feature) is None:
                raise ValueError("every feature needs an 'id' (or properties.id)")
        if items:
            self._send_msg({"type": "upsert", "layer": layer, "features": items})

    def remove_features(self, layer: str, ids: Iterable[str | int]) -> None:
        """Remove features by id from a named layer, in every open view of this map."""
        self._check_layer(layer)
        id_list = [str(i) for i in ids]
        if id_list:
            self._send_msg({"type": "remove", "layer": layer, "ids": id_list})

    def fly_to(self, lon: float, lat: float, *, label: str = "", zoom: int | None = None) -> None:
        """Move every open view of this map to a point and pin it with a label."""
        self._send_msg({"type": "flyTo", "lon": round(float(lon), 7), "lat": round(float(lat), 7),
                        "label": label, "zoom": zoom})

    def _check_layer(self, layer: str) -> None:
        if layer not in {cfg["name"] for cfg in self.layers}:
            raise KeyError(f"no layer named {layer!r}")

    def _handle_msg(self, data: Any) -> None:
        if isinstance(data, dict) and data.get("type") == "listening":
            self.listening += 1
        elif isinstance(data, dict) and data.get("type") == "click":
            self.last_click = {k: data.get(k) for k in ("lat", "lon", "hits")}


def basemap(tiles: TileSettings | None, api_base: str = "/api/v1") -> dict[str, Any]:
    """:class:`LeafletMap` keyword arguments drawing the process's tiles (``App.tiles``)."""
    if tiles is None or tiles.url is None:
        return {}
    return {"basemap_url": tiles.url, "basemap_crs": tiles.crs,
            "basemap_shift_url": f"{api_base.rstrip('/')}/map/tile-shift"}


def _as_features(features: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> list[dict[str, Any]]:
    if isinstance(features, Mapping):
        if features.get("type") == "FeatureCollection":
            return [dict(f) for f in features.get("features", [])]
        return [dict(features)]
    return [dict(f) for f in features]


def _feature_id(feature: Mapping[str, Any]) -> Any:
    if feature.get("id") is not None:
        return feature["id"]
    return (feature.get("properties") or {}).get("id")


def layer_config(spec: LayerSpec, *, api_base: str = "/api/v1") -> dict[str, Any]:
    """A :class:`LeafletMap` layer config from a ``layers.registry`` spec, served by the API."""
    style: dict[str, Any] = dict(spec.style)
    if spec.kind == "point":
        # A white ring keeps markers readable over any fill; grey for values with no colour.
        style.setdefault("color", "#ffffff")
        style.setdefault("fillColor", "#555555")
    if spec.colour_by:
        style["by"] = spec.colour_by
        key = "color" if spec.kind == "line" else "fillColor"
        style["classes"] = {
            value: {key: colour,
                    **({"label": spec.labels[value]} if value in spec.labels else {})}
            for value, colour in spec.colours.items()
        }
    return {
        "name": spec.name, "label": spec.label, "kind": spec.kind,
        "url": f"{api_base.rstrip('/')}/layers/{spec.name}.geojson",
        "visible": spec.visible, "min_zoom": spec.min_zoom, "style": style,
    }


TERRITORY = ("roads", "streets", "communities", "grids", "micro_grids", "police_grids",
             "coverage", "facilities")
"""The territory layers the home page shows, bottom to top."""


def territory_layers(api_base: str = "/api/v1") -> list[dict[str, Any]]:
    """The territory layers as served by ``{api_base}/layers/{name}.geojson``, bottom to top.

    Roads are the basemap when there are no tiles: thin grey lines, wider for bigger roads.
    """
    configs = [layer_config(LAYERS[name], api_base=api_base) for name in TERRITORY]
    for cfg in configs:
        if cfg["name"] == "roads":
            cfg["url"] += "?merge=class"  # a basemap of ~10 lines, not thousands of edges
            cfg["style"]["by"] = "road_class"
            cfg["style"]["classes"] = {k: {"weight": w} for k, w in ROAD_WIDTHS.items()}
    return configs
