// LeafletMap: the console's live map (Panel JSComponent ESM; Python side in console/map.py).
//
// Leaflet itself is imported from the locally served vendor copy, never a CDN: the console runs
// on intranets. Each layer gets its own pane and canvas renderer so the drawing order follows the
// `layers` list whatever order the GeoJSON fetches finish in. Only the topmost canvas receives
// mouse events, so area features are found by our own point-in-polygon test on map click
// (listing every area containing the point, most specific first) rather than per-feature handlers.
//
// This file wires the component (layers, live updates, clicks); each concern it uses is a module
// of its own under map/: geometry, style, popups, legend, basemap, the points' spot canvas (and
// leaflet_points.js for clustered and pulsing points, loaded only when a layer asks for them).

import { escapeHtml } from "fq/lib/escape.js"
import { bboxOf, featureId, geometryContains } from "fq/map/geometry.js"
import { areaPopupHtml, featurePopupHtml } from "fq/map/popups.js"
import { basemapLayer } from "fq/map/basemap.js"
import { legendEntry, legendNote } from "fq/map/legend.js"
import { spotCanvas } from "fq/map/spot_canvas.js"
import { styleFor } from "fq/map/style.js"

const PANE_BASE_Z = 410   // above Leaflet's tile pane (200) and overlay pane (400)
const POINT_PANE_Z = 620  // above Leaflet's marker pane (600), below tooltips/popups (650/700)

// ---- the component ---------------------------------------------------------------------------

