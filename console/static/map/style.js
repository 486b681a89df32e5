// The live map's styles: a layer's Leaflet path options (per value of one property when the
// layer says so), the legend's swatches and the 示意 tag. Pure: tested under node (tests/js).
import { escapeHtml } from "../lib/escape.js"

export function illustrativeTag(props) {
  return props && props.illustrative ? `<span class="lm-tag">示意</span>` : ""
}

export const STYLE_KEYS = ["color", "weight", "opacity", "fillColor", "fillOpacity", "dashArray",
                           "radius", "lineCap", "lineJoin"]

export function pickStyle(source) {
  const out = {}
  for (const key of STYLE_KEYS) {
    if (source && source[key] !== undefined && source[key] !== null) { out[key] = source[key] }
  }
  return out
}

// Layer style = base Leaflet path options, optionally overridden per value of one property:
// {"color": ..., "by": "kind", "classes": {"police_station": {"label": "派出所", "fillColor": ...}}}
export function styleFor(config, feature) {
  const style = config.style || {}
  const base = pickStyle(style)
  if (style.by && style.classes && feature && feature.properties) {
    const cls = style.classes[feature.properties[style.by]]
    if (cls) { Object.assign(base, pickStyle(cls)) }
  }
  return base
}

export function swatch(kind, style) {
  const color = style.color || "#555"
  const fill = style.fillColor || color
  if (kind === "point") {
    return `<span class="lm-swatch lm-swatch-point" style="background:${escapeHtml(fill)};` +
      `border-color:${escapeHtml(color)}"></span>`
  }
  if (kind === "line") {
    return `<span class="lm-swatch lm-swatch-line" style="border-top-color:${escapeHtml(color)}"></span>`
  }
  const dashed = style.dashArray ? "dashed" : "solid"
  return `<span class="lm-swatch lm-swatch-area" style="border-color:${escapeHtml(color)};` +
    `border-style:${dashed};background:${escapeHtml(fill)}33"></span>`
}
