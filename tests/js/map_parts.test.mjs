// console/static/map/: the live map's parts split out of leaflet_map.js render(), run with
// stand-ins for Leaflet's layers and Panel's model (no browser).
import assert from "node:assert/strict"
import { afterEach, test } from "node:test"

import { legendHtml, overlayLabel, startsFolded } from "../../console/static/map/controls.js"
import { showBadge } from "../../console/static/map/frame.js"
import { openInbox, timedApply } from "../../console/static/map/inbox.js"
import { canvasPadding, paneOf, usesMarkers } from "../../console/static/map/layer_kit.js"
import { addInSlices, freshOnly, loadLayer, nextSliceSize } from "../../console/static/map/layer_load.js"
import { applyPatch, removeFeatures, upsertFeatures } from "../../console/static/map/live_patch.js"
import { areasAt, clickMessage, pointHit } from "../../console/static/map/selection.js"
import { layerStatus, staleOverdue } from "../../console/static/map/status.js"
import { exportBox, flyTarget, zoomAllows } from "../../console/static/map/view.js"

const realFetch = globalThis.fetch
afterEach(() => { globalThis.fetch = realFetch; delete globalThis.__lmTiming })

const square = (x0, y0, x1, y1) => ({
  type: "Polygon", coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
})
const point = (id, lon, lat, props = {}) => ({
  type: "Feature", id, geometry: { type: "Point", coordinates: [lon, lat] }, properties: props,
})

// A layer state as layer_kit.js makes it, with a stand-in for its drawn layer.
function fakeState(config, entries = []) {
  const removed = []
  const state = {
    config, markers: false, status: "idle", active: true, pushedIds: new Set(),
    features: new Map(), geo: { removeLayer: (layer) => removed.push(layer) }, removed,
  }
  for (const [id, entry] of entries) { state.features.set(id, entry) }
  return state
}

function fakeModel() {
  const handlers = {}
  const sent = []
  return {
    sent, handlers,
    on(name, fn) { handlers[name] = fn },
    off(name, fn) { if (handlers[name] === fn) { delete handlers[name] } },
    send_msg(msg) { sent.push(msg) },
  }
}

test("the inbox says it listens, queues until started, decodes JSON text, and can be closed", () => {
  const model = fakeModel()
  const inbox = openInbox(model)
  assert.deepEqual(model.sent, [{ type: "listening" }])
  model.handlers["msg:custom"](JSON.stringify({ type: "remove", layer: "units", ids: [1] }))
  model.handlers["msg:custom"]({ type: "flyTo", lat: 1, lon: 2 })
  const applied = []
  inbox.start((msg) => applied.push(msg.type))
  assert.deepEqual(applied, ["remove", "flyTo"])  // in arrival order
  model.handlers["msg:custom"]("null")            // not an object: ignored
  model.handlers["msg:custom"]({ type: "upsert", layer: "units", features: [] })
  assert.deepEqual(applied, ["remove", "flyTo", "upsert"])
  inbox.close()
  assert.equal(model.handlers["msg:custom"], undefined)
})

test("a handled message is timed only when __lmTiming is a list", () => {
  let n = 0
  timedApply(() => n++, { type: "remove", layer: "units", ids: [1, 2] })
  assert.equal(n, 1)
  globalThis.__lmTiming = []
  timedApply(() => n++, { type: "remove", layer: "units", ids: [1, 2] })
  assert.equal(n, 2)
  const [[t0, ms, type, layer, count]] = globalThis.__lmTiming
  assert.ok(t0 > 0 && ms >= 0)
  assert.deepEqual([type, layer, count], ["remove", "units", 2])
})

