// DeskUnits: the unit board 力量看板 — status, position age (ticked here), load and current cases,
// filtered by status or type and searched by name; a click shows the unit on the map.
import { ago, clockOffset, h, liveRows, reconcile } from "fq/desk_common.js"

const STATUS = [["all", "全部"], ["available", "空闲"], ["assigned", "已派单"], ["en_route", "在途"],
                ["on_scene", "到场处置"], ["off_duty", "下班"]]
const MAX_ROWS = 250

export function render({ model, el }) {
  const root = h("div", { class: "dk-panel dk-units" })
  const tabs = h("div", { class: "dk-tabs dk-u-tabs", role: "tablist" })
  const type = h("select", { class: "dk-input dk-u-type", "aria-label": "力量类型" })
  const search = h("input", { class: "dk-input dk-u-search", type: "search", placeholder: "姓名 / 编号 / 网格",
    "aria-label": "搜索力量" })
  const list = h("div", { class: "dk-u-list" })
  const summary = h("span", { class: "dk-muted dk-small" })
  // the board folds to its head (the queue keeps the room on a 1366×768 desk): Python sets
  // the panel's height, told by a message; the screen's size is told once, to choose at start
  const fold = h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-btn-sm dk-u-fold",
    "aria-expanded": "true", onclick: () => model.send_msg({ type: "fold", folded: !root.classList.contains("folded") }) }, "收起")
  root.append(h("div", { class: "dk-panel-head" }, h("span", {}, "力量看板"), summary, fold), tabs,
    h("div", { class: "dk-u-tools" }, type, search), list)
  el.appendChild(root)
  const showFold = () => {
    root.classList.toggle("folded", Boolean(model.folded))
    fold.textContent = model.folded ? "展开" : "收起"
    fold.setAttribute("aria-expanded", model.folded ? "false" : "true")
  }
  model.on("change:folded", showFold)
  showFold()
  // Told once the page's document is idle: Python's answer to a message sent while the page is
  // still being put together was lost (the board stayed unfolded on a small screen).
  const tell = () => model.send_msg({ type: "screen", width: window.innerWidth, height: window.innerHeight })
  const idle = () => (window.Bokeh?.documents || []).every((d) => d.is_idle)
  if (idle()) { tell() } else {
    const wait = setInterval(() => { if (idle()) { clearInterval(wait); tell() } }, 100)
    model.on("remove", () => clearInterval(wait))
  }

  let status = "all"
  let offset = clockOffset(model.server_ms)
  let ages = []
  let cache = new Map()
  const tabEls = {}
  for (const [key, label] of STATUS) {
    tabEls[key] = h("button", { type: "button", class: `dk-tab st-${key}`, dataset: { status: key },
      onclick: () => { status = key; draw() } }, label, h("span", { class: "dk-tab-n" }, ""))
    tabs.appendChild(tabEls[key])
  }
  type.appendChild(h("option", { value: "" }, "全部类型"))
  for (const [k, v] of Object.entries(model.unit_types || {})) { type.appendChild(h("option", { value: k }, v)) }
  type.addEventListener("change", () => draw())
  search.addEventListener("input", () => draw())

  function row(u, extra) {
    const age = h("span", { class: "dk-u-age" })
    extra.push([age, u.id])
    const pct = Math.min(100, Math.round(100 * u.load / Math.max(1, u.capacity)))
    return h("div", { class: "dk-u-row", tabindex: 0, dataset: { id: u.id, status: u.status },
      onclick: () => model.send_msg({ type: "unit", id: u.id }) },
      h("span", { class: `dk-dot st-${u.status}` }),
      h("div", { class: "dk-u-main" },
        h("div", { class: "dk-u-name" }, h("b", {}, u.name), h("span", { class: "dk-muted" }, ` ${u.type_label} · ${u.code}`)),
        h("div", { class: "dk-u-sub" }, u.place || "—", u.cases.length ? ` · 在办 ${u.cases.join("、")}` : "")),
      h("div", { class: "dk-u-side" },
        h("span", { class: `dk-u-status st-${u.status}` }, u.status_label),
        h("div", { class: "dk-load", title: `在办 ${u.load}/${u.capacity}` },
          h("div", { class: "dk-load-bar", style: `width:${pct}%` }),
          h("span", { class: "dk-load-n" }, `${u.load}/${u.capacity}`)),
        age))
  }

  function draw() {
    const q = search.value.trim()
    const ty = type.value
    const byStatus = {}
    for (const u of rows) { if (!ty || u.type === ty) { byStatus[u.status] = (byStatus[u.status] || 0) + 1 } }
    for (const [key] of STATUS) {
      tabEls[key].classList.toggle("on", key === status)
      const n = key === "all" ? Object.values(byStatus).reduce((a, b) => a + b, 0) : byStatus[key] || 0
      tabEls[key].querySelector(".dk-tab-n").textContent = String(n)
    }
    const shown = rows.filter((u) => (status === "all" || u.status === status) && (!ty || u.type === ty) &&
      (!q || [u.name, u.code, u.place, u.type_label, ...u.cases].some((t) => t && String(t).includes(q))))
    // rows are built without their position: a move only retexts the age (tick), no rebuild
    cache = reconcile(list, shown.slice(0, MAX_ROWS).map(still), (u) => u.id, row, cache)
    ages = [...cache.values()].flatMap((e) => e.extra)
    if (!shown.length) { list.appendChild(h("div", { class: "dk-empty" }, "没有符合条件的力量")) }
    if (shown.length > MAX_ROWS) { list.appendChild(h("div", { class: "dk-empty" }, `另有 ${shown.length - MAX_ROWS} 个，请筛选或搜索`)) }
    const busy = rows.filter((u) => u.load > 0).length
    summary.textContent = `共 ${rows.length} · 有任务 ${busy}`
    tick()
  }

  function tick() {
    const t = Date.now() + offset
    for (const [el, id] of ages) {
      const u = byId.get(id)
      const ms = u ? u.position_ms : null
      const text = ago(ms, t)
      if (el.textContent !== text) { el.textContent = text }
      el.classList.toggle("stale", !ms || t - ms > (model.stale_s || 900) * 1000)
    }
  }

  // Changed rows arrive as diffs (liveRows). A position changes neither counts nor filters: only
  // the ages are retexted, at most once a second; any other change redraws (the rows are rebuilt
  // only where they differ).
  const still = ({ lon, lat, position_ms, ...rest }) => rest
  let byId = new Map()
  let later = null
  let redraw = false
  const live = liveRows(model, (kind, changed, reordered) => {
    rows = live.rows
    byId = new Map(rows.map((u) => [u.id, u]))
    if (kind === "full") { draw(); return }
    if (!redraw && (reordered || changed.some(([was, now]) => !was ||
        JSON.stringify(still(was)) !== JSON.stringify(still(now))))) { redraw = true }
    if (!later) {
      later = setTimeout(() => { later = null; if (redraw) { redraw = false; draw() } else { tick() } },
        redraw ? 200 : 1000)
    }
  })
  let rows = live.rows
  byId = new Map(rows.map((u) => [u.id, u]))
  model.on("change:server_ms", () => { offset = clockOffset(model.server_ms) })
  const iv = setInterval(tick, 5000)
  model.on("remove", () => { clearInterval(iv); clearTimeout(later) })
  draw()
}
