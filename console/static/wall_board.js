// WallBoard: the map wall's panels (Panel JSComponent ESM; Python side in console/pages/wall.py).
//
// Each part ("top", "left", "right") builds its DOM once and then updates text and attributes in
// place whenever `data` changes: a fixed number of elements, so a wall can run for days without
// its page growing. Clicks on the breadcrumb and ranking rows go back to Python as drill requests.
// Only aggregate figures and area names arrive here: nothing personal is ever sent to the wall.

import { TZ } from "fq/lib/time.js"

const LEVEL_NAMES = { all: "全辖区", district: "区县", street: "街道", community: "社区", grid: "网格" }
const CHILD_NAMES = { all: "街道", district: "街道", street: "社区", community: "网格" }
const MAX_ROWS = 15
const MAX_CATS = 10  // the nine largest categories, then the rest in one row
const MAX_CASES = 12

function make(tag, cls, text) {
  const node = document.createElement(tag)
  if (cls) { node.className = cls }
  if (text !== undefined) { node.textContent = text }
  return node
}

// Write only what changed: even an equal write invalidates style and layout, and a wall updates
// all day beside a busy map. (Reads of textContent/attributes never force a layout.)
function setText(node, value) {
  const text = String(value ?? "")
  if (node.textContent === text) { return false }
  node.textContent = text
  return true
}

function setAttr(node, name, value) {
  const text = String(value)
  if (node.getAttribute(name) !== text) { node.setAttribute(name, text) }
}

function setData(node, key, value) {
  const text = String(value ?? "")
  if (node.dataset[key] !== text) { node.dataset[key] = text }
}

function show(node, on) {
  const value = on ? "" : "none"
  if (node.style.display !== value) { node.style.display = value }
}

function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag)
  for (const [k, v] of Object.entries(attrs || {})) { node.setAttribute(k, v) }
  return node
}

const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"))
const pct = (r) => (r === null || r === undefined ? "—" : Number(r).toFixed(1))

function duration(min) {
  if (min === null || min === undefined) { return ["—", ""] }
  if (min < 90) { return [String(Math.round(min)), "分钟"] }
  if (min < 60 * 48) { return [(min / 60).toFixed(1), "小时"] }
  return [(min / 1440).toFixed(1), "天"]
}

function age(min) {
  const [v, unit] = duration(min)
  return `${v}${unit}`
}

const CLOCK = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })
const DATE = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, year: "numeric", month: "long", day: "numeric", weekday: "long" })

// "东盛社区第2网格" under 东盛社区 reads "第2网格": the wall has no room to repeat the parent.
function shortName(name, parent) {
  const text = String(name || "")
  return parent && text.startsWith(parent) && text.length > parent.length ? text.slice(parent.length) : text
}

// ---- top: header, breadcrumb, clock, status, and the eight figures each with its definition --

const CARDS = [
  { key: "intake_today", label: "今日受理", unit: "件",
    value: (o) => num(o.intake_today),
    sub: (o) => [`近24小时 ${num(o.intake_24h)} 件`, `近7日 ${num(o.intake_7d)} 件`] },
  { key: "open", label: "在办案件", unit: "件",
    value: (o) => num(o.open),
    sub: (o) => [`其中紧急 ${num(o.open_urgent)} 件`, `今日办结 ${num(o.resolved_today)} 件`] },
  { key: "overdue", label: "超期案件", unit: "件",
    value: (o) => num(o.overdue),
    tone: (o) => (o.overdue > 0 ? "bad" : "good"),
    sub: (o) => [`签收超时 ${num(o.sign_overdue)} 件`, `办结超期 ${num(o.close_overdue)} 件`] },
  { key: "closure_rate", label: "办结率", unit: "%", period: true,
    value: (o, w) => pct(w.closure_rate),
    sub: (o, w) => [`到期 ${num(w.due)} 件 · 按期 ${pct(w.on_time_rate)}%`,
                    `延期 批准 ${num(w.extensions_approved)} · 驳回 ${num(w.extensions_refused)}`] },
  { key: "success_rate", label: "调解成功率", unit: "%", period: true,
    value: (o, w) => pct(w.success_rate),
    sub: (o, w, w7) => [`办结 ${num(w.resolved)} 件`, `近7日 ${pct(w7.success_rate)}%`] },
  { key: "satisfaction", label: "满意度", unit: "%", period: true,
    value: (o, w) => pct(w.satisfaction),
    sub: (o, w) => [`回访 ${num(w.rated)} 件`,
                    `均分 ${w.satisfaction_mean == null ? "—" : w.satisfaction_mean.toFixed(2)} / 5`] },
  { key: "sign_minutes", label: "平均签收用时", period: true,
    value: (o, w) => duration(w.sign_minutes),
    sub: (o, w) => [`中位 ${age(w.sign_median_minutes)}`, `按时签收 ${pct(w.sign_on_time_rate)}%`] },
  { key: "arrive_minutes", label: "平均到场用时", period: true,
    value: (o, w) => duration(w.arrive_minutes),
    sub: (o, w) => [`中位 ${age(w.arrive_median_minutes)}`, `到场 ${num(w.arrived)} 件`] },
]

