// DeskQueue: cases by urgency (rows sorted by the server, console/desk_state.py) with sign-for and
// closure countdowns ticked here every second from their marks: amber from the warning mark, red
// and pulsing when overdue. A click opens the case (Python loads it).
import { badge, blink, clear, clockOffset, countdown, h, liveRows, phaseOf, priorityBadge, reconcile, riskBadge } from "fq/desk_common.js"

const FILTERS = [
  ["open", "全部在办", (r) => r.group === "open"],
  // which case waits for what is the domain's (dispatch.lifecycle.WAITING_FOR), sent on each row
  ["dispatch", "待派单", (r) => r.waiting === "dispatch"],
  ["sign", "待签收", (r) => r.waiting === "sign"],
  ["handling", "处置中", (r) => r.waiting === "handling"],
  ["alarm", "预警/超时", (r, now) => r.group === "open" && r.clocks.some((m) => phaseOf(m, now) !== "ok")],
  ["followup", "待回访", (r) => r.group === "followup"],
]
const MAX_ROWS = 300

export function render({ model, el }) {
  const root = h("div", { class: "dk-panel dk-queue" })
  const counts = h("div", { class: "dk-q-counts" })
  const tabs = h("div", { class: "dk-tabs dk-q-tabs", role: "tablist" })
  const search = h("input", { class: "dk-input dk-q-search", type: "search",
    placeholder: "搜索 编号 / 标题 / 地点 / 处置人", "aria-label": "搜索案件" })
  const list = h("div", { class: "dk-q-list", role: "list" })
  root.append(h("div", { class: "dk-panel-head" }, h("span", {}, "案件队列"), counts),
    tabs, h("div", { class: "dk-q-tools" }, search), list)
  el.appendChild(root)

  let filter = "open"
  let offset = clockOffset(model.server_ms)
  const now = () => Date.now() + offset
  let clocks = []  // [element, mark] of the rows shown
  let cache = new Map()
  const tabEls = {}
  for (const [key, label] of FILTERS) {
    tabEls[key] = h("button", { type: "button", class: "dk-tab", role: "tab", dataset: { filter: key },
      onclick: () => { filter = key; draw() } }, label, h("span", { class: "dk-tab-n" }, ""))
    tabs.appendChild(tabEls[key])
  }
  search.addEventListener("input", () => draw())

  function matches(r, q) {
    if (!q) { return true }
    return [r.code, r.title, r.place, r.street, r.category_label, ...(r.units || [])]
      .some((t) => t && String(t).includes(q))
  }

  function row(r, marks) {
    const clockEls = r.clocks.map((m) => {
      const c = h("span", { class: "dk-clock", dataset: { kind: m.kind } })
      marks.push([c, m])
      return c
    })
    const sup = r.supervision ? badge(r.supervision === "red" ? "红牌督办" : "黄牌督办", `dk-sup ${r.supervision}`) : null
    const esc = r.escalations ? badge(`已上报·${r.level_label}`, "dk-esc") : null
    const el = h("div", { class: "dk-q-row", role: "listitem", tabindex: 0,
      dataset: { id: r.id, code: r.code, state: r.state, priority: r.priority },
      onclick: () => model.send_msg({ type: "open", id: r.id }),
      onkeydown: (e) => { if (e.key === "Enter") { model.send_msg({ type: "open", id: r.id }) } } },
      h("div", { class: `dk-q-bar p${r.priority}` }),
      h("div", { class: "dk-q-main" },
        h("div", { class: "dk-q-line1" },
          h("span", { class: "dk-q-code" }, r.code), priorityBadge(r.priority, r.priority_label),
          riskBadge(r.risk_level, r.risk_label), sup, esc,
          h("span", { class: `dk-q-state s-${r.state}` }, r.state_label)),
        h("div", { class: "dk-q-title" }, h("b", {}, r.category_label), " ", r.title),
        h("div", { class: "dk-q-place" }, r.place || "未定位",
          r.units && r.units.length ? h("span", { class: "dk-q-units" }, ` · ${r.units.join("、")}`) : null)),
      h("div", { class: "dk-q-clocks" }, clockEls))
    return el
  }

  function draw() {
    const t = now()
    const q = search.value.trim()
    const rows = live.rows
    for (const [key, , test] of FILTERS) {
      tabEls[key].classList.toggle("on", key === filter)
      tabEls[key].querySelector(".dk-tab-n").textContent = String(rows.filter((r) => test(r, t)).length)
    }
    const test = FILTERS.find((f) => f[0] === filter)[2]
    const shown = rows.filter((r) => test(r, t) && matches(r, q))
    cache = reconcile(list, shown.slice(0, MAX_ROWS), (r) => r.id, row, cache)
    clocks = [...cache.values()].flatMap((e) => e.extra)
    for (const el of list.querySelectorAll(".dk-q-row")) {
      el.classList.toggle("selected", Number(el.dataset.id) === model.selected)
    }
    if (!shown.length) { list.appendChild(h("div", { class: "dk-empty" }, "暂无案件")) }
    if (shown.length > MAX_ROWS) { list.appendChild(h("div", { class: "dk-empty" }, `另有 ${shown.length - MAX_ROWS} 件，请用搜索缩小范围`)) }
    root.dataset.count = String(shown.length)
    tick()
  }

  function tick() {
    const t = now()
    for (const [c, m] of clocks) {
      const cd = countdown(m, t)
      if (c.textContent !== cd.text) { c.textContent = cd.text }
      blink(c, cd.phase, t)
      if (c.dataset.phase !== cd.phase) {
        c.dataset.phase = cd.phase
        const r = c.closest(".dk-q-row")
        if (r) { r.dataset.phase = worst(r) }
      }
    }
    let open = 0, warn = 0, over = 0
    for (const r of live.rows) {
      if (r.group !== "open") { continue }
      open += 1
      const ph = r.clocks.map((m) => phaseOf(m, t))
      if (ph.includes("overdue")) { over += 1 } else if (ph.includes("warn")) { warn += 1 }
    }
    clear(counts).append(h("span", { class: "dk-count" }, "在办 ", h("b", {}, String(open))),
      h("span", { class: "dk-count warn" }, "预警 ", h("b", {}, String(warn))),
      h("span", { class: "dk-count overdue" }, "超时 ", h("b", {}, String(over))))
  }

  function worst(rowEl) {
    const ph = [...rowEl.querySelectorAll(".dk-clock")].map((c) => c.dataset.phase)
    return ph.includes("overdue") ? "overdue" : ph.includes("warn") ? "warn" : "ok"
  }

  // a burst of diffs redraws once (a draw reconciles up to MAX_ROWS rows)
  let later = null
  const live = liveRows(model, (kind) => {
    if (kind === "full") { draw(); return }
    if (!later) { later = setTimeout(() => { later = null; draw() }, 100) }
  })
  model.on("change:server_ms", () => { offset = clockOffset(model.server_ms) })
  model.on("change:selected", () => {
    for (const r of list.querySelectorAll(".dk-q-row")) {
      r.classList.toggle("selected", Number(r.dataset.id) === model.selected)
    }
  })
  const iv = setInterval(tick, 1000)
  model.on("remove", () => { clearInterval(iv); clearTimeout(later) })
  draw()
}
