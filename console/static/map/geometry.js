// The live map's geometry (lon/lat arrays in GeoJSON order): feature ids, which areas hold a
// clicked point (our own point-in-polygon: only the topmost canvas gets mouse events), bounds.
// Pure: tested under node (tests/js).

export function featureId(feature) {
  if (feature == null) { return undefined }
  if (feature.id !== undefined && feature.id !== null) { return String(feature.id) }
  const props = feature.properties || {}
  return props.id !== undefined && props.id !== null ? String(props.id) : undefined
}

export function ringContains(ring, x, y) {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1]
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) {
      inside = !inside
    }
  }
  return inside
}

export function polygonContains(rings, x, y) {
  if (!rings.length || !ringContains(rings[0], x, y)) { return false }
  for (let k = 1; k < rings.length; k++) {
    if (ringContains(rings[k], x, y)) { return false }
  }
  return true
}

export function geometryContains(geometry, x, y) {
  if (!geometry) { return false }
  if (geometry.type === "Polygon") { return polygonContains(geometry.coordinates, x, y) }
  if (geometry.type === "MultiPolygon") {
    return geometry.coordinates.some((poly) => polygonContains(poly, x, y))
  }
  return false
}

export function bboxOf(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity]
  const walk = (c) => {
    if (typeof c[0] === "number") {
      box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1])
      box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1])
    } else {
      for (const sub of c) { walk(sub) }
    }
  }
  if (geometry && geometry.coordinates) { walk(geometry.coordinates) }
  return box
}
