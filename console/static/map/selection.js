// The live map's clicks: what was clicked goes to the server (`click` messages: console/map.py
// keeps the last) and into a popup. Only the topmost canvas receives mouse events, so area
// features are found by our own point-in-polygon test on a map click, every area holding the
// spot listed, most specific (drawn last) first; a point layer's click comes from its marker.
// `areasAt` and the messages are pure (tests/js); the wiring takes Leaflet's map.
import { featureId, geometryContains } from "./geometry.js"
import { areaPopupHtml, featurePopupHtml } from "./popups.js"

// areasAt(states, lon, lat) -> [{layer, label, id, name, code, illustrative}], drawn last first.
export function areasAt(states, x, y) {
  const hits = []
  for (const state of [...states.values()].reverse()) {
    if (state.config.kind !== "polygon" || !state.active || state.config.click === false) {
      continue
    }
    for (const [id, entry] of state.features) {
      const b = entry.bbox
      if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) { continue }
      if (geometryContains(entry.feature.geometry, x, y)) {
        const props = entry.feature.properties || {}
        hits.push({ layer: state.config.name, label: state.config.label, id,
                    name: props.name ?? null, code: props.code ?? null,
                    illustrative: Boolean(props.illustrative) })
      }
    }
  }
  return hits
}

// clickMessage(lon, lat, hits) -> what the server is told (no labels, no 示意 flags).
export function clickMessage(x, y, hits) {
  return { type: "click", lat: y, lon: x,
           hits: hits.map(({ label, illustrative, ...rest }) => rest) }
}

// pointHit(config, feature) -> the one hit of a clicked point.
export function pointHit(config, feature) {
  const props = feature.properties || {}
  return { layer: config.name, id: featureId(feature), name: props.name ?? null,
           code: props.code ?? null }
}

function openPopup(L, map, latlng, html) {
  L.popup({ maxWidth: 320, className: "lm-popup" }).setLatLng(latlng).setContent(
    `<div class="lm-popup-body">${html}</div>`).openOn(map)
}

// wireSelection({L, map, model, states}) -> showPoint(state, feature, latlng), for point layers;
// `states()` gives the current layer states, asked on each map click.
export function wireSelection({ L, map, model, states }) {
  map.on("click", (e) => {
    const x = e.latlng.lng, y = e.latlng.lat
    const hits = areasAt(states(), x, y)
    model.send_msg(clickMessage(x, y, hits))
    if (!hits.length) { map.closePopup(); return }
    openPopup(L, map, e.latlng, areaPopupHtml(hits, x, y))
  })
  return function showPoint(state, feature, latlng) {
    openPopup(L, map, latlng, featurePopupHtml(state.config, feature, Date.now()))
    model.send_msg({ type: "click", lat: latlng.lat, lon: latlng.lng,
                     hits: [pointHit(state.config, feature)] })
  }
}