export async function render({ model, el }) {
  // Register for pushed diffs before the first await so none arrive unheard; they queue until
  // Leaflet is loaded and the layers exist.
  const pending = []
  let onMessage = (msg) => pending.push(msg)
  // Upserts come as one JSON text (console/wire.py): the browser's own parser decodes it.
  const msgHandler = (msg) => onMessage(typeof msg === "string" ? JSON.parse(msg) : msg)
  model.on("msg:custom", msgHandler)
  // Say so: what the server sent before this view existed is lost (a cold browser can render
  // the map after the page's load event), and the page sends its live layers again.
  model.send_msg({ type: "listening" })

  const root = document.createElement("div")
  root.className = "lm-root"
  const mapDiv = document.createElement("div")
  mapDiv.className = "lm-map"
  root.appendChild(mapDiv)
  const badge = document.createElement("div")
  badge.className = "lm-badge"
  root.appendChild(badge)
  el.appendChild(root)

  const base = new URL(`${model.static_url.replace(/\/$/, "")}/vendor/leaflet/leaflet-src.esm.js`,
                       document.baseURI).href
  const L = await import(base)
  const prefix = model.static_url.replace(/\/$/, "")
  const needsPoints = (model.layers || []).some((c) => c.cluster || c.pulse)
  const points = needsPoints
    ? await import(new URL(`${prefix}/leaflet_points.js`, document.baseURI).href) : null
  const ClusterGroup = points && (model.layers || []).some((c) => c.cluster)
    ? await points.markerClusterGroup(L, prefix).catch((err) => {
      console.error("聚合组件加载失败：", err); return null
    }) : null

  const map = L.map(mapDiv, {
    preferCanvas: true,
    zoomControl: true,
    minZoom: 3,
    maxZoom: 19,
    attributionControl: true,
  })
  map.attributionControl.setPrefix("Leaflet")
  // Focus ring for keyboard users only (see leaflet_map.css).
  mapDiv.addEventListener("keyup", (e) => {
    if (e.key === "Tab") { mapDiv.classList.add("lm-kbd-focus") }
  })
  mapDiv.addEventListener("mousedown", () => mapDiv.classList.remove("lm-kbd-focus"))
  map.setView(model.center, model.zoom)
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map)
  if (model.export_url) {
    // Exports what is on screen as a self-contained HTML map (console/api_export.py).
    const exporter = L.control({ position: "topleft" })
    exporter.onAdd = () => {
      const a = L.DomUtil.create("a", "lm-export leaflet-bar")
      a.textContent = "导出视图"
      a.href = "#"
      a.title = "把当前视图导出为可离线打开的 HTML 地图"
      L.DomEvent.disableClickPropagation(a)
      L.DomEvent.on(a, "click", (ev) => {
        L.DomEvent.preventDefault(ev)
        const b = map.getBounds()
        const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6))
        window.open(`${model.export_url}?bbox=${box.join(",")}`, "_blank", "noopener")
      })
      return a
    }
    exporter.addTo(map)
  }

  const controller = new AbortController()
  const FOLD_BELOW_W = 700, FOLD_BELOW_H = 560  // px of map: layer list and legend start folded
  let states = new Map()   // layer name -> state
  let layerControl = null
  let legend = null
  let tiles = null

  function updateBadge() {
    badge.textContent = model.badge || ""
    badge.style.display = model.badge ? "" : "none"
  }

  function applyBasemap() {
    if (tiles) { map.removeLayer(tiles); tiles = null }
    tiles = basemapLayer(L, model)
    if (tiles) { tiles.addTo(map) }
  }

  function showFeaturePopup(state, feature, latlng) {
    const props = feature.properties || {}
    openPopup(latlng, featurePopupHtml(state.config, feature, Date.now()))
    model.send_msg({ type: "click", lat: latlng.lat, lon: latlng.lng,
                     hits: [{ layer: state.config.name, id: featureId(feature),
                              name: props.name ?? null, code: props.code ?? null }] })
  }

  function openPopup(latlng, html) {
    L.popup({ maxWidth: 320, className: "lm-popup" }).setLatLng(latlng).setContent(
      `<div class="lm-popup-body">${html}</div>`).openOn(map)
  }

  function onMapClick(e) {
    const x = e.latlng.lng, y = e.latlng.lat
    const hits = []
    // Most specific (drawn last) first.
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
    model.send_msg({ type: "click", lat: y, lon: x,
                     hits: hits.map(({ label, illustrative, ...rest }) => rest) })
    if (!hits.length) { map.closePopup(); return }
    openPopup(e.latlng, areaPopupHtml(hits, x, y))
  }
  map.on("click", onMapClick)

  function makeState(config, index) {
    const paneName = `lm-${index}-${config.name}`.replace(/[^A-Za-z0-9_-]/g, "_")
    const pane = map.createPane(paneName)
    const isPoint = config.kind === "point"
    pane.style.zIndex = String((isPoint ? POINT_PANE_Z : PANE_BASE_Z) + index)
    const Renderer = isPoint ? spotCanvas(L) : L.Canvas
    const padding = (isPoint ? model.point_padding : null) ?? model.canvas_padding ?? 0.3
    const renderer = new Renderer({ pane: paneName, padding })
    const markers = isPoint && Boolean(points) && Boolean(config.cluster || config.pulse)
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
      state.holder.on("add", () => refreshState(state))
      state.holder.on("remove", () => refreshState(state))
      return state
    }
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
    state.holder.on("add", () => refreshState(state))
    state.holder.on("remove", () => refreshState(state))
    return state
  }

  function registerFeature(state, feature, layer) {
    const id = featureId(feature) ?? `_${L.stamp(layer)}`
    state.features.set(id, { feature, layer, bbox: bboxOf(feature.geometry) })
    if (state.config.kind === "point") {
      layer.on("click", (ev) => showFeaturePopup(state, layer.feature, ev.latlng))
      const props = feature.properties || {}
      if (props.name) {
        layer.bindTooltip(escapeHtml(props.name), { direction: "top", offset: [0, -6] })
      }
    }
  }

  // DOM markers (clustered and/or pulsing layers); canvas layers take GeoJSON as they are.
  function markerFor(state, feature, now) {
    const [lon, lat] = feature.geometry.coordinates
    const marker = L.marker([lat, lon], {
      icon: points.pointIcon(L, feature, styleFor(state.config, feature), state.config.pulse, now),
      pane: state.paneName, keyboard: false,
    })
    marker._lmOverdue = Boolean(state.config.pulse) && points.isOverdue(feature, now)
    marker.feature = feature
    return marker
  }

  function addFeatures(state, features) {
    if (!state.markers) { state.geo.addData(features); return }
    const now = Date.now()
    const made = []
    for (const feature of features) {
      if (!feature.geometry || feature.geometry.type !== "Point") { continue }
      const marker = markerFor(state, feature, now)
      registerFeature(state, feature, marker)
      made.push(marker)
    }
    if (state.geo.addLayers) { state.geo.addLayers(made) } else { made.forEach((m) => state.geo.addLayer(m)) }
  }

  // Thousands of features (grids, micro-grids) are added a slice at a time, each slice sized to
  // take about SLICE_MS, with the event loop free in between: pushed diffs, clicks and frames go on
  // while a big layer arrives, and no task blocks the page for long.
  const SLICE_MS = 25
  async function addInSlices(state, features) {
    let size = 200
    for (let i = 0; i < features.length;) {
      if (controller.signal.aborted) { return }
      const t0 = performance.now()
      // Features pushed while the fetch was in flight (or between slices) are newer: keep them.
      const slice = features.slice(i, i + size).filter((f) => {
        const id = featureId(f)
        return !state.pushedIds.has(id) && !(id !== undefined && state.features.has(id))
      })
      addFeatures(state, slice)
      i += size
      const took = performance.now() - t0
      if (Array.isArray(window.__lmTiming)) {
        window.__lmTiming.push([t0, took, "add", state.config.name, slice.length])
      }
      size = Math.max(50, Math.min(5000, Math.round(size * SLICE_MS / Math.max(took, 1))))
      if (i < features.length) { await new Promise((resolve) => setTimeout(resolve, 0)) }
    }
  }

  function restyle(state, entry, feature) {
    if (entry.layer.setStyle) { entry.layer.setStyle(styleFor(state.config, feature)); return }
    const now = Date.now()
    entry.layer._lmOverdue = Boolean(state.config.pulse) && points.isOverdue(feature, now)
    entry.layer.setIcon(points.pointIcon(L, feature, styleFor(state.config, feature),
                                         state.config.pulse, now))
    if (state.geo.refreshClusters) { state.geo.refreshClusters(entry.layer) }
  }

  // Deadlines pass while the page stays open: re-check the pulsing layers every few seconds.
  function recheckDue() {
    const now = Date.now()
    for (const state of states.values()) {
      if (!state.config.pulse || !state.markers) { continue }
      for (const entry of state.features.values()) {
        if (points.isOverdue(entry.feature, now) !== Boolean(entry.layer._lmOverdue)) {
          restyle(state, entry, entry.feature)
        }
      }
    }
    updateStatus()
  }
  const dueTimer = points ? setInterval(recheckDue, 5000) : null

  function zoomAllows(state) {
    const mz = state.config.min_zoom
    return mz === null || mz === undefined || map.getZoom() >= mz
  }

  async function loadState(state) {
    if (!state.config.url || state.status !== "idle") { return }
    state.status = "loading"
    refreshLegend()
    try {
      const resp = await fetch(new URL(state.config.url, document.baseURI).href, {
        credentials: "same-origin", signal: controller.signal,
        headers: { Accept: "application/geo+json, application/json" },
      })
      if (!resp.ok) { throw new Error(`HTTP ${resp.status}`) }
      const t0 = performance.now()
      const data = await resp.json()
      const features = data.type === "FeatureCollection" ? data.features : [data]
      if (Array.isArray(window.__lmTiming)) {
        window.__lmTiming.push([t0, performance.now() - t0, "parse", state.config.name, features.length])
      }
      await addInSlices(state, features)
      if (controller.signal.aborted) { return }
      state.status = "loaded"
    } catch (err) {
      if (controller.signal.aborted) { return }
      state.status = "error"
      console.error(`图层 ${state.config.name} 加载失败：`, err)
    }
    refreshLegend()
  }

  function refreshState(state) {
    const wanted = map.hasLayer(state.holder) && zoomAllows(state)
    if (wanted && !state.holder.hasLayer(state.geo)) {
      state.holder.addLayer(state.geo)
    } else if (!wanted && state.holder.hasLayer(state.geo)) {
      state.holder.removeLayer(state.geo)
    }
    state.active = wanted
    if (wanted) { loadState(state) }
    refreshLegend()
  }

  function refreshLegend() {
    if (!legend || !legend._div) { return }
    const items = []
    const pointItems = points ? (config) => points.legendItems(config, escapeHtml) : null
    for (const state of states.values()) {
      const on = map.hasLayer(state.holder)
      const note = legendNote(state.status, on, zoomAllows(state), state.config.min_zoom)
      items.push(legendEntry(state.config, on, note, pointItems))
    }
    legend._div.innerHTML = `<div class="lm-legend-title">图例</div>${items.join("")}`
    updateStatus()
  }

  // Machine-readable load state, for tests and for support staff poking at a wall display.
  function updateStatus() {
    const status = {}
    for (const [name, state] of states) {
      status[name] = { status: state.status, active: state.active, features: state.features.size }
      if (state.markers) {
        let overdue = 0
        for (const entry of state.features.values()) { if (entry.layer._lmOverdue) { overdue++ } }
        status[name].overdue = overdue
        status[name].clustered = Boolean(state.geo.refreshClusters)
      }
    }
    root.dataset.layers = JSON.stringify(status)
  }

  function buildLayers() {
    for (const state of states.values()) {
      map.removeLayer(state.holder)
      map.removeLayer(state.renderer)
      state.pane.remove()
    }
    if (layerControl) { layerControl.remove() }
    if (legend) { legend.remove() }
    states = new Map()
    const overlays = {}
    ;(model.layers || []).forEach((config, index) => {
      const state = makeState(config, index)
      states.set(config.name, state)
      const hint = config.min_zoom != null ? `<span class="lm-hint">≥${escapeHtml(config.min_zoom)}级</span>` : ""
      overlays[`<span class="lm-ctl-label">${escapeHtml(config.label)}</span>${hint}`] = state.holder
    })
    // the layer list and the legend fold to their titles (a click on the title): folded at the
    // start on a small map (a 1366×768 desk), where open they would cover most of it
    const small = (el.clientWidth || window.innerWidth) < FOLD_BELOW_W ||
      (el.clientHeight || window.innerHeight) < FOLD_BELOW_H
    legend = L.control({ position: "bottomright" })
    legend.onAdd = () => {
      const div = L.DomUtil.create("div", small ? "lm-legend lm-folded" : "lm-legend")
      L.DomEvent.disableClickPropagation(div)
      L.DomEvent.disableScrollPropagation(div)
      div.addEventListener("click", (e) => {
        if (e.target.closest(".lm-legend-title")) { div.classList.toggle("lm-folded") }
      })
      legend._div = div
      return div
    }
    legend.addTo(map)
    layerControl = L.control.layers(null, overlays, { collapsed: false, position: "topright" })
    layerControl.addTo(map)
    const title = L.DomUtil.create("div", "lm-ctl-title")
    title.textContent = "图层"
    title.setAttribute("role", "button")
    title.title = "点击展开/收起"
    const ctlEl = layerControl.getContainer()
    ctlEl.insertBefore(title, ctlEl.firstChild)
    ctlEl.classList.toggle("lm-folded", small)
    title.addEventListener("click", () => ctlEl.classList.toggle("lm-folded"))
    for (const state of states.values()) {
      if (state.config.visible !== false) { state.holder.addTo(map) }
    }
    for (const state of states.values()) { refreshState(state) }
  }

  map.on("zoomend", () => { for (const state of states.values()) { refreshState(state) } })

  function upsert(state, features) {
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

  function removeIds(state, ids) {
    for (const raw of ids) {
      const id = String(raw)
      const entry = state.features.get(id)
      if (entry) { state.geo.removeLayer(entry.layer); state.features.delete(id) }
      state.pushedIds.add(id)
    }
  }

  let pin = null
  function flyTo(msg) {
    const at = [Number(msg.lat), Number(msg.lon)]
    if (!Number.isFinite(at[0]) || !Number.isFinite(at[1])) { return }
    map.flyTo(at, Number(msg.zoom) || Math.max(map.getZoom(), 16), { duration: 0.8 })
    if (pin) { pin.remove() }
    pin = L.circleMarker(at, { radius: 9, color: "#b71c1c", weight: 3, fillColor: "#ffeb3b",
                               fillOpacity: 0.9, pane: "markerPane" }).addTo(map)
    if (msg.label) {
      const tip = document.createElement("span")
      tip.textContent = String(msg.label)  // text, never markup
      pin.bindTooltip(tip, { permanent: true, direction: "top", offset: [0, -10] }).openTooltip()
    }
    mapDiv.dataset.pin = JSON.stringify({ lat: at[0], lon: at[1] })
  }

  // With `window.__lmTiming = []` set (benchmarks, support staff), each handled message leaves
  // [start, ms, type, layer, count] there: what a long task on a busy wall was made of.
  function handleMessage(msg) {
    if (!msg || typeof msg !== "object") { return }
    if (!Array.isArray(window.__lmTiming)) { applyMessage(msg); return }
    const t0 = performance.now()
    applyMessage(msg)
    window.__lmTiming.push([t0, performance.now() - t0, msg.type, msg.layer ?? "",
                            (msg.features || msg.ids || []).length])
  }

  function applyMessage(msg) {
    if (msg.type === "flyTo") { flyTo(msg); return }
    const state = states.get(msg.layer)
    if (!state) {
      console.warn(`LeafletMap: 未知图层 ${msg.layer}`)
      return
    }
    if (msg.type === "upsert") {
      upsert(state, msg.features || [])
    } else if (msg.type === "remove") {
      removeIds(state, msg.ids || [])
    } else {
      console.warn(`LeafletMap: 未知消息类型 ${msg.type}`)
    }
    updateStatus()
  }

  model.on("change:center", () => map.setView(model.center, map.getZoom()))
  model.on("change:zoom", () => map.setZoom(model.zoom))
  model.on("change:badge", updateBadge)
  model.on("change:basemap_url", applyBasemap)
  model.on("change:basemap_crs", applyBasemap)
  model.on("change:layers", buildLayers)

  const resizeObserver = new ResizeObserver(() => map.invalidateSize({ pan: false }))
  resizeObserver.observe(mapDiv)
  model.on("after_layout", () => map.invalidateSize({ pan: false }))
  model.on("resize", () => map.invalidateSize({ pan: false }))
  model.on("remove", () => {
    controller.abort()
    if (dueTimer) { clearInterval(dueTimer) }
    resizeObserver.disconnect()
    model.off("msg:custom", msgHandler)
    map.remove()
  })

  updateBadge()
  applyBasemap()
  buildLayers()
  onMessage = handleMessage
  for (const msg of pending.splice(0)) { handleMessage(msg) }
  // Expose for tests and debugging in the browser console.
  root._lm = { L, map, states: () => states }
}
