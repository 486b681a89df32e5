// The live map's patches from the server: upsert features by id (points move and recolour in
// place), remove ids, and route each message to its layer. Works on the layer states of
// layer_kit.js through the callbacks it is handed (`addFeatures`, `restyle`), so it runs under
// node with stand-ins (tests/js).
import { bboxOf, featureId } from "./geometry.js"

// upsertFeatures(state, features, {addFeatures, restyle}): each feature replaces its id's.
export function upsertFeatures(state, features, { addFeatures, restyle }) {
  for (const feature of features) {
    const id = featureId(feature)
    if (id === undefined) { continue }
    state.pushedIds.add(id)
    const entry = state.features.get(id)
    if (entry && entry.layer.setLatLng && feature.geometry && feature.geometry.type === "Point") {
      // Move and recolour in place: no flicker, popups and tooltips stay attached.
      const [lon, lat] = feature.geometry.coordinates
      entry.layer.setLatLng([lat, lon])
      entry.layer.feature = feature
      entry.feature = feature
      restyle(state, entry, feature)
      entry.bbox = bboxOf(feature.geometry)
      continue
    }
    if (entry) { state.geo.removeLayer(entry.layer); state.features.delete(id) }
    addFeatures(state, [feature])
  }
}

// removeFeatures(state, ids): gone, and an initial fetch still in flight will not bring them back.
export function removeFeatures(state, ids) {
  for (const raw of ids) {
    const id = String(raw)
    const entry = state.features.get(id)
    if (entry) { state.geo.removeLayer(entry.layer); state.features.delete(id) }
    state.pushedIds.add(id)
  }
}

// applyPatch(msg, states, {flyTo, addFeatures, restyle, changed}): one message from the server.
export function applyPatch(msg, states, { flyTo, addFeatures, restyle, changed }) {
  if (msg.type === "flyTo") { flyTo(msg); return }
  const state = states.get(msg.layer)
  if (!state) {
    console.warn(`LeafletMap: 未知图层 ${msg.layer}`)
    return
  }
  if (msg.type === "upsert") {
    upsertFeatures(state, msg.features || [], { addFeatures, restyle })
  } else if (msg.type === "remove") {
    removeFeatures(state, msg.ids || [])
  } else {
    console.warn(`LeafletMap: 未知消息类型 ${msg.type}`)
  }
  changed()
}
