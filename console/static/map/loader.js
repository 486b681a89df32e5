// The live map's libraries, loaded when a map first renders: Leaflet from the locally served
// vendor copy (never a CDN: the console runs on intranets), and only when a layer asks to cluster
// or pulse its points, leaflet_points.js and the vendored marker clustering.

// loadLeaflet(prefix, layers) -> {L, points (or null), ClusterGroup (or null)}.
export async function loadLeaflet(prefix, layers) {
  const L = await import(new URL(`${prefix}/vendor/leaflet/leaflet-src.esm.js`, document.baseURI).href)
  const needsPoints = layers.some((c) => c.cluster || c.pulse)
  const points = needsPoints
    ? await import(new URL(`${prefix}/leaflet_points.js`, document.baseURI).href) : null
  const ClusterGroup = points && layers.some((c) => c.cluster)
    ? await points.markerClusterGroup(L, prefix).catch((err) => {
      console.error("聚合组件加载失败：", err); return null
    }) : null
  return { L, points, ClusterGroup }
}
