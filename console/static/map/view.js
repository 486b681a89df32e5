// The live map's view: the Leaflet map itself (zoom limits, scale, the 导出视图 control), the
// view following the model's centre and zoom, its size following its box, and the server's
// `flyTo` (a pinned, labelled spot). Leaflet is handed in; the small rules are pure (tests/js).

// zoomAllows(minZoom, zoom) -> whether a layer with that closest zoom shows at this zoom.
export function zoomAllows(minZoom, zoom) {
  return minZoom === null || minZoom === undefined || zoom >= minZoom
}

// exportBox(bounds) -> "west,south,east,north" with 6 decimals, as api_export.py reads it.
export function exportBox(b) {
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",")
}

// flyTarget(msg, zoom) -> {at: [lat, lon], zoom} to fly to, or null when the spot is not a number.
export function flyTarget(msg, zoom) {
  const at = [Number(msg.lat), Number(msg.lon)]
  if (!Number.isFinite(at[0]) || !Number.isFinite(at[1])) { return null }
  return { at, zoom: Number(msg.zoom) || Math.max(zoom, 16) }
}

// createMap(L, mapDiv, {center, zoom, export_url}) -> the Leaflet map, scale and export added.
export function createMap(L, mapDiv, model) {
  const map = L.map(mapDiv, {
    preferCanvas: true,
    zoomControl: true,
    minZoom: 3,
    maxZoom: 19,
    attributionControl: true,
  })
  map.attributionControl.setPrefix("Leaflet")
  map.setView(model.center, model.zoom)
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map)
  if (model.export_url) { exportControl(L, map, model.export_url).addTo(map) }
  return map
}

// Exports what is on screen as a self-contained HTML map (console/api_export.py).
function exportControl(L, map, url) {
  const exporter = L.control({ position: "topleft" })
  exporter.onAdd = () => {
    const a = L.DomUtil.create("a", "lm-export leaflet-bar")
    a.textContent = "导出视图"
    a.href = "#"
    a.title = "把当前视图导出为可离线打开的 HTML 地图"
    L.DomEvent.disableClickPropagation(a)
    L.DomEvent.on(a, "click", (ev) => {
      L.DomEvent.preventDefault(ev)
      window.open(`${url}?bbox=${exportBox(map.getBounds())}`, "_blank", "noopener")
    })
    return a
  }
  return exporter
}

// followModel(model, map, mapDiv) -> stop(): the view follows the model and the map its box.
export function followModel(model, map, mapDiv) {
  model.on("change:center", () => map.setView(model.center, map.getZoom()))
  model.on("change:zoom", () => map.setZoom(model.zoom))
  const resizeObserver = new ResizeObserver(() => map.invalidateSize({ pan: false }))
  resizeObserver.observe(mapDiv)
  model.on("after_layout", () => map.invalidateSize({ pan: false }))
  model.on("resize", () => map.invalidateSize({ pan: false }))
  return () => resizeObserver.disconnect()
}

// pinner(L, map, mapDiv) -> flyTo(msg): fly to {lat, lon, zoom?, label?} and pin it there (one
// pin at a time; its label is text, never markup); the pin's spot goes on `data-pin`.
export function pinner(L, map, mapDiv) {
  let pin = null
  return function flyTo(msg) {
    const target = flyTarget(msg, map.getZoom())
    if (!target) { return }
    const { at } = target
    map.flyTo(at, target.zoom, { duration: 0.8 })
    if (pin) { pin.remove() }
    pin = L.circleMarker(at, { radius: 9, color: "#b71c1c", weight: 3, fillColor: "#ffeb3b",
                               fillOpacity: 0.9, pane: "markerPane" }).addTo(map)
    if (msg.label) {
      const tip = document.createElement("span")
      tip.textContent = String(msg.label)
      pin.bindTooltip(tip, { permanent: true, direction: "top", offset: [0, -10] }).openTooltip()
    }
    mapDiv.dataset.pin = JSON.stringify({ lat: at[0], lon: at[1] })
  }
}
