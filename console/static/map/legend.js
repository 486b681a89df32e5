// The live map's legend: one entry per layer (its swatch, or its classes' swatches), greyed when
// the layer is off, with a note while it loads, fails or waits for a closer zoom. Pure markup from
// escaped text; `pointItems(config)` adds a point layer's own items (leaflet_points.js).
import { escapeHtml } from "../lib/escape.js"
import { pickStyle, swatch } from "./style.js"

// legendNote({status}, on, zoomOk, minZoom) -> the note's markup ("" when there is nothing to say).
export function legendNote(status, on, zoomOk, minZoom) {
  if (status === "error") { return `<span class="lm-note lm-error">加载失败</span>` }
  if (on && !zoomOk) { return `<span class="lm-note">放大至${escapeHtml(minZoom)}级显示</span>` }
  if (status === "loading") { return `<span class="lm-note">加载中…</span>` }
  return ""
}

// legendEntry(config, on, note, pointItems) -> the markup of one layer's entry ("" if unlisted).
export function legendEntry(config, on, note, pointItems) {
  if (config.legend === false) { return "" }
  const style = config.style || {}
  const cls = on ? "lm-legend-item" : "lm-legend-item lm-off"
  const labelled = style.by && style.classes &&
    Object.values(style.classes).some((sub) => sub && sub.label)
  if (!labelled) {
    return `<div class="${cls}">${swatch(config.kind, pickStyle(style))}` +
           `<span>${escapeHtml(config.label)}</span>${note}</div>`
  }
  const items = [`<div class="${cls} lm-legend-group">${escapeHtml(config.label)}${note}</div>`]
  if (pointItems) { items.push(pointItems(config)) }
  for (const [value, sub] of Object.entries(style.classes)) {
    if (!sub.label) { continue }
    const merged = { ...pickStyle(style), ...pickStyle(sub) }
    items.push(`<div class="${cls} lm-legend-sub" data-value="${escapeHtml(value)}">` +
               `${swatch(config.kind, merged)}<span>${escapeHtml(sub.label)}</span></div>`)
  }
  return items.join("")
}
