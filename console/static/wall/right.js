// The wall's right part: the ranking of the areas one level down (a click drills in) and the open
// cases that matter most, as many as the panel has room for (a wall cannot scroll). Only
// aggregate figures and area names arrive here: nothing personal is ever sent to the wall.
// With a chosen period (``data.period``) the ranking is that period's (受理, 办结, 超期, 办结率,
// 满意度 as analysis/periods.py counts them); the open cases stay live and say so.
// What each row says is computed by pure functions (tests/js).
import { make, setData, setText, show } from "./dom.js"
import { CHILD_NAMES, age, num, pct, shortCategory, shortName } from "./format.js"

export const MAX_ROWS = 15
export const MAX_CASES = 12

const PANELS = `
    <section class="wb-panel wb-rank-panel">
      <h2 class="wb-h"><span class="wb-h-text wb-rank-title">街道排名</span></h2>
      <div class="wb-hint">按近30日受理量排序 · 点击行或地图逐级下钻</div>
      <table class="wb-rank">
        <thead><tr><th>#</th><th class="wb-l">名称</th><th>受理</th><th class="wb-rank-mid">在办</th><th>超期</th><th>办结率</th><th>满意度</th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="wb-more"></div>
    </section>
    <section class="wb-panel wb-cases-panel">
      <h2 class="wb-h"><span class="wb-h-text">重点在办</span><span class="wb-h-note">实时 · 超期、紧急优先 · 已脱敏</span></h2>
      <table class="wb-cases">
        <thead><tr><th class="wb-l">类别</th><th class="wb-l wb-where-h">所在</th><th class="wb-l">状态</th><th>已历时</th><th>提示</th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="wb-empty wb-cases-empty">当前无在办案件</div>
    </section>
    <div class="wb-note"></div>`

// rankCells(row, index, scopeName, period) -> the seven cells of one ranking row (a chosen
// period's rows: 办结 where the live rows have 在办, and the period's 超期).
export function rankCells(r, i, scopeName, period) {
  return [i + 1, shortName(r.name, scopeName), num(period ? r.received : r.intake),
          num(period ? r.done : r.open), num(r.overdue), pct(r.closure_rate), pct(r.satisfaction)]
}

// rankHint(period) -> the line under the ranking's title: what it is sorted by.
export function rankHint(p) {
  if (!p) { return "按近30日受理量排序 · 实时 · 点击行或地图逐级下钻" }
  return `统计期 ${p.label}${p.loading ? " · 正在读取…" : ""} · 按期内受理量排序 · 点击行逐级下钻`
}

// caseCells(case, byGrid) -> the five cells of one case row; caseTone(case) -> bad | warn | "".
export function caseCells(c, byGrid) {
  return [shortCategory(c.category_label),
    byGrid ? shortName(c.grid_name, c.community_name) : (c.community_name || "—"),
    c.state_label, age(c.age_minutes),
    c.overdue ? (c.sign_overdue ? "签收超时" : "办结超期") : (c.priority <= 2 ? c.priority_label : "正常")]
}

export function caseTone(c) {
  return c.overdue ? "bad" : (c.priority <= 2 ? "warn" : "")
}

// rowsThatFit(heights, overflow) -> how many of the rows (all shown, overflowing by `overflow`
// px) to keep so the panel fits: the last ones go first.
export function rowsThatFit(heights, overflow) {
  let keep = heights.length
  while (keep > 0 && overflow > 0) {
    keep -= 1
    overflow -= heights[keep]
  }
  return keep
}

// periodNote(period) -> the small print while a period is chosen ("" when live: the live note).
export function periodNote(p) {
  if (!p) { return "" }
  return `口径：趋势、类别构成、排名与网格热力为所选统计期 ${p.label}（北京时间，含首尾${p.running ? "，截至目前" : ""}）；` +
    "今日受理、在办、超期与重点在办为实时；并案的重复件不计。"
}

