// The wall's top part: header, breadcrumb (a click goes up), clock in Beijing time set by the
// database's clock, the connection's status, and the eight figures each with its definition.
// A wall left alone for days may lose its server (restart, network): once the server answers
// again, the page reloads, at most once every two minutes. The rules are pure (tests/js).
import { make, setData, setText } from "./dom.js"
import { CARDS, cardFace } from "./figures.js"
import { CLOCK, DATE, LEVEL_NAMES, shortName } from "./format.js"
import { periodPicker, periodTag, periodWindow } from "./period.js"

const HEAD = `
    <header class="wb-head">
      <div class="wb-brand">
        <div class="wb-mark" aria-hidden="true">枫</div>
        <div><div class="wb-title">枫桥式矛盾纠纷调处指挥大屏</div>
          <div class="wb-sub">小事不出村 · 大事不出镇 · 矛盾不上交</div></div>
      </div>
      <div class="wb-mid"><nav class="wb-crumbs" aria-label="当前范围"></nav><div class="wb-period"></div></div>
      <div class="wb-clock"><div class="wb-time">--:--:--</div><div class="wb-date"></div></div>
      <div class="wb-status"><span class="wb-dot"></span><span class="wb-status-text">正在连接…</span></div>
    </header>
    <section class="wb-kpis"></section>`

// crumbItems(scope) -> [{name, depth}]: the root, then each area of the chain under its parent.
export function crumbItems(scope) {
  const chain = (scope && scope.chain) || []
  return [{ name: (scope && scope.root) || "全辖区", depth: 0 },
          ...chain.map((c, i) => ({ name: shortName(c.name, i ? chain[i - 1].name : ""), depth: i + 1 }))]
}

// wallStatus({error, quiet, interval, dataAt}) -> {state: ok | warn | bad, text}; `quiet` is the
// seconds since the last snapshot, `dataAt` the database time it was computed at.
export function wallStatus({ error, quiet, interval, dataAt }) {
  if (error) { return { state: "bad", text: error } }
  if (quiet > 60) { return { state: "bad", text: "连接中断，正在恢复…" } }
  if (quiet > interval * 3 + 5) { return { state: "warn", text: "数据更新延迟" } }
  return { state: "ok",
           text: `实时 · 每${interval}秒刷新 · 数据 ${dataAt ? CLOCK.format(new Date(dataAt)) : "—"}` }
}

// nextOffset(offset, candidate, seen) -> the database clock minus the browser's, ms. A snapshot's
// now() is never later than the true time (it may come from a cache a few seconds old), so the
// largest offset seen is the best; a clock set back a minute resets it.
export function nextOffset(offset, candidate, seen) {
  return !seen || candidate > offset || candidate < offset - 60_000 ? candidate : offset
}

function buildCards(kpis) {
  return CARDS.map((spec) => {
    const card = make("div", "wb-card")
    card.dataset.key = spec.key
    card.innerHTML = `<div class="wb-card-label"></div><div class="wb-card-value">` +
      `<span class="wb-v">—</span><span class="wb-u"></span></div>` +
      `<div class="wb-card-sub"><div></div><div></div></div><div class="wb-card-def"></div>`
    card.querySelector(".wb-card-label").textContent = spec.label
    const tag = spec.period ? make("span", "wb-tag", "近30日") : null
    if (tag) { card.querySelector(".wb-card-label").appendChild(tag) }
    kpis.appendChild(card)
    return { spec, card, tag, v: card.querySelector(".wb-v"), u: card.querySelector(".wb-u"),
             sub: card.querySelector(".wb-card-sub"), def: card.querySelector(".wb-card-def") }
  })
}

// Each figure says what it counts, right under it (dispatch/stats.py FIGURES).
function showDefinitions(cards, definitions) {
  const byKey = Object.fromEntries((definitions || []).map((d) => [d.key, d]))
  for (const { spec, def } of cards) {
    const d = byKey[spec.key]
    setText(def, d ? d.short : "")
    def.title = d ? d.definition : ""
  }
}

function fillCard({ spec, card, v, u, sub }, o, w, w7) {
  const face = cardFace(spec, o, w, w7)
  setText(v, face.text)
  v.classList.toggle("wb-v-none", face.none)
  setText(u, face.unit)
  face.subs.forEach((line, i) => { setText(sub.children[i], line) })
  setData(card, "tone", face.tone)
  setData(card, "value", face.value)
}

// crumbTrail(crumbs, model) -> show(scope): redrawn only when the chain changed.
function crumbTrail(crumbs, model) {
  let shownKey = ""
  return function showCrumbs(scope) {
    const chain = (scope && scope.chain) || []
    const key = JSON.stringify(chain.map((c) => [c.level, c.id, c.name]))
    if (key === shownKey) { return }
    shownKey = key
    const items = crumbItems(scope)
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
}

// recoverer(model) -> recover(): reloads the page once the server's health answers.
function recoverer(model) {
  let checking = false
  return async function recover() {
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
}

// buildTop(box, model) -> update(data).
export function buildTop(box, model) {
  box.innerHTML = HEAD
  const cards = buildCards(box.querySelector(".wb-kpis"))
  showDefinitions(cards, model.definitions)
  model.on("change:definitions", () => showDefinitions(cards, model.definitions))
  const showCrumbs = crumbTrail(box.querySelector(".wb-crumbs"), model)
  const recover = recoverer(model)
  const timeEl = box.querySelector(".wb-time")
  const dateEl = box.querySelector(".wb-date")
  const statusEl = box.querySelector(".wb-status")
  const statusText = box.querySelector(".wb-status-text")
  let offset = 0        // database clock minus browser clock, ms
  let lastUpdate = 0    // browser time of the last snapshot
  let dataAt = 0        // database time the last snapshot was computed at
  let error = null
  const picker = periodPicker(box.querySelector(".wb-period"), model)

  function tick() {
    const now = new Date(Date.now() + offset)
    setText(timeEl, CLOCK.format(now))
    setText(dateEl, DATE.format(now))
    const quiet = (Date.now() - lastUpdate) / 1000
    const { state, text } = wallStatus({ error, quiet, interval: model.interval_s || 5, dataAt })
    setData(statusEl, "state", state)
    setText(statusText, text)
    if (quiet > 90) { recover() }
  }

  function update(data) {
    error = data.error || null
    const o = data.overview
    if (!o) { tick(); return }
    offset = nextOffset(offset, Date.parse(o.now) - Date.now(), lastUpdate)
    dataAt = Date.parse(o.now)
    lastUpdate = Date.now()
    showCrumbs(data.scope)
    // a chosen period (console/pages/wall_period.py): its figures, once read, in the period cards
    const p = data.period && data.period.from ? data.period : null
    picker.show(data.period || null, data.presets)
    const chosen = p ? (p.figures ? periodWindow(p.figures) : { period: true }) : null
    const chosenTag = p ? periodTag(p, Number(String(data.today || "").slice(0, 4))) : ""
    box.dataset.period = p ? chosenTag : ""
    const w = (o.windows || {})["30"] || {}
    const w7 = (o.windows || {})["7"] || {}
    for (const card of cards) {
      if (card.tag) { setText(card.tag, chosen ? chosenTag : "近30日") }
      fillCard(card, o, card.spec.period && chosen ? chosen : w, w7)
    }
    box.dataset.updated = String(lastUpdate)
    tick()
  }
  const timer = setInterval(tick, 1000)
  model.on("remove", () => clearInterval(timer))
  return update
}