test("an upsert moves a drawn point in place and replaces anything else", () => {
  const moved = []
  const marker = { setLatLng: (at) => moved.push(at), feature: null }
  const area = { name: "old area" }
  const state = fakeState({ name: "mixed" }, [
    ["u1", { feature: point("u1", 0, 0), layer: marker, bbox: [0, 0, 0, 0] }],
    ["a1", { feature: { id: "a1", geometry: square(0, 0, 1, 1) }, layer: area, bbox: [0, 0, 1, 1] }],
  ])
  const added = [], restyled = []
  const actions = { addFeatures: (s, fs) => added.push(...fs),
                    restyle: (s, entry, f) => restyled.push(f.id) }
  const newArea = { id: "a1", geometry: square(2, 2, 3, 3), properties: {} }
  upsertFeatures(state, [point("u1", 84.9, 45.6, { status: "busy" }), newArea,
                         { geometry: square(0, 0, 1, 1), properties: {} }], actions)
  assert.deepEqual(moved, [[45.6, 84.9]])         // Leaflet's lat, lon
  assert.deepEqual(restyled, ["u1"])
  assert.deepEqual(state.features.get("u1").bbox, [84.9, 45.6, 84.9, 45.6])
  assert.equal(marker.feature.properties.status, "busy")
  assert.deepEqual(state.removed, [area])         // the area is redrawn, not moved
  assert.deepEqual(added, [newArea])              // the feature without an id is skipped
  assert.deepEqual([...state.pushedIds], ["u1", "a1"])
})

test("a removal takes the ids off and keeps a later fetch from bringing them back", () => {
  const layer = {}
  const state = fakeState({ name: "units" }, [["7", { feature: point(7, 0, 0), layer }]])
  removeFeatures(state, [7, "8"])
  assert.equal(state.features.size, 0)
  assert.deepEqual(state.removed, [layer])
  assert.deepEqual(freshOnly(state, [point(7, 0, 0), point(8, 0, 0), point(9, 0, 0)]).map((f) => f.id),
    [9])
})

test("a patch goes to its layer; flyTo goes to the view; unknown layers and types are warned of", () => {
  const state = fakeState({ name: "units" }, [["1", { feature: point(1, 0, 0), layer: {} }]])
  const calls = []
  const actions = { flyTo: (m) => calls.push(["fly", m.lat]), addFeatures: () => {},
                    restyle: () => {}, changed: () => calls.push(["changed"]) }
  const warned = []
  const realWarn = console.warn
  console.warn = (text) => warned.push(text)
  try {
    const states = new Map([["units", state]])
    applyPatch({ type: "flyTo", lat: 45 }, states, actions)
    applyPatch({ type: "remove", layer: "units", ids: [1] }, states, actions)
    applyPatch({ type: "remove", layer: "nope", ids: [1] }, states, actions)
    applyPatch({ type: "shout", layer: "units" }, states, actions)
  } finally {
    console.warn = realWarn
  }
  assert.deepEqual(calls, [["fly", 45], ["changed"], ["changed"]])
  assert.equal(state.features.size, 0)
  assert.deepEqual(warned, ["LeafletMap: 未知图层 nope", "LeafletMap: 未知消息类型 shout"])
})

test("slices aim at 25 ms each, between 50 and 5000 features", () => {
  assert.equal(nextSliceSize(200, 25), 200)
  assert.equal(nextSliceSize(200, 50), 100)
  assert.equal(nextSliceSize(200, 1000), 50)
  assert.equal(nextSliceSize(4000, 0), 5000)
})

test("a big layer is added slice by slice, pushed features kept, and stops when aborted", async () => {
  const features = Array.from({ length: 450 }, (_, i) => point(i, 0, 0))
  const state = fakeState({ name: "grids" })
  state.pushedIds.add("3")
  const slices = []
  const addFeatures = (s, fs) => {
    slices.push(fs.length)
    for (const f of fs) { s.features.set(String(f.id), { feature: f }) }
  }
  globalThis.__lmTiming = []
  await addInSlices(state, features, { addFeatures, signal: new AbortController().signal })
  assert.equal(state.features.size, 449)          // all but the pushed one
  assert.equal(slices[0], 199)
  assert.ok(slices.length >= 2)
  assert.deepEqual(globalThis.__lmTiming.map((t) => t[2]), slices.map(() => "add"))
  const aborted = new AbortController()
  aborted.abort()
  const none = fakeState({ name: "grids" })
  await addInSlices(none, features, { addFeatures, signal: aborted.signal })
  assert.equal(none.features.size, 0)
})