function buildRanking(box, model) {
  const panel = box.querySelector(".wb-rank-panel")
  const title = box.querySelector(".wb-rank-title")
  const body = box.querySelector(".wb-rank tbody")
  const more = box.querySelector(".wb-more")
  const hint = box.querySelector(".wb-hint")
  const mid = box.querySelector(".wb-rank-mid")
  const rows = Array.from({ length: MAX_ROWS }, () => {
    const tr = make("tr", "wb-row")
    for (let k = 0; k < 7; k++) { tr.appendChild(make("td", k === 1 ? "wb-l" : "")) }
    tr.addEventListener("click", () => {
      if (tr.dataset.id) { model.send_msg({ type: "drill", level: tr.dataset.level, id: Number(tr.dataset.id) }) }
    })
    body.appendChild(tr)
    return tr
  })
  return function drawRanking(scope, level, list, period) {
    setText(hint, rankHint(period))
    setText(mid, period ? "办结" : "在办")
    setData(panel, "period", period ? `${period.from}/${period.to}` : "")
    const isGrid = level === "grid"
    show(panel, !(isGrid))
    if (isGrid) { return }
    const child = CHILD_NAMES[level]
    setText(title, `${level === "all" ? "" : scope.name + " · "}${child}排名`)
    rows.forEach((tr, i) => {
      const r = list[i]
      show(tr, r)
      if (!r) { delete tr.dataset.id; return }
      setData(tr, "id", String(r.id))
      setData(tr, "level", r.level)
      setData(tr, "overdue", r.overdue > 0 ? "1" : "")
      rankCells(r, i, scope.name, period).forEach((v, k) => { setText(tr.children[k], v) })
    })
    setText(more, list.length > MAX_ROWS ? `另有 ${list.length - MAX_ROWS} 个${child}未列出` : "")
  }
}

function buildCases(box) {
  const panel = box.querySelector(".wb-cases-panel")
  const body = box.querySelector(".wb-cases tbody")
  const empty = box.querySelector(".wb-cases-empty")
  const whereHead = box.querySelector(".wb-where-h")
  const rows = Array.from({ length: MAX_CASES }, () => {
    const tr = make("tr", "wb-case")
    for (let k = 0; k < 5; k++) { tr.appendChild(make("td", k < 3 ? "wb-l" : "")) }
    body.appendChild(tr)
    return tr
  })
  // Writes, then one read of the layout (every row's height at once), then writes: a single
  // forced layout, where hiding rows one by one until the panel fits forced one per row (seen
  // as 200+ ms tasks).
  let shown = 0
  function fit() {
    rows.forEach((tr, i) => show(tr, i < shown))
    const overflow = panel.scrollHeight - panel.clientHeight - 1
    const keep = rowsThatFit(rows.slice(0, shown).map((tr) => tr.offsetHeight), overflow)
    rows.forEach((tr, i) => show(tr, i < keep))
    // no room for a single row (a long ranking): leave the space empty rather than a stub
    const hidden = shown > 0 && keep === 0 ? "hidden" : ""
    if (panel.style.visibility !== hidden) { panel.style.visibility = hidden }
  }
  new ResizeObserver(fit).observe(panel)
  return function drawCases(level, list) {
    const byGrid = level === "community" || level === "grid"
    setText(whereHead, byGrid ? "网格" : "社区")
    const cases = list.slice(0, MAX_CASES)
    let changed = false
    rows.forEach((tr, i) => {
      const c = cases[i]
      if (!c) { return }
      caseCells(c, byGrid).forEach((t, k) => { if (setText(tr.children[k], t)) { changed = true } })
      setData(tr, "tone", caseTone(c))
    })
    if (shown !== cases.length) { changed = true }
    shown = cases.length
    show(empty, !(cases.length))
    if (changed) { fit() }  // the same rows with the same text still fit
  }
}

// buildRight(box, model) -> update(data).
export function buildRight(box, model) {
  box.innerHTML = PANELS
  const drawRanking = buildRanking(box, model)
  const drawCases = buildCases(box)
  const note = box.querySelector(".wb-note")
  let period = null
  const setNote = () => { setText(note, periodNote(period) || model.note || "") }
  setNote()
  model.on("change:note", setNote)
  return function update(data) {
    const scope = data.scope || {}
    const level = scope.level || "all"
    period = data.period && data.period.from ? data.period : null
    setNote()
    drawRanking(scope, level, data.ranking || [], period)
    drawCases(level, data.cases || [])
  }
}
