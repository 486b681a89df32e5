// The live map's popups: a clicked point's facts (its deadline in Beijing time, late or not) and
// the areas holding a clicked spot, most specific first. Markup from escaped text only; pure.
import { escapeHtml } from "../lib/escape.js"
import { fmtFull } from "../lib/time.js"
import { featureId } from "./geometry.js"
import { illustrativeTag } from "./style.js"

// featurePopupHtml(layer config, GeoJSON feature, now ms) -> the popup's inner markup.
export function featurePopupHtml(config, feature, now) {
  const props = feature.properties || {}
  const style = config.style || {}
  let kindLabel = config.label
  if (style.by && style.classes && style.classes[props[style.by]]) {
    kindLabel = style.classes[props[style.by]].label || kindLabel
  }
  const rows = [
    `<div class="lm-popup-title">${escapeHtml(props.name || "（未命名）")}${illustrativeTag(props)}</div>`,
    `<table class="lm-popup-table">`,
    `<tr><th>类型</th><td>${escapeHtml(kindLabel)}</td></tr>`,
    `<tr><th>编码</th><td class="lm-code">${escapeHtml(props.code ?? featureId(feature) ?? "")}</td></tr>`,
  ]
  if (props.due) {
    const due = Date.parse(props.due)
    const over = due < now
    const what = props.clock === "sign" ? "签收时限" : "办结时限"
    rows.push(`<tr><th>${what}</th><td${over ? ' class="lm-late"' : ""}>` +
              `${escapeHtml(fmtFull(due))}${over ? "（已超时）" : ""}</td></tr>`)
  }
  if (props.address) { rows.push(`<tr><th>地址</th><td>${escapeHtml(props.address)}</td></tr>`) }
  if (props.phone) { rows.push(`<tr><th>电话</th><td>${escapeHtml(props.phone)}</td></tr>`) }
  rows.push("</table>")
  return rows.join("")
}

// areaPopupHtml([{label, name, code, id, illustrative}], lon, lat) -> the popup's inner markup.
export function areaPopupHtml(hits, x, y) {
  const rows = hits.map((h) => (
    `<tr><th>${escapeHtml(h.label)}</th><td><div class="lm-name">${escapeHtml(h.name || "（未命名）")}` +
    `${illustrativeTag(h)}</div>` +
    `<div class="lm-code">${escapeHtml(h.code ?? h.id)}</div></td></tr>`
  ))
  return `<div class="lm-popup-title">所在区域</div>` +
    `<table class="lm-popup-table">${rows.join("")}</table>` +
    `<div class="lm-popup-foot">${y.toFixed(5)}, ${x.toFixed(5)}</div>`
}
