// The live map's canvas for moving points (Leaflet is handed in: it is loaded by the map).
// Leaflet's canvas redraws one rectangle enclosing every path that changed since the last frame:
// units moving all over a city at once make that nearly the whole canvas, every frame, in every
// open desk. Point layers use this renderer instead: each changed point's old and new areas are
// kept apart (those that touch are merged) and only they are cleared and drawn again, in
// Leaflet's drawing order, each clipped to its own rectangle. Past MAX_SPOTS areas, and whenever
// Leaflet itself asks for a whole redraw (a zoom, a pan past the canvas), the whole canvas is
// drawn as before.
const MAX_SPOTS = 64
let SpotCanvas = null

export function spotCanvas(L) {
  if (SpotCanvas) { return SpotCanvas }
  const base = L.Canvas.prototype
  SpotCanvas = L.Canvas.extend({
    _extendRedrawBounds(layer) {
      if (!layer._pxBounds || this._lmWhole) { return }
      const pad = (layer.options.weight || 0) + 1
      const spot = L.bounds(layer._pxBounds.min.subtract([pad, pad]),
                            layer._pxBounds.max.add([pad, pad]))
      const spots = this._lmSpots || (this._lmSpots = [])
      for (const other of spots) {
        if (other.intersects(spot)) { other.extend(spot.min); other.extend(spot.max); return }
      }
      if (spots.length >= MAX_SPOTS) { this._lmWhole = true; return }
      spots.push(spot)
    },
    _updatePaths() {
      this._lmWhole = true  // Leaflet's own whole redraw (the view moved or the canvas resized)
      base._updatePaths.call(this)
    },
    _redraw() {
      const spots = this._lmWhole ? null : this._lmSpots
      this._lmSpots = null
      this._lmWhole = false
      this._lmAreas = spots ? spots.length : 0  // what the last redraw drew (tests, support)
      if (!spots) {  // the whole canvas
        this._redrawBounds = null
        base._redraw.call(this)
        return
      }
      this._redrawRequest = null
      for (const spot of spots) {
        this._redrawBounds = L.bounds(spot.min.floor(), spot.max.ceil())
        this._clear()
        this._draw()
      }
      this._redrawBounds = null
    },
  })
  return SpotCanvas
}
