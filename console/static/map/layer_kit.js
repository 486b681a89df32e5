// The live map's layers by kind. Each layer gets its own pane and renderer so the drawing order
// follows the `layers` list whatever order the GeoJSON fetches finish in: areas and lines on
// canvases above Leaflet's overlays, points on spot canvases above its markers (or as DOM markers
// when the layer asks to cluster or pulse: leaflet_points.js). A layer's state holds its features
// by id; here they are added, registered (a point's click and tooltip) and restyled.
// Leaflet is handed in (the map loads it).
import { escapeHtml } from "../lib/escape.js"
import { bboxOf, featureId } from "./geometry.js"
import { spotCanvas } from "./spot_canvas.js"
import { styleFor } from "./style.js"

export const PANE_BASE_Z = 410   // above Leaflet's tile pane (200) and overlay pane (400)
export const POINT_PANE_Z = 620  // above Leaflet's marker pane (600), below tooltips/popups (650/700)

// paneOf(config, index) -> {name, zIndex} of the layer's own pane. Pure.
export function paneOf(config, index) {
  const isPoint = config.kind === "point"
  return {
    name: `lm-${index}-${config.name}`.replace(/[^A-Za-z0-9_-]/g, "_"),
    zIndex: String((isPoint ? POINT_PANE_Z : PANE_BASE_Z) + index),
  }
}

// canvasPadding(kind, {point_padding, canvas_padding}) -> how far past the view a canvas draws.
export function canvasPadding(kind, model) {
  return (kind === "point" ? model.point_padding : null) ?? model.canvas_padding ?? 0.3
}

// usesMarkers(config, points) -> whether the layer's points are DOM markers (points loaded).
export function usesMarkers(config, points) {
  return config.kind === "point" && Boolean(points) && Boolean(config.cluster || config.pulse)
}

// DOM markers (clustered and/or pulsing layers); canvas layers take GeoJSON as they are.
function markerFor(L, points, state, feature, now) {
  const [lon, lat] = feature.geometry.coordinates
  const marker = L.marker([lat, lon], {
    icon: points.pointIcon(L, feature, styleFor(state.config, feature), state.config.pulse, now),
    pane: state.paneName, keyboard: false,
  })
  marker._lmOverdue = Boolean(state.config.pulse) && points.isOverdue(feature, now)
  marker.feature = feature
  return marker
}

// layerKit({L, map, model, points, ClusterGroup, onPointClick, onToggle})
//   -> {makeState(config, index), addFeatures(state, features), restyle(state, entry, feature)}
// `onPointClick(state, feature, latlng)` on a point's click; `onToggle(state)` when the user turns
// the layer on or off.
export function layerKit({ L, map, model, points, ClusterGroup, onPointClick, onToggle }) {
  function makeState(config, index) {
    const { name: paneName, zIndex } = paneOf(config, index)
    const pane = map.createPane(paneName)
    const isPoint = config.kind === "point"
    pane.style.zIndex = zIndex
    const Renderer = isPoint ? spotCanvas(L) : L.Canvas
    const renderer = new Renderer({ pane: paneName, padding: canvasPadding(config.kind, model) })
    const markers = usesMarkers(config, points)
    const state = {
      config, pane, paneName, renderer, markers,
      features: new Map(),   // id -> {feature, bbox, layer}
      pushedIds: new Set(),  // ids upserted by messages, newer than any initial fetch
      holder: L.layerGroup(), // what the layer control toggles (user's choice)
      geo: null,              // the drawn GeoJSON layer, inside holder when zoom allows
      status: "idle",         // idle | loading | loaded | error
      active: false,
    }
    if (markers) {
      state.geo = config.cluster && ClusterGroup
        ? new ClusterGroup(points.clusterOptions(L, paneName)) : L.featureGroup()
    } else {
      state.geo = L.geoJSON(null, {
        pane: paneName,
        renderer,
        interactive: isPoint,
        style: (feature) => styleFor(config, feature),
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          ...styleFor(config, feature), renderer, pane: paneName, bubblingMouseEvents: false,
        }),
        onEachFeature: (feature, layer) => registerFeature(state, feature, layer),
      })
    }
    state.holder.on("add", () => onToggle(state))
    state.holder.on("remove", () => onToggle(state))
    return state
  }

  function registerFeature(state, feature, layer) {
    const id = featureId(feature) ?? `_${L.stamp(layer)}`
    state.features.set(id, { feature, layer, bbox: bboxOf(feature.geometry) })
    if (state.config.kind === "point") {
      layer.on("click", (ev) => onPointClick(state, layer.feature, ev.latlng))
      const props = feature.properties || {}
      if (props.name) {
        layer.bindTooltip(escapeHtml(props.name), { direction: "top", offset: [0, -6] })
      }
    }
  }

  function addFeatures(state, features) {
    if (!state.markers) { state.geo.addData(features); return }
    const now = Date.now()
    const made = []
    for (const feature of features) {
      if (!feature.geometry || feature.geometry.type !== "Point") { continue }
      const marker = markerFor(L, points, state, feature, now)
      registerFeature(state, feature, marker)
      made.push(marker)
    }
    if (state.geo.addLayers) { state.geo.addLayers(made) } else { made.forEach((m) => state.geo.addLayer(m)) }
  }

  function restyle(state, entry, feature) {
    if (entry.layer.setStyle) { entry.layer.setStyle(styleFor(state.config, feature)); return }
    const now = Date.now()
    entry.layer._lmOverdue = Boolean(state.config.pulse) && points.isOverdue(feature, now)
    entry.layer.setIcon(points.pointIcon(L, feature, styleFor(state.config, feature),
                                         state.config.pulse, now))
    if (state.geo.refreshClusters) { state.geo.refreshClusters(entry.layer) }
  }

  return { makeState, addFeatures, restyle }
}
