// LeafletMap: the console's live map (Panel JSComponent ESM; Python side in console/map.py).
//
// This file composes the component; each concern is a module of its own under map/: the frame
// and its 示意 notice (frame), the pushed diffs' inbox (inbox) and how they apply (live_patch),
// the libraries (loader), the view (view), the base map (basemap), the layers by kind
// (layer_kit) as a set with their fetches, layer list and legend (layer_set, layer_load,
// controls, legend, status), clicks and popups (selection, popups), and beneath them geometry,
// style and the points' spot canvas (and leaflet_points.js for clustered and pulsing points,
// loaded only when a layer asks for them).

import { basemapKeeper } from "fq/map/basemap.js"
import { mapFrame, showBadge } from "fq/map/frame.js"
import { openInbox } from "fq/map/inbox.js"
import { layerSet } from "fq/map/layer_set.js"
import { applyPatch } from "fq/map/live_patch.js"
import { loadLeaflet } from "fq/map/loader.js"
import { wireSelection } from "fq/map/selection.js"
import { staleOverdue } from "fq/map/status.js"
import { createMap, followModel, pinner } from "fq/map/view.js"

export async function render({ model, el }) {
  // Registered before the first await so no pushed diff goes unheard; they queue until Leaflet
  // is loaded and the layers exist.
  const inbox = openInbox(model)
  const { root, mapDiv, badge } = mapFrame(el)
  const prefix = model.static_url.replace(/\/$/, "")
  const { L, points, ClusterGroup } = await loadLeaflet(prefix, model.layers || [])
  const map = createMap(L, mapDiv, model)
  const controller = new AbortController()

  let layers = null
  const showPoint = wireSelection({ L, map, model, states: () => layers.states() })
  layers = layerSet({ L, map, model, el, root, points, ClusterGroup, signal: controller.signal,
                      onPointClick: showPoint })

  // Deadlines pass while the page stays open: re-check the pulsing layers every few seconds.
  const dueTimer = points ? setInterval(() => {
    for (const [state, entry] of staleOverdue(layers.states(), points.isOverdue, Date.now())) {
      layers.restyle(state, entry, entry.feature)
    }
    layers.changed()
  }, 5000) : null

  const applyBasemap = basemapKeeper(L, map, model)
  const stopFollowing = followModel(model, map, mapDiv)
  model.on("change:badge", () => showBadge(badge, model.badge))
  model.on("change:basemap_url", applyBasemap)
  model.on("change:basemap_crs", applyBasemap)
  model.on("change:layers", layers.build)
  model.on("remove", () => {
    controller.abort()
    if (dueTimer) { clearInterval(dueTimer) }
    stopFollowing()
    inbox.close()
    map.remove()
  })

  showBadge(badge, model.badge)
  applyBasemap()
  layers.build()
  const flyTo = pinner(L, map, mapDiv)
  inbox.start((msg) => applyPatch(msg, layers.states(), {
    flyTo, addFeatures: layers.addFeatures, restyle: layers.restyle, changed: layers.changed,
  }))
  // Expose for tests and debugging in the browser console.
  root._lm = { L, map, states: () => layers.states() }
}