test("a layer loads once from its URL: idle, loading, loaded; a failed answer is an error", async () => {
  const asked = []
  globalThis.fetch = async (url, init) => {
    asked.push([url, init.headers.Accept, init.credentials])
    return url.endsWith("/bad")
      ? new Response("{}", { status: 500 })
      : Response.json({ type: "FeatureCollection", features: [point(1, 0, 0), point(2, 0, 0)] })
  }
  const seen = []
  const state = fakeState({ name: "grids", url: "/api/v1/layers/grids" })
  const opts = { addFeatures: (s, fs) => fs.forEach((f) => s.features.set(String(f.id), {})),
                 signal: new AbortController().signal, changed: () => seen.push(state.status),
                 base: "http://console.test/desk" }
  await loadLayer(state, opts)
  assert.deepEqual(seen, ["loading", "loaded"])
  assert.equal(state.features.size, 2)
  assert.deepEqual(asked, [["http://console.test/api/v1/layers/grids",
                            "application/geo+json, application/json", "same-origin"]])
  await loadLayer(state, opts)                    // loaded already: not asked again
  assert.equal(asked.length, 1)
  const pushedOnly = fakeState({ name: "units", url: null })
  await loadLayer(pushedOnly, opts)
  assert.equal(pushedOnly.status, "idle")
  const bad = fakeState({ name: "bad", url: "/bad" })
  const realError = console.error
  console.error = () => {}
  try { await loadLayer(bad, opts) } finally { console.error = realError }
  assert.equal(bad.status, "error")
})

test("a click lists the active areas holding it, drawn last first, and tells the server less", () => {
  const grid = fakeState({ name: "grids", label: "网格", kind: "polygon" }, [
    ["g1", { feature: { geometry: square(0, 0, 10, 10), properties: { name: "一网格", code: "G1",
                                                                      illustrative: true } },
             bbox: [0, 0, 10, 10] }],
    ["g2", { feature: { geometry: square(20, 0, 30, 10), properties: {} }, bbox: [20, 0, 30, 10] }],
  ])
  const micro = fakeState({ name: "micro", label: "微网格", kind: "polygon" }, [
    ["m1", { feature: { geometry: square(0, 0, 5, 5), properties: { name: "微一" } },
             bbox: [0, 0, 5, 5] }],
  ])
  const off = fakeState({ name: "police", label: "警务区", kind: "polygon" }, [
    ["p1", { feature: { geometry: square(0, 0, 10, 10), properties: {} }, bbox: [0, 0, 10, 10] }],
  ])
  off.active = false
  const quiet = fakeState({ name: "q", label: "静", kind: "polygon", click: false }, [...off.features])
  const units = fakeState({ name: "units", label: "警力", kind: "point" }, [...off.features])
  const states = new Map([["grids", grid], ["micro", micro], ["police", off], ["q", quiet],
                          ["units", units]])
  const hits = areasAt(states, 2, 2)
  assert.deepEqual(hits.map((h) => h.id), ["m1", "g1"])
  assert.deepEqual(hits[1], { layer: "grids", label: "网格", id: "g1", name: "一网格", code: "G1",
                              illustrative: true })
  assert.deepEqual(areasAt(states, 7, 7).map((h) => h.id), ["g1"])
  assert.deepEqual(clickMessage(2, 3, hits.slice(1)),
    { type: "click", lat: 3, lon: 2, hits: [{ layer: "grids", id: "g1", name: "一网格", code: "G1" }] })
  assert.deepEqual(pointHit({ name: "units" }, point(5, 0, 0, { name: "巡逻1" })),
    { layer: "units", id: "5", name: "巡逻1", code: null })
})

test("the load state read out for tests and support staff, and the overdue marks gone stale", () => {
  const canvas = fakeState({ name: "grids" }, [["1", {}]])
  canvas.status = "loaded"
  const pulsing = fakeState({ name: "incidents", pulse: true }, [
    ["a", { feature: { id: "a", late: true }, layer: { _lmOverdue: true } }],
    ["b", { feature: { id: "b", late: true }, layer: {} }],
    ["c", { feature: { id: "c", late: false }, layer: { _lmOverdue: true } }],
  ])
  pulsing.markers = true
  pulsing.geo.refreshClusters = () => {}
  const states = new Map([["grids", canvas], ["incidents", pulsing]])
  assert.deepEqual(layerStatus(states), {
    grids: { status: "loaded", active: true, features: 1 },
    incidents: { status: "idle", active: true, features: 3, overdue: 2, clustered: true },
  })
  const stale = staleOverdue(states, (f) => f.late, 0)
  assert.deepEqual(stale.map(([s, e]) => [s.config.name, e.feature.id]),
    [["incidents", "b"], ["incidents", "c"]])
})