function buildTop(box, model) {
  box.innerHTML = `
    <header class="wb-head">
      <div class="wb-brand">
        <div class="wb-mark" aria-hidden="true">枫</div>
        <div><div class="wb-title">枫桥式矛盾纠纷调处指挥大屏</div>
          <div class="wb-sub">小事不出村 · 大事不出镇 · 矛盾不上交</div></div>
      </div>
      <nav class="wb-crumbs" aria-label="当前范围"></nav>
      <div class="wb-clock"><div class="wb-time">--:--:--</div><div class="wb-date"></div></div>
      <div class="wb-status"><span class="wb-dot"></span><span class="wb-status-text">正在连接…</span></div>
    </header>
    <section class="wb-kpis"></section>`
  const kpis = box.querySelector(".wb-kpis")
  const cards = CARDS.map((spec) => {
    const card = make("div", "wb-card")
    card.dataset.key = spec.key
    card.innerHTML = `<div class="wb-card-label"></div><div class="wb-card-value">` +
      `<span class="wb-v">—</span><span class="wb-u"></span></div>` +
      `<div class="wb-card-sub"><div></div><div></div></div><div class="wb-card-def"></div>`
    card.querySelector(".wb-card-label").textContent = spec.label
    if (spec.period) { card.querySelector(".wb-card-label").appendChild(make("span", "wb-tag", "近30日")) }
    kpis.appendChild(card)
    return { spec, card, v: card.querySelector(".wb-v"), u: card.querySelector(".wb-u"),
             sub: card.querySelector(".wb-card-sub"), def: card.querySelector(".wb-card-def") }
  })
  // Each figure says what it counts, right under it (dispatch/stats.py FIGURES).
  function renderDefs() {
    const byKey = Object.fromEntries((model.definitions || []).map((d) => [d.key, d]))
    for (const { spec, def } of cards) {
      const d = byKey[spec.key]
      setText(def, d ? d.short : "")
      def.title = d ? d.definition : ""
    }
  }
  renderDefs()
  model.on("change:definitions", renderDefs)
  const crumbs = box.querySelector(".wb-crumbs")
  const timeEl = box.querySelector(".wb-time")
  const dateEl = box.querySelector(".wb-date")
  const statusEl = box.querySelector(".wb-status")
  const statusText = box.querySelector(".wb-status-text")
  let offset = 0        // database clock minus browser clock, ms
  let lastUpdate = 0    // browser time of the last snapshot
  let dataAt = 0        // database time the last snapshot was computed at
  let crumbKey = ""
  let error = null

  function tick() {
    const now = new Date(Date.now() + offset)
    setText(timeEl, CLOCK.format(now))
    setText(dateEl, DATE.format(now))
    const quiet = (Date.now() - lastUpdate) / 1000
    const interval = model.interval_s || 5
    let state = "ok"
    let text = `实时 · 每${interval}秒刷新 · 数据 ${dataAt ? CLOCK.format(new Date(dataAt)) : "—"}`
    if (error) { state = "bad"; text = error } else if (quiet > 60) {
      state = "bad"; text = "连接中断，正在恢复…"
    } else if (quiet > interval * 3 + 5) { state = "warn"; text = "数据更新延迟" }
    setData(statusEl, "state", state)
    setText(statusText, text)
    if (quiet > 90) { recover() }
  }

  // A wall left alone for days may lose its server (restart, network): once the server answers
  // again, reload the page, at most once every two minutes.
  let checking = false
  async function recover() {
    if (checking) { return }
    checking = true
    try {
      const last = Number(sessionStorage.getItem("wall-reload-at") || 0)
      if (Date.now() - last < 120_000) { return }
      const resp = await fetch(new URL(model.health_url, document.baseURI).href,
                               { cache: "no-store", credentials: "same-origin" })
      if (resp.ok) {
        sessionStorage.setItem("wall-reload-at", String(Date.now()))
        window.location.reload()
      }
    } catch (err) {
      // still down: try again on a later tick
    } finally {
      checking = false
    }
  }

  function setCrumbs(scope) {
    const chain = (scope && scope.chain) || []
    const key = JSON.stringify(chain.map((c) => [c.level, c.id, c.name]))
    if (key === crumbKey) { return }
    crumbKey = key
    const items = [{ name: (scope && scope.root) || "全辖区", depth: 0 },
                   ...chain.map((c, i) => ({ name: shortName(c.name, i ? chain[i - 1].name : ""), depth: i + 1 }))]
    crumbs.replaceChildren()
    items.forEach((item, i) => {
      if (i > 0) { crumbs.appendChild(make("span", "wb-sep", "›")) }
      const last = i === items.length - 1
      const node = make(last ? "span" : "button", last ? "wb-crumb wb-crumb-on" : "wb-crumb", item.name)
      node.dataset.depth = String(item.depth)
      if (!last) {
        node.type = "button"
        node.addEventListener("click", () => model.send_msg({ type: "up", depth: item.depth }))
      }
      crumbs.appendChild(node)
    })
    if (chain.length < 2) {
      crumbs.appendChild(make("span", "wb-level", `当前范围：${LEVEL_NAMES[(scope && scope.level) || "all"]}`))
    }
  }

  function update(data) {
    error = data.error || null
    const o = data.overview
    if (!o) { tick(); return }
    // A snapshot's now() is never later than the true time (it may come from a cache a few
    // seconds old), so the largest offset seen is the best; a clock set back a minute resets it.
    const candidate = Date.parse(o.now) - Date.now()
    if (!lastUpdate || candidate > offset || candidate < offset - 60_000) { offset = candidate }
    dataAt = Date.parse(o.now)
    lastUpdate = Date.now()
    setCrumbs(data.scope)
    const w = (o.windows || {})["30"] || {}
    const w7 = (o.windows || {})["7"] || {}
    for (const { spec, card, v, u, sub } of cards) {
      let value = spec.value(o, w, w7)
      let unit = spec.unit || ""
      if (Array.isArray(value)) { [value, unit] = value }
      const none = value === "—"
      setText(v, none ? "暂无" : value)
      v.classList.toggle("wb-v-none", none)
      setText(u, none ? "" : unit)
      spec.sub(o, w, w7).forEach((line, i) => { setText(sub.children[i], line) })
      setData(card, "tone", spec.tone ? spec.tone(o) : "")
      setData(card, "value", value)
    }
    box.dataset.updated = String(lastUpdate)
    tick()
  }
  const timer = setInterval(tick, 1000)
  model.on("remove", () => clearInterval(timer))
  return update
}

