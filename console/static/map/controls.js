// The live map's layer list and legend (Leaflet controls): the list toggles each layer (with its
// closest zoom when it has one), the legend says what each layer's colours mean and its state.
// Both fold to their titles (a click on the title), folded at the start on a small map (a
// 1366×768 desk), where open they would cover most of it. Leaflet is handed in; the markup and
// the fold rule are pure (tests/js).
import { escapeHtml } from "../lib/escape.js"
import { legendEntry, legendNote } from "./legend.js"

export const FOLD_BELOW_W = 700, FOLD_BELOW_H = 560  // px of map

// startsFolded(width, height) -> whether the list and legend start folded.
export function startsFolded(width, height) {
  return width < FOLD_BELOW_W || height < FOLD_BELOW_H
}

// overlayLabel(config) -> the layer list's markup for one layer.
export function overlayLabel(config) {
  const hint = config.min_zoom != null ? `<span class="lm-hint">≥${escapeHtml(config.min_zoom)}级</span>` : ""
  return `<span class="lm-ctl-label">${escapeHtml(config.label)}</span>${hint}`
}

// legendHtml(states, {isOn, zoomOk, pointItems}) -> the legend's markup, one entry per layer.
export function legendHtml(states, { isOn, zoomOk, pointItems }) {
  const items = []
  for (const state of states.values()) {
    const on = isOn(state)
    const note = legendNote(state.status, on, zoomOk(state), state.config.min_zoom)
    items.push(legendEntry(state.config, on, note, pointItems))
  }
  return `<div class="lm-legend-title">图例</div>${items.join("")}`
}

// addControls(L, map, states, folded) -> {legend, layerControl}; `legend._div` is its body.
export function addControls(L, map, states, folded) {
  const overlays = {}
  for (const state of states.values()) { overlays[overlayLabel(state.config)] = state.holder }
  const legend = L.control({ position: "bottomright" })
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", folded ? "lm-legend lm-folded" : "lm-legend")
    L.DomEvent.disableClickPropagation(div)
    L.DomEvent.disableScrollPropagation(div)
    div.addEventListener("click", (e) => {
      if (e.target.closest(".lm-legend-title")) { div.classList.toggle("lm-folded") }
    })
    legend._div = div
    return div
  }
  legend.addTo(map)
  const layerControl = L.control.layers(null, overlays, { collapsed: false, position: "topright" })
  layerControl.addTo(map)
  const title = L.DomUtil.create("div", "lm-ctl-title")
  title.textContent = "图层"
  title.setAttribute("role", "button")
  title.title = "点击展开/收起"
  const ctlEl = layerControl.getContainer()
  ctlEl.insertBefore(title, ctlEl.firstChild)
  ctlEl.classList.toggle("lm-folded", folded)
  title.addEventListener("click", () => ctlEl.classList.toggle("lm-folded"))
  return { legend, layerControl }
}
