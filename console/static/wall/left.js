// The wall's left part: the 30-day trend (cases received as bars, resolved as a line that stops
// at yesterday, today's running figures in a note) and the category mix (the nine largest, then
// the rest in one row); with a chosen period (``data.period``) both show that fixed period, in
// the bins the server chose (days, weeks or months), and say so in their titles. Its fixed set of SVG and DOM elements is made once and moved in place;
// where everything goes is computed by pure functions (tests/js).
import { make, setAttr, setData, setText, show, svg } from "./dom.js"
import { num, pct } from "./format.js"

export const W = 420, H = 262, X0 = 46, X1 = 410, Y0 = 14, Y1 = 218
export const MAX_CATS = 10  // the nine largest categories, then the rest in one row
const DAYS = 31, XLABELS = 7

const PANELS = `
    <section class="wb-panel wb-trend-panel">
      <h2 class="wb-h"><span class="wb-h-text wb-trend-title">近30日受理与办结趋势</span><span class="wb-h-note wb-trend-mode"></span></h2>
      <div class="wb-keys"><span class="wb-key wb-key-bar">受理</span><span class="wb-key wb-key-line">办结</span>
        <span class="wb-key-note"></span></div>
      <div class="wb-trend-box"></div>
      <div class="wb-foot wb-trend-foot"></div>
    </section>
    <section class="wb-panel wb-cat-panel">
      <h2 class="wb-h"><span class="wb-h-text wb-cat-title">近30日纠纷类别构成</span><span class="wb-h-note wb-cat-mode"></span></h2>
      <div class="wb-cats"></div>
    </section>`

// niceMax(v) -> the axis' top: a round number at or above v, in quarters.
export function niceMax(v) {
  if (v <= 4) { return 4 }
  const step = Math.pow(10, Math.floor(Math.log10(v)))
  for (const m of [1, 2, 2.5, 5, 10]) { if (m * step >= v) { return Math.ceil(v / (m * step / 4)) * (m * step / 4) } }
  return v
}

// trendLayout(days, period) -> where each element of the chart goes: `grid` (5 lines with labels),
// `bars` and `dots` (31 each, null when there is no such day), the line's `points`, `xlabels`
// (7, null when empty), the `foot` (daily means of the full days; a chosen period: its totals)
// and the `note` (today so far). A chosen period's bins carry their own `label`.
export function trendLayout(days, period) {
  const n = days.length
  const top = niceMax(Math.max(1, ...days.map((d) => Math.max(d.reported, d.resolved))))
  const y = (v) => Y1 - (v / top) * (Y1 - Y0)
  const grid = [0, 1, 2, 3, 4].map((i) => {
    const value = (top / 4) * i
    return { y: y(value), labelY: y(value) + 5, label: num(Math.round(value)) }
  })
  const step = n ? (X1 - X0) / n : 0
  const points = []
  const bars = [], dots = []
  for (let i = 0; i < DAYS; i++) {
    const d = days[i]
    if (!d) { bars.push(null); dots.push(null); continue }
    const x = X0 + i * step
    bars.push({ x: (x + step * 0.14).toFixed(1), width: Math.max(1, step * 0.72).toFixed(1),
                y: y(d.reported).toFixed(1), height: Math.max(0, Y1 - y(d.reported)).toFixed(1),
                partial: Boolean(d.partial), day: d.day, reported: d.reported, resolved: d.resolved })
    const cx = x + step / 2
    // today is still running: its dot shows, the line stops at yesterday
    if (!d.partial) { points.push(`${cx.toFixed(1)},${y(d.resolved).toFixed(1)}`) }
    dots.push({ cx: cx.toFixed(1), cy: y(d.resolved).toFixed(1) })
  }
  const xlabels = Array.from({ length: XLABELS }, (_, k) => {
    const i = Math.min(n - 1, Math.round((k * (n - 1)) / (XLABELS - 1)))
    const d = days[i]
    if (!d) { return null }
    return { x: (X0 + i * step + step / 2).toFixed(1),
             text: d.label || (d.partial ? "今日" : d.day.slice(5).replace("-", "/")) }
  })
  const full = days.filter((d) => !d.partial)
  const sum = (k) => full.reduce((a, d) => a + d[k], 0)
  const today = days.find((d) => d.partial)
  const all = (k) => days.reduce((a, d) => a + d[k], 0)
  const foot = period
    ? `期内受理 ${num(all("reported"))} 件 · 办结 ${num(all("resolved"))} 件${period.running ? "（截至目前）" : ""}`
    : full.length
      ? `日均受理 ${(sum("reported") / full.length).toFixed(1)} 件 · 日均办结 ${(sum("resolved") / full.length).toFixed(1)} 件`
      : ""
  const note = today && !period ? `今日截至目前：受理 ${today.reported} · 办结 ${today.resolved}` : ""
  return { grid, bars, dots, points: points.join(" "), xlabels, foot, note }
}

// categoryRows(categories) -> at most MAX_CATS rows, each with its bar's `width` against the largest.
export function categoryRows(all) {
  let list = all
  if (all.length > MAX_CATS) {
    const rest = all.slice(MAX_CATS - 1)
    const total = all.reduce((a, c) => a + c.count, 0)
    const count = rest.reduce((a, c) => a + c.count, 0)
    list = [...all.slice(0, MAX_CATS - 1), { category: "_rest", label: `其余${rest.length}类`,
                                             count, share: total ? (100 * count) / total : null }]
  }
  const biggest = Math.max(1, ...list.map((c) => c.count))
  return list.map((c) => ({ ...c, width: `${((100 * c.count) / biggest).toFixed(2)}%` }))
}