// ---- left: 30-day trend and category mix ------------------------------------------------------

const W = 420, H = 262, X0 = 46, X1 = 410, Y0 = 14, Y1 = 218

function buildLeft(box, model) {
  box.innerHTML = `
    <section class="wb-panel wb-trend-panel">
      <h2 class="wb-h"><span class="wb-h-text">近30日受理与办结趋势</span></h2>
      <div class="wb-keys"><span class="wb-key wb-key-bar">受理</span><span class="wb-key wb-key-line">办结</span>
        <span class="wb-key-note"></span></div>
      <div class="wb-trend-box"></div>
      <div class="wb-foot wb-trend-foot"></div>
    </section>
    <section class="wb-panel wb-cat-panel">
      <h2 class="wb-h"><span class="wb-h-text">近30日纠纷类别构成</span></h2>
      <div class="wb-cats"></div>
    </section>`
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "wb-trend", role: "img",
                             "aria-label": "近30日每日受理与办结件数" })
  box.querySelector(".wb-trend-box").appendChild(chart)
  const grid = [0, 1, 2, 3, 4].map(() => {
    const line = svg("line", { x1: X0, x2: X1, class: "wb-grid" })
    const label = svg("text", { x: X0 - 8, class: "wb-axis", "text-anchor": "end" })
    chart.append(line, label)
    return { line, label }
  })
  const bars = Array.from({ length: 31 }, () => {
    const rect = svg("rect", { class: "wb-bar", rx: 1.5 })
    chart.appendChild(rect)
    return rect
  })
  const line = svg("polyline", { class: "wb-line", fill: "none" })
  chart.appendChild(line)
  const dots = Array.from({ length: 31 }, () => {
    const dot = svg("circle", { class: "wb-line-dot", r: 2.6 })
    chart.appendChild(dot)
    return dot
  })
  const xlabels = Array.from({ length: 7 }, () => {
    const t = svg("text", { class: "wb-axis", "text-anchor": "middle", y: Y1 + 24 })
    chart.appendChild(t)
    return t
  })
  const foot = box.querySelector(".wb-trend-foot")
  const note = box.querySelector(".wb-key-note")
  const cats = box.querySelector(".wb-cats")
  const catRows = Array.from({ length: MAX_CATS }, () => {
    const row = make("div", "wb-cat")
    row.innerHTML = `<span class="wb-cat-name"></span><span class="wb-cat-bar"><i></i></span>` +
      `<span class="wb-cat-n"></span><span class="wb-cat-p"></span>`
    cats.appendChild(row)
    return { row, name: row.querySelector(".wb-cat-name"), bar: row.querySelector("i"),
             n: row.querySelector(".wb-cat-n"), p: row.querySelector(".wb-cat-p") }
  })
  const empty = make("div", "wb-empty", "近30日无案件")
  cats.appendChild(empty)

  function niceMax(v) {
    if (v <= 4) { return 4 }
    const step = Math.pow(10, Math.floor(Math.log10(v)))
    for (const m of [1, 2, 2.5, 5, 10]) { if (m * step >= v) { return Math.ceil(v / (m * step / 4)) * (m * step / 4) } }
    return v
  }

  function update(data) {
    const days = data.trend || []
    const n = days.length
    const top = niceMax(Math.max(1, ...days.map((d) => Math.max(d.reported, d.resolved))))
    const y = (v) => Y1 - (v / top) * (Y1 - Y0)
    grid.forEach((g, i) => {
      const value = (top / 4) * i
      setAttr(g.line, "y1", y(value)); setAttr(g.line, "y2", y(value))
      setAttr(g.label, "y", y(value) + 5)
      setText(g.label, num(Math.round(value)))
    })
    const step = n ? (X1 - X0) / n : 0
    const points = []
    bars.forEach((rect, i) => {
      const d = days[i]
      const dot = dots[i]
      if (!d) { setAttr(rect, "display", "none"); setAttr(dot, "display", "none"); return }
      if (rect.hasAttribute("display")) { rect.removeAttribute("display") }
      if (dot.hasAttribute("display")) { dot.removeAttribute("display") }
      const x = X0 + i * step
      setAttr(rect, "x", (x + step * 0.14).toFixed(1))
      setAttr(rect, "width", Math.max(1, step * 0.72).toFixed(1))
      setAttr(rect, "y", y(d.reported).toFixed(1))
      setAttr(rect, "height", Math.max(0, Y1 - y(d.reported)).toFixed(1))
      rect.classList.toggle("wb-bar-partial", Boolean(d.partial))
      const cx = x + step / 2
      // today is still running: its dot shows, the line stops at yesterday
      if (!d.partial) { points.push(`${cx.toFixed(1)},${y(d.resolved).toFixed(1)}`) }
      setAttr(dot, "cx", cx.toFixed(1)); setAttr(dot, "cy", y(d.resolved).toFixed(1))
    })
    setAttr(line, "points", points.join(" "))
    xlabels.forEach((t, k) => {
      const i = Math.min(n - 1, Math.round((k * (n - 1)) / (xlabels.length - 1)))
      const d = days[i]
      if (!d) { setText(t, ""); return }
      setAttr(t, "x", (X0 + i * step + step / 2).toFixed(1))
      setText(t, d.partial ? "今日" : d.day.slice(5).replace("-", "/"))
    })
    const full = days.filter((d) => !d.partial)
    const sum = (k) => full.reduce((a, d) => a + d[k], 0)
    const today = days.find((d) => d.partial)
    setText(foot, full.length
      ? `日均受理 ${(sum("reported") / full.length).toFixed(1)} 件 · 日均办结 ${(sum("resolved") / full.length).toFixed(1)} 件`
      : "")
    setText(note, today ? `今日截至目前：受理 ${today.reported} · 办结 ${today.resolved}` : "")

    const all = data.categories || []
    let list = all
    if (all.length > MAX_CATS) {
      const rest = all.slice(MAX_CATS - 1)
      const total = all.reduce((a, c) => a + c.count, 0)
      const count = rest.reduce((a, c) => a + c.count, 0)
      list = [...all.slice(0, MAX_CATS - 1), { category: "_rest", label: `其余${rest.length}类`,
                                               count, share: total ? (100 * count) / total : null }]
    }
    const biggest = Math.max(1, ...list.map((c) => c.count))
    catRows.forEach((r, i) => {
      const c = list[i]
      show(r.row, c)
      if (!c) { return }
      setData(r.row, "category", c.category)
      setText(r.name, c.label)
      const width = `${((100 * c.count) / biggest).toFixed(2)}%`
      if (r.bar.style.width !== width) { r.bar.style.width = width }
      setText(r.n, num(c.count))
      setText(r.p, `${pct(c.share)}%`)
    })
    show(empty, !(list.length))
  }
  return update
}

