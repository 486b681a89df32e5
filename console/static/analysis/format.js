// The 研判 page's numbers in words: counts, rates (already in percent), minutes, and a change
// against the base period (环比/同比) with the direction that is good for that figure.
import { escapeHtml as esc } from "../lib/escape.js"

export function num(v) { return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN") }
export function pct(v) { return v === null || v === undefined ? "—" : `${Number(v).toFixed(1)}%` }
export function mins(v) { return v === null || v === undefined ? "—" : `${Number(v).toFixed(1)} 分钟` }

export function value(v, kind) { return kind === "rate" ? pct(v) : kind === "minutes" ? mins(v) : num(v) }

// figures whose rise is bad news (the others: good news, or neither for volume)
const WORSE_UP = new Set(["overdue", "sign_minutes", "arrive_minutes"])
const NEUTRAL = new Set(["received"])

// A change {abs, pct, kind} in words: "+5（+20.0%）", "+4.5 个百分点", "—" where there is no base.
export function changeText(ch) {
  if (!ch || ch.abs === null || ch.abs === undefined) { return "—" }
  const sign = ch.abs > 0 ? "+" : ""
  const abs = ch.kind === "rate" ? `${sign}${Number(ch.abs).toFixed(1)} 个百分点`
    : ch.kind === "minutes" ? `${sign}${Number(ch.abs).toFixed(1)} 分钟` : `${sign}${num(ch.abs)}`
  if (ch.kind === "rate" || ch.pct === null || ch.pct === undefined) { return abs }
  return `${abs}（${ch.pct > 0 ? "+" : ""}${Number(ch.pct).toFixed(1)}%）`
}

// "up" / "down" / "flat", and whether that is "good", "bad" or "neutral" for ``key``.
export function changeTone(key, ch) {
  if (!ch || !ch.abs) { return "flat" }
  if (NEUTRAL.has(key)) { return "neutral" }
  const up = ch.abs > 0
  return (up !== WORSE_UP.has(key)) ? "good" : "bad"
}

// A table of rows: columns [[label, (row) => html-safe text]]; values are escaped here.
export function table(rows, columns, { cls = "an-table", empty = "统计期内无数据" } = {}) {
  if (!rows || !rows.length) { return `<div class="an-muted">${esc(empty)}</div>` }
  const head = columns.map(([label]) => `<th>${esc(label)}</th>`).join("")
  const body = rows.map((r) => `<tr>${columns.map(([, f]) => `<td>${esc(f(r))}</td>`).join("")}</tr>`).join("")
  return `<table class="${esc(cls)}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
}