function buildChart(holder) {
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "wb-trend", role: "img",
                             "aria-label": "近30日每日受理与办结件数" })
  holder.appendChild(chart)
  const add = (node) => { chart.appendChild(node); return node }
  const grid = [0, 1, 2, 3, 4].map(() => {
    const line = svg("line", { x1: X0, x2: X1, class: "wb-grid" })
    const label = svg("text", { x: X0 - 8, class: "wb-axis", "text-anchor": "end" })
    chart.append(line, label)
    return { line, label }
  })
  const bars = Array.from({ length: DAYS }, () => add(svg("rect", { class: "wb-bar", rx: 1.5 })))
  const line = add(svg("polyline", { class: "wb-line", fill: "none" }))
  const dots = Array.from({ length: DAYS }, () => add(svg("circle", { class: "wb-line-dot", r: 2.6 })))
  const xlabels = Array.from({ length: XLABELS }, () => add(
    svg("text", { class: "wb-axis", "text-anchor": "middle", y: Y1 + 24 })))
  return { grid, bars, line, dots, xlabels }
}

function drawChart(chart, at) {
  chart.grid.forEach((g, i) => {
    const { y, labelY, label } = at.grid[i]
    setAttr(g.line, "y1", y); setAttr(g.line, "y2", y)
    setAttr(g.label, "y", labelY)
    setText(g.label, label)
  })
  chart.bars.forEach((rect, i) => {
    const bar = at.bars[i], dot = chart.dots[i]
    if (!bar) { setAttr(rect, "display", "none"); setAttr(dot, "display", "none"); return }
    if (rect.hasAttribute("display")) { rect.removeAttribute("display") }
    if (dot.hasAttribute("display")) { dot.removeAttribute("display") }
    for (const key of ["x", "width", "y", "height"]) { setAttr(rect, key, bar[key]) }
    setAttr(rect, "data-day", bar.day)
    setAttr(rect, "data-reported", bar.reported)
    setAttr(rect, "data-resolved", bar.resolved)
    rect.classList.toggle("wb-bar-partial", bar.partial)
    setAttr(dot, "cx", at.dots[i].cx); setAttr(dot, "cy", at.dots[i].cy)
  })
  setAttr(chart.line, "points", at.points)
  chart.xlabels.forEach((t, k) => {
    const label = at.xlabels[k]
    if (!label) { setText(t, ""); return }
    setAttr(t, "x", label.x)
    setText(t, label.text)
  })
}

function buildCategories(cats) {
  const rows = Array.from({ length: MAX_CATS }, () => {
    const row = make("div", "wb-cat")
    row.innerHTML = `<span class="wb-cat-name"></span><span class="wb-cat-bar"><i></i></span>` +
      `<span class="wb-cat-n"></span><span class="wb-cat-p"></span>`
    cats.appendChild(row)
    return { row, name: row.querySelector(".wb-cat-name"), bar: row.querySelector("i"),
             n: row.querySelector(".wb-cat-n"), p: row.querySelector(".wb-cat-p") }
  })
  const empty = make("div", "wb-empty", "近30日无案件")
  cats.appendChild(empty)
  return function drawCategories(list, period) {
    setText(empty, !period ? "近30日无案件" : period.loading ? "正在读取…" : "统计期内无案件")
    rows.forEach((r, i) => {
      const c = list[i]
      show(r.row, c)
      if (!c) { return }
      setData(r.row, "category", c.category)
      setText(r.name, c.label)
      if (r.bar.style.width !== c.width) { r.bar.style.width = c.width }
      setText(r.n, num(c.count))
      setText(r.p, `${pct(c.share)}%`)
    })
    show(empty, !(list.length))
  }
}

// buildLeft(box, model) -> update(data).
export function buildLeft(box, model) {
  box.innerHTML = PANELS
  const chart = buildChart(box.querySelector(".wb-trend-box"))
  const foot = box.querySelector(".wb-trend-foot")
  const note = box.querySelector(".wb-key-note")
  const drawCategories = buildCategories(box.querySelector(".wb-cats"))
  const titles = [".wb-trend-title", ".wb-cat-title", ".wb-trend-mode", ".wb-cat-mode"]
    .map((q) => box.querySelector(q))
  return function update(data) {
    const p = data.period && data.period.from ? data.period : null
    const [trendTitle, catTitle, trendMode, catMode] = titles
    setText(trendTitle, p ? `${p.label} 受理与办结趋势` : "近30日受理与办结趋势")
    setText(catTitle, p ? `${p.label} 纠纷类别构成` : "近30日纠纷类别构成")
    setText(trendMode, p ? (p.loading ? "读取中" : p.bin_label || "") : "实时")
    setText(catMode, p ? "统计期" : "实时")
    setData(box, "period", p ? `${p.from}/${p.to}` : "")
    setData(box, "ready", p && p.loading ? "" : "1")
    const at = trendLayout(data.trend || [], p)
    drawChart(chart, at)
    setText(foot, at.foot)
    setText(note, at.note)
    drawCategories(categoryRows(data.categories || []), p)
  }
}