// ---- right: ranking and the open cases that matter most --------------------------------------

// "邻里纠纷" → "邻里", "劳动争议/欠薪" → "劳动欠薪": the case list's first column is narrow.
function shortCategory(label) {
  return String(label || "").replace(/纠纷$/, "").replace("争议/", "")
}

function buildRight(box, model) {
  box.innerHTML = `
    <section class="wb-panel wb-rank-panel">
      <h2 class="wb-h"><span class="wb-h-text wb-rank-title">街道排名</span></h2>
      <div class="wb-hint">按近30日受理量排序 · 点击行或地图逐级下钻</div>
      <table class="wb-rank">
        <thead><tr><th>#</th><th class="wb-l">名称</th><th>受理</th><th>在办</th><th>超期</th><th>办结率</th><th>满意度</th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="wb-more"></div>
    </section>
    <section class="wb-panel wb-cases-panel">
      <h2 class="wb-h"><span class="wb-h-text">重点在办</span><span class="wb-h-note">超期、紧急优先 · 已脱敏</span></h2>
      <table class="wb-cases">
        <thead><tr><th class="wb-l">类别</th><th class="wb-l wb-where-h">所在</th><th class="wb-l">状态</th><th>已历时</th><th>提示</th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="wb-empty wb-cases-empty">当前无在办案件</div>
    </section>
    <div class="wb-note"></div>`
  const rankPanel = box.querySelector(".wb-rank-panel")
  const title = box.querySelector(".wb-rank-title")
  const rankBody = box.querySelector(".wb-rank tbody")
  const more = box.querySelector(".wb-more")
  const casesPanel = box.querySelector(".wb-cases-panel")
  const casesBody = box.querySelector(".wb-cases tbody")
  const casesEmpty = box.querySelector(".wb-cases-empty")
  const whereHead = box.querySelector(".wb-where-h")
  const rows = Array.from({ length: MAX_ROWS }, () => {
    const tr = make("tr", "wb-row")
    for (let k = 0; k < 7; k++) { tr.appendChild(make("td", k === 1 ? "wb-l" : "")) }
    tr.addEventListener("click", () => {
      if (tr.dataset.id) { model.send_msg({ type: "drill", level: tr.dataset.level, id: Number(tr.dataset.id) }) }
    })
    rankBody.appendChild(tr)
    return tr
  })
  const caseRows = Array.from({ length: MAX_CASES }, () => {
    const tr = make("tr", "wb-case")
    for (let k = 0; k < 5; k++) { tr.appendChild(make("td", k < 3 ? "wb-l" : "")) }
    casesBody.appendChild(tr)
    return tr
  })

  const note = box.querySelector(".wb-note")
  const setNote = () => { note.textContent = model.note || "" }
  setNote()
  model.on("change:note", setNote)

  // Show as many case rows as the panel has room for: a wall cannot scroll. Writes, then one
  // read of the layout (every row's height at once), then writes: a single forced layout, where
  // hiding rows one by one until the panel fits forced one per row (seen as 200+ ms tasks).
  let shown = 0
  function fitCases() {
    caseRows.forEach((tr, i) => show(tr, i < shown))
    let overflow = casesPanel.scrollHeight - casesPanel.clientHeight - 1
    let keep = shown
    const heights = caseRows.slice(0, shown).map((tr) => tr.offsetHeight)
    while (keep > 0 && overflow > 0) {
      keep -= 1
      overflow -= heights[keep]
    }
    caseRows.forEach((tr, i) => show(tr, i < keep))
    // no room for a single row (a long ranking): leave the space empty rather than a stub
    const hidden = shown > 0 && keep === 0 ? "hidden" : ""
    if (casesPanel.style.visibility !== hidden) { casesPanel.style.visibility = hidden }
  }
  new ResizeObserver(fitCases).observe(casesPanel)

  function update(data) {
    const scope = data.scope || {}
    const level = scope.level || "all"
    const isGrid = level === "grid"
    show(rankPanel, !(isGrid))
    if (!isGrid) {
      const child = CHILD_NAMES[level]
      setText(title, `${level === "all" ? "" : scope.name + " · "}${child}排名`)
      const list = data.ranking || []
      rows.forEach((tr, i) => {
        const r = list[i]
        show(tr, r)
        if (!r) { delete tr.dataset.id; return }
        setData(tr, "id", String(r.id))
        setData(tr, "level", r.level)
        setData(tr, "overdue", r.overdue > 0 ? "1" : "")
        const values = [i + 1, shortName(r.name, scope.name), num(r.intake), num(r.open),
                        num(r.overdue), pct(r.closure_rate), pct(r.satisfaction)]
        values.forEach((v, k) => { setText(tr.children[k], v) })
      })
      setText(more, list.length > MAX_ROWS ? `另有 ${list.length - MAX_ROWS} 个${child}未列出` : "")
    }
    const byGrid = level === "community" || level === "grid"
    setText(whereHead, byGrid ? "网格" : "社区")
    const cases = (data.cases || []).slice(0, MAX_CASES)
    let changed = false
    caseRows.forEach((tr, i) => {
      const c = cases[i]
      if (!c) { return }
      const cells = tr.children
      const texts = [shortCategory(c.category_label),
        byGrid ? shortName(c.grid_name, c.community_name) : (c.community_name || "—"),
        c.state_label, age(c.age_minutes),
        c.overdue ? (c.sign_overdue ? "签收超时" : "办结超期") : (c.priority <= 2 ? c.priority_label : "正常")]
      texts.forEach((t, k) => { if (setText(cells[k], t)) { changed = true } })
      setData(tr, "tone", c.overdue ? "bad" : (c.priority <= 2 ? "warn" : ""))
    })
    if (shown !== cases.length) { changed = true }
    shown = cases.length
    show(casesEmpty, !(cases.length))
    if (changed) { fitCases() }  // the same rows with the same text still fit
  }
  return update
}

export function render({ model, el }) {
  const box = make("div", `wb wb-${model.part}`)
  el.appendChild(box)
  const build = { top: buildTop, left: buildLeft, right: buildRight }[model.part] || buildTop
  const update = build(box, model)
  const apply = () => {
    const t0 = performance.now()
    try { update(model.data || {}) } catch (err) { console.error("大屏更新失败：", err) }
    if (Array.isArray(window.__lmTiming)) {  // see leaflet_map.js: what long tasks are made of
      window.__lmTiming.push([t0, performance.now() - t0, "board", model.part, 0])
    }
  }
  model.on("change:data", apply)
  apply()
}
