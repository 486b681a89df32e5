// The 研判 page (/analysis): the period bar and the tabs of console/pages/analysis.py's registry.
// Each tab is a module fq/analysis/<key>.js exporting mount(el, ctx); it may return
// {update(ctx)} to follow a new period in place, otherwise it is mounted afresh. ctx carries:
//   period {from, to} (Beijing dates, both included), compare "prev"|"yoy", category ("" all),
//   area (the reader's own area: {street_id, …}; every answer is cut to it by the API anyway),
//   labels (Chinese labels of the codes), api (the API base), query(extra) (the period's query
//   string) and get(path, extra) (GET {api}{path}?{query(extra)} → JSON, or throws the API's
//   own Chinese reason).
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { fetchJson } from "fq/lib/http.js"
import { periodBar } from "fq/lib/periods.js"

export function render({ model, el }) {
  const base = model.api_base.replace(/\/$/, "")
  const L = model.labels
  const root = document.createElement("div")
  root.className = "an-root"
  el.appendChild(root)
  const state = { ...model.period, compare: "prev", category: "" }
  root.innerHTML = `
    <header class="an-head"><div class="an-mark">枫</div><h1>研判分析</h1>
      <a class="an-home" href="/">返回一张图</a></header>
    <div class="an-period"></div>
    <div class="an-filter"><label>类别 <select name="category">${opts(L.categories, "", "全部类别")}</select></label>
      <span class="an-label"></span></div>
    <nav class="an-tabs">${model.tabs.map((t) => `<button data-tab="${esc(t.key)}">${esc(t.label)}</button>`).join("")}</nav>
    <main class="an-main">${model.tabs.map((t) => `<section data-pane="${esc(t.key)}" hidden></section>`).join("")}</main>`
  const mounted = {} // key -> {handle, stale}
  let current = null

  function query(extra = {}) {
    const q = new URLSearchParams({ from: state.from, to: state.to })
    if (state.category) { q.set("category", state.category) }
    for (const [k, v] of Object.entries(extra)) { if (v !== undefined && v !== null && v !== "") { q.set(k, v) } }
    return q.toString()
  }
  const ctx = () => ({ period: { from: state.from, to: state.to }, compare: state.compare,
    category: state.category, area: model.area, labels: L, api: base, query,
    get: (path, extra) => fetchJson(`${base}${path}?${query(extra)}`) })

  async function mountTab(tab) {
    const pane = root.querySelector(`[data-pane="${tab.key}"]`)
    const seen = mounted[tab.key]
    if (seen && !seen.stale) { return }
    if (seen && seen.handle && typeof seen.handle.update === "function") {
      seen.stale = false
      seen.handle.update(ctx())
      return
    }
    pane.innerHTML = `<div class="an-muted">载入中…</div>`
    try {
      const mod = await import(tab.module)
      pane.innerHTML = ""
      mounted[tab.key] = { handle: await mod.mount(pane, ctx()), stale: false }
    } catch (err) {
      pane.innerHTML = `<div class="an-error">${esc(err.message || String(err))}</div>`
    }
  }
  function show(key) {
    current = model.tabs.find((t) => t.key === key) || model.tabs[0]
    if (!current) { return }
    for (const b of root.querySelectorAll(".an-tabs button")) { b.classList.toggle("on", b.dataset.tab === current.key) }
    for (const s of root.querySelectorAll("[data-pane]")) { s.hidden = s.dataset.pane !== current.key }
    mountTab(current)
  }
  function changed() {
    for (const m of Object.values(mounted)) { m.stale = true }
    root.querySelector(".an-label").textContent = `统计期：${state.from} 至 ${state.to}（北京时间，含首尾）`
    model.send_msg({ type: "period", from: state.from, to: state.to, category: state.category })
    if (current) { mountTab(current) }
  }
  periodBar(root.querySelector(".an-period"), {
    state, compare: true, presets: model.presets || [],
    onChange(next) { if (next) { Object.assign(state, next); changed() } },
  })
  root.querySelector("[name=category]").addEventListener("change", (e) => { state.category = e.target.value; changed() })
  root.querySelector(".an-tabs").addEventListener("click", (e) => { const b = e.target.closest("button"); if (b) { show(b.dataset.tab) } })
  root.querySelector(".an-label").textContent = `统计期：${state.from} 至 ${state.to}（北京时间，含首尾）`
  show(model.tabs[0] && model.tabs[0].key)
}
