// The live map's base map: intranet tiles as they are, or GCJ-02 tiles each moved by the server's
// exact shift for it (layers/tiles.py) and kept hidden until placed, so nothing is ever shown off
// by ~200 m. Leaflet is handed in (the map loads it).
import { fetchJson } from "../lib/http.js"

// basemapLayer(L, {basemap_url, basemap_crs, basemap_shift_url}) -> a tile layer, or null.
export function basemapLayer(L, { basemap_url: url, basemap_crs: crs, basemap_shift_url: shiftUrl }) {
  if (!url) { return null }
  const options = { maxZoom: 19, attribution: "内网底图" }
  if (crs !== "gcj02") { return L.tileLayer(url, options) }
  const shifts = new Map()
  const Shifted = L.TileLayer.extend({
    createTile(coords, done) {
      const tile = L.TileLayer.prototype.createTile.call(this, coords, done)
      tile.style.visibility = "hidden"
      const key = `${coords.z}/${coords.x}/${coords.y}`
      if (!shifts.has(key)) {
        const asked = fetchJson(`${shiftUrl}?z=${coords.z}&x=${coords.x}&y=${coords.y}`)
          .then((s) => {
            if (!Number.isFinite(s.dx) || !Number.isFinite(s.dy)) { throw new Error("无偏移") }
            return s
          })
        // a failed shift is asked again when the tile comes back; the tile stays hidden
        asked.catch(() => shifts.delete(key))
        shifts.set(key, asked)
      }
      shifts.get(key).then((s) => {
        tile.style.marginLeft = `${s.dx}px`
        tile.style.marginTop = `${s.dy}px`
        tile.style.visibility = ""
        tile.dataset.shift = `${s.dx},${s.dy}`
      }).catch((err) => console.error("瓦片偏移获取失败：", err))
      return tile
    },
  })
  return new Shifted(url, options)
}

// basemapKeeper(L, map, model) -> apply(): (re)places the base map the model names.
export function basemapKeeper(L, map, model) {
  let tiles = null
  return function apply() {
    if (tiles) { map.removeLayer(tiles); tiles = null }
    tiles = basemapLayer(L, model)
    if (tiles) { tiles.addTo(map) }
  }
}