test("the layer list and legend: folded on a small map, labels escaped, one entry per layer", () => {
  assert.equal(startsFolded(1920, 1080), false)
  assert.equal(startsFolded(699, 1080), true)
  assert.equal(startsFolded(1366, 559), true)
  assert.equal(overlayLabel({ label: "<网格>", min_zoom: 14 }),
    `<span class="lm-ctl-label">&lt;网格&gt;</span><span class="lm-hint">≥14级</span>`)
  assert.equal(overlayLabel({ label: "道路" }), `<span class="lm-ctl-label">道路</span>`)
  const roads = fakeState({ name: "roads", label: "道路", kind: "line", style: { color: "#999" } })
  const grids = fakeState({ name: "grids", label: "网格", kind: "polygon", min_zoom: 14 })
  grids.status = "loading"
  const html = legendHtml(new Map([["roads", roads], ["grids", grids]]), {
    isOn: (s) => s.config.name === "grids", zoomOk: () => false, pointItems: null,
  })
  assert.match(html, /^<div class="lm-legend-title">图例<\/div><div class="lm-legend-item lm-off">/)
  assert.match(html, /<span>网格<\/span><span class="lm-note">放大至14级显示<\/span>/)
})

test("the view's small rules: zoom limits, the export box, where to fly", () => {
  assert.equal(zoomAllows(null, 3), true)
  assert.equal(zoomAllows(undefined, 3), true)
  assert.equal(zoomAllows(14, 13), false)
  assert.equal(zoomAllows(14, 14), true)
  const bounds = { getWest: () => 84.8, getSouth: () => 45.5, getEast: () => 84.95,
                   getNorth: () => 45.6123456 }
  assert.equal(exportBox(bounds), "84.800000,45.500000,84.950000,45.612346")
  assert.deepEqual(flyTarget({ lat: "45.6", lon: 84.9 }, 12), { at: [45.6, 84.9], zoom: 16 })
  assert.deepEqual(flyTarget({ lat: 45.6, lon: 84.9, zoom: 13 }, 17), { at: [45.6, 84.9], zoom: 13 })
  assert.deepEqual(flyTarget({ lat: 45.6, lon: 84.9 }, 18).zoom, 18)
  assert.equal(flyTarget({ lat: "北", lon: 84.9 }, 12), null)
})

test("each layer's pane stacks in list order, points above areas; points pad as told", () => {
  assert.deepEqual(paneOf({ name: "grids", kind: "polygon" }, 2), { name: "lm-2-grids", zIndex: "412" })
  assert.deepEqual(paneOf({ name: "在办 units", kind: "point" }, 5),
    { name: "lm-5-___units", zIndex: "625" })
  assert.equal(canvasPadding("point", { point_padding: 0.1, canvas_padding: 0.5 }), 0.1)
  assert.equal(canvasPadding("point", { point_padding: null, canvas_padding: 0.5 }), 0.5)
  assert.equal(canvasPadding("polygon", { point_padding: 0.1 }), 0.3)
  assert.equal(usesMarkers({ kind: "point", pulse: true }, {}), true)
  assert.equal(usesMarkers({ kind: "point", pulse: true }, null), false)
  assert.equal(usesMarkers({ kind: "polygon", cluster: true }, {}), false)
})

test("the 示意 notice shows its text, or hides", () => {
  const badge = { textContent: "", style: {} }
  showBadge(badge, "示意：网格与微网格为示意数据")
  assert.deepEqual([badge.textContent, badge.style.display], ["示意：网格与微网格为示意数据", ""])
  showBadge(badge, "")
  assert.deepEqual([badge.textContent, badge.style.display], ["", "none"])
})
