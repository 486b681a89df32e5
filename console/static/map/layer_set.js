// The live map's set of layers, built from the model's `layers` list (again whenever it changes):
// their states (layer_kit.js), the layer list and legend (controls.js), which layers show (the
// user's choice and the zoom), their fetches (layer_load.js) and the load state on the map's root
// (status.js). Leaflet is handed in.
import { escapeHtml } from "../lib/escape.js"
import { addControls, legendHtml, startsFolded } from "./controls.js"
import { layerKit } from "./layer_kit.js"
import { loadLayer } from "./layer_load.js"
import { layerStatus } from "./status.js"
import { zoomAllows } from "./view.js"

// layerSet({L, map, model, el, root, points, ClusterGroup, signal, onPointClick})
//   -> {build(), states(), changed(), addFeatures, restyle}
// `changed()` writes the load state on `root`; `signal` aborts the fetches.
export function layerSet({ L, map, model, el, root, points, ClusterGroup, signal, onPointClick }) {
  let states = new Map()   // layer name -> state
  let controls = null
  const kit = layerKit({ L, map, model, points, ClusterGroup, onPointClick, onToggle: refresh })
  const shows = (state) => zoomAllows(state.config.min_zoom, map.getZoom())
  const pointItems = points ? (config) => points.legendItems(config, escapeHtml) : null

  function changed() {
    root.dataset.layers = JSON.stringify(layerStatus(states))
  }

  function refreshLegend() {
    if (!controls || !controls.legend._div) { return }
    controls.legend._div.innerHTML = legendHtml(states, {
      isOn: (state) => map.hasLayer(state.holder), zoomOk: shows, pointItems,
    })
    changed()
  }

  function refresh(state) {
    const wanted = map.hasLayer(state.holder) && shows(state)
    if (wanted && !state.holder.hasLayer(state.geo)) {
      state.holder.addLayer(state.geo)
    } else if (!wanted && state.holder.hasLayer(state.geo)) {
      state.holder.removeLayer(state.geo)
    }
    state.active = wanted
    if (wanted) {
      loadLayer(state, { addFeatures: kit.addFeatures, signal, changed: refreshLegend })
    }
    refreshLegend()
  }

  function build() {
    for (const state of states.values()) {
      map.removeLayer(state.holder)
      map.removeLayer(state.renderer)
      state.pane.remove()
    }
    if (controls) { controls.layerControl.remove(); controls.legend.remove() }
    states = new Map()
    ;(model.layers || []).forEach((config, index) => {
      states.set(config.name, kit.makeState(config, index))
    })
    const folded = startsFolded(el.clientWidth || window.innerWidth,
                                el.clientHeight || window.innerHeight)
    controls = addControls(L, map, states, folded)
    for (const state of states.values()) {
      if (state.config.visible !== false) { state.holder.addTo(map) }
    }
    for (const state of states.values()) { refresh(state) }
  }

  map.on("zoomend", () => { for (const state of states.values()) { refresh(state) } })
  return { build, states: () => states, changed, addFeatures: kit.addFeatures, restyle: kit.restyle }
}
