// The live map's layer fetch: a layer's GeoJSON asked for once, parsed by the browser, and added
// a slice at a time. Thousands of features (grids, micro-grids) are added in slices each sized to
// take about SLICE_MS, with the event loop free in between: pushed diffs, clicks and frames go on
// while a big layer arrives, and no task blocks the page for long. Features pushed while the fetch
// was in flight are newer and kept. No Leaflet: tested under node (tests/js).
import { featureId } from "./geometry.js"

export const SLICE_MS = 25

// nextSliceSize(size, tookMs) -> the next slice's size, aiming at SLICE_MS (50..5000).
export function nextSliceSize(size, took) {
  return Math.max(50, Math.min(5000, Math.round(size * SLICE_MS / Math.max(took, 1))))
}

// freshOnly(state, features) -> those neither pushed nor already on the layer.
export function freshOnly(state, features) {
  return features.filter((f) => {
    const id = featureId(f)
    return !state.pushedIds.has(id) && !(id !== undefined && state.features.has(id))
  })
}

function timing() {
  return Array.isArray(globalThis.__lmTiming) ? globalThis.__lmTiming : null
}

// addInSlices(state, features, {addFeatures, signal}): stops when the signal aborts.
export async function addInSlices(state, features, { addFeatures, signal }) {
  let size = 200
  for (let i = 0; i < features.length;) {
    if (signal.aborted) { return }
    const t0 = performance.now()
    const slice = freshOnly(state, features.slice(i, i + size))
    addFeatures(state, slice)
    i += size
    const took = performance.now() - t0
    timing()?.push([t0, took, "add", state.config.name, slice.length])
    size = nextSliceSize(size, took)
    if (i < features.length) { await new Promise((resolve) => setTimeout(resolve, 0)) }
  }
}

// loadLayer(state, {addFeatures, signal, changed, base}): idle -> loading -> loaded | error,
// `changed()` after each step; a layer without a URL (filled by pushes only) is left alone.
export async function loadLayer(state, { addFeatures, signal, changed, base = document.baseURI }) {
  if (!state.config.url || state.status !== "idle") { return }
  state.status = "loading"
  changed()
  try {
    const resp = await fetch(new URL(state.config.url, base).href, {
      credentials: "same-origin", signal,
      headers: { Accept: "application/geo+json, application/json" },
    })
    if (!resp.ok) { throw new Error(`HTTP ${resp.status}`) }
    const t0 = performance.now()
    const data = await resp.json()
    const features = data.type === "FeatureCollection" ? data.features : [data]
    timing()?.push([t0, performance.now() - t0, "parse", state.config.name, features.length])
    await addInSlices(state, features, { addFeatures, signal })
    if (signal.aborted) { return }
    state.status = "loaded"
  } catch (err) {
    if (signal.aborted) { return }
    state.status = "error"
    console.error(`图层 ${state.config.name} 加载失败：`, err)
  }
  changed()
}
