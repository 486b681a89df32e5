// Duty desk 值班台: DOM helpers shared by every desk component (each imports what it uses from
// "fq/desk_common.js"). Text is always set with textContent: user-supplied data never becomes
// markup. Requests go to the console's own API only (lib/http.js).
import { request } from "./lib/http.js"
import { LIMITS } from "./lib/limits.js"
import { fmtFull } from "./lib/time.js"

export { TZ, ago, clockOffset, countdown, fmtDT, fmtFull, fmtTime, phaseOf, span } from "./lib/time.js"

// api(path, {method, body, actor}) -> {ok, status, data, error}: the desk's requests, the actor
// (who acts) sent with every JSON body.
export function api(path, { method = "GET", body, actor } = {}) {
  return request(path, { method, json: body === undefined ? undefined : (actor ? { actor, ...body } : body) })
}

// Overdue clocks blink with the countdown's own one-second tick: a CSS animation would ask for
// a frame 60 times a second in every open desk (a tenth of a core each without a GPU).
export function blink(el, phase, now) {
  el.toggleAttribute("data-blink", phase === "overdue" && Math.floor(now / 1000) % 2 === 1)
}

// h("div", {class: "x", onclick: fn, dataset: {id: 1}}, "text", child, [more]) -> element
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) { continue }
    if (k === "class") { el.className = v }
    else if (k === "dataset") { Object.assign(el.dataset, v) }
    else if (k === "style") { el.setAttribute("style", v) }
    else if (k.startsWith("on")) { el.addEventListener(k.slice(2), v) }
    else if (k === "value") { el.value = v }
    else if (v === true) { el.setAttribute(k, "") }
    else { el.setAttribute(k, String(v)) }
  }
  append(el, children)
  return el
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) { continue }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

export function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild) } return el }

export function badge(text, cls) { return h("span", { class: `dk-badge ${cls || ""}` }, text) }

export const PRIORITY_CLASS = { 1: "p1", 2: "p2", 3: "p3", 4: "p4" }
export function priorityBadge(p, label) { return badge(label, `dk-pri ${PRIORITY_CLASS[p] || ""}`) }
export function riskBadge(level, label) {
  return level ? badge(`${label}风险`, `dk-risk r${level}`) : null
}

export function notice(kind, title, lines) {
  return h("div", { class: `dk-notice dk-${kind}`, role: kind === "error" ? "alert" : "status" },
    title ? h("div", { class: "dk-notice-title" }, title) : null,
    (lines || []).map((l) => h("div", { class: "dk-notice-line" }, l)))
}

export function etaText(s) {
  if (s === null || s === undefined) { return "无法估算" }
  if (s < 60) { return `${Math.round(s)} 秒` }
  return `${Math.round(s / 60)} 分钟`
}

// Recommendations for a case, each unit or 警格+网格 pair with one button that assigns it.
// opts: {api, actor, incidentId, reassign, vocab, onAssigned(result), limit}
export function recommendPanel(opts) {
  const root = h("div", { class: "dk-rec", dataset: { incident: opts.incidentId } })
  const status = h("div", { class: "dk-rec-status" })
  const body = h("div", { class: "dk-rec-body" })
  const reason = h("input", { class: "dk-input dk-rec-reason", type: "text", maxlength: LIMITS.reason,
    placeholder: opts.reassign ? "改派理由（必填）" : "指定理由（按策略应自动派单时必填）" })
  const head = h("div", { class: "dk-rec-head" },
    h("span", { class: "dk-section-title" }, opts.reassign ? "改派：推荐处置力量" : "推荐处置力量"),
    h("button", { class: "dk-btn dk-btn-ghost dk-btn-sm", type: "button", onclick: () => load() },
      "刷新"))
  append(root, [head, reason, status, body])
  let busy = false

  async function assign(unitIds, label) {
    if (busy) { return }
    busy = true
    clear(status).appendChild(notice("info", `正在派单：${label}…`))
    const r = await api(`${opts.api}/incidents/${opts.incidentId}/assign`, {
      method: "POST", actor: opts.actor(),
      body: { unit_ids: unitIds, reason: reason.value.trim() || null, reassign: !!opts.reassign } })
    busy = false
    clear(status)
    if (r.ok) {
      status.appendChild(notice("ok", `已派单：${label}`,
        [`签收时限 ${fmtFull(Date.parse(r.data.sign_deadline))}`]))
      root.dataset.assigned = unitIds.join(",")
      body.hidden = true  // done: the case page offers 改派 from here on
      reason.hidden = true
      if (opts.onAssigned) { opts.onAssigned(r.data) }
      return
    }
    const e = r.error || {}
    const title = r.status === 409 ? "派单未成功：该力量已被他人派出" : "派单未成功"
    status.appendChild(notice("error", title, [e.message || ""]))
    if (e.field === "reason") { reason.classList.add("dk-need"); reason.focus() }
    if (r.status === 409) { load(true) }
  }

  function unitCard(u, i) {
    const stale = u.stale ? badge("位置陈旧", "dk-warnchip") : null
    return h("div", { class: "dk-rec-item", dataset: { unit: u.id } },
      h("div", { class: "dk-rec-rank" }, String(i + 1)),
      h("div", { class: "dk-rec-main" },
        h("div", { class: "dk-rec-name" },
          h("b", {}, u.name), " ", h("span", { class: "dk-muted" },
            `${opts.vocab.unit_types[u.type] || u.type} · ${u.code}`), stale),
        h("div", { class: "dk-rec-meta" },
          h("span", { class: "dk-eta" }, `预计 ${etaText(u.eta_s)}`),
          u.distance_m != null ? h("span", {}, `${(u.distance_m / 1000).toFixed(1)} 公里`) : null,
          h("span", {}, `在办 ${u.active_assignments}/${u.capacity}`),
          h("span", {}, `评分 ${u.score}`)),
        h("div", { class: "dk-chips" }, (u.reasons || []).map((t) => h("span", { class: "dk-chip" }, t)))),
      h("button", { class: "dk-btn dk-btn-primary dk-assign", type: "button",
        onclick: () => assign([u.id], `${opts.vocab.unit_types[u.type] || ""}${u.name}`) },
        opts.reassign ? "改派" : "派单"))
  }

  function pairCard(p, i) {
    const names = p.members.map((m) => `${opts.vocab.unit_types[m.type] || ""}${m.name}`)
    return h("div", { class: "dk-rec-item dk-rec-pair", dataset: { units: p.unit_ids.join(",") } },
      h("div", { class: "dk-rec-rank dk-pair-mark" }, "联"),
      h("div", { class: "dk-rec-main" },
        h("div", { class: "dk-rec-name" }, h("b", {}, names.join(" + "))),
        h("div", { class: "dk-rec-meta" },
          h("span", { class: "dk-eta" }, `全员到场 ${etaText(p.eta_s)}`),
          h("span", {}, `评分 ${p.score}`)),
        h("div", { class: "dk-chips" }, (p.reasons || []).map((t) => h("span", { class: "dk-chip" }, t)))),
      h("button", { class: "dk-btn dk-btn-primary dk-assign", type: "button",
        onclick: () => assign(p.unit_ids, names.join("、")) }, opts.reassign ? "改派" : "派出组合"))
  }

  async function load(keepStatus) {
    if (!keepStatus) { clear(status) }
    clear(body).appendChild(h("div", { class: "dk-muted dk-pad" }, "正在计算推荐…"))
    const r = await api(`${opts.api}/incidents/${opts.incidentId}/recommendations?limit=${opts.limit || 6}`)
    clear(body)
    if (!r.ok) { body.appendChild(notice("error", "无法推荐", [r.error.message])); return }
    const d = r.data
    root.dataset.loaded = "1"
    body.appendChild(h("div", { class: "dk-rec-level" }, `处置层级：${d.level_label}`,
      d.paired ? badge("须警格+网格联动", "dk-warnchip") : null))
    for (const n of d.notes || []) { body.appendChild(notice("warn", null, [n])) }
    if (d.pairs && d.pairs.length) {
      body.appendChild(h("div", { class: "dk-sub-title" }, "警格+网格 组合"))
      d.pairs.forEach((p, i) => body.appendChild(pairCard(p, i)))
    }
    body.appendChild(h("div", { class: "dk-sub-title" }, "单兵力量"))
    if (!d.items.length) { body.appendChild(notice("warn", "暂无可派力量", [])) }
    d.items.forEach((u, i) => body.appendChild(unitCard(u, i)))
    const ex = Object.entries(d.excluded || {})
    if (ex.length) {
      body.appendChild(h("div", { class: "dk-muted dk-small" },
        "未列入：" + ex.map(([k, v]) => `${k} ${v} 人`).join("；")))
    }
  }
  load()
  return root
}

// Keyed list update: rows whose data did not change keep their element (focus, hover and clicks
// in flight survive a refresh); changed rows are rebuilt; order follows `items`. Returns the new
// cache (key -> {sig, el, extra}) to pass in next time.
export function reconcile(container, items, keyOf, build, cache) {
  const next = new Map()
  let i = 0
  for (const item of items) {
    const key = keyOf(item)
    const sig = JSON.stringify(item)
    let entry = cache.get(key)
    if (!entry || entry.sig !== sig) {
      const extra = []
      entry = { sig, el: build(item, extra), extra }
    }
    next.set(key, entry)
    const at = container.children[i] || null
    if (at !== entry.el) { container.insertBefore(entry.el, at) }
    i += 1
  }
  while (container.children.length > i) { container.removeChild(container.lastChild) }
  return next
}

// A list the server keeps in step by diffs (console/desk_rows.py): the whole list as `rows` on
// first render and on a resync, then {type: "rows", base, version, upsert, remove, order} and, for
// moved units, {type: "patch", base, version, rows}. A diff on another version than ours asks once
// for the whole list instead (a message sent before this page connected is lost, not replayed).
// onChange(kind, changed): kind "full" | "rows" | "patch"; changed: [old row or undefined, new].
export function liveRows(model, onChange) {
  const live = { rows: model.rows || [], version: model.rows_version }
  let asked = false
  model.on("change:rows", () => {
    live.rows = model.rows || []
    live.version = model.rows_version
    asked = false
    onChange("full", [])
  })
  model.on("change:rows_version", () => { live.version = model.rows_version })
  model.on("msg:custom", (raw) => {
    const msg = typeof raw === "string" ? JSON.parse(raw) : raw  // JSON text: console/wire.py
    if (!msg || (msg.type !== "rows" && msg.type !== "patch")) { return }
    if (msg.base !== live.version) {
      if (!asked) { asked = true; model.send_msg({ type: "resync" }) }
      return
    }
    const byId = new Map(live.rows.map((r) => [r.id, r]))
    const changed = []
    for (const r of msg.upsert || msg.rows || []) { changed.push([byId.get(r.id), r]); byId.set(r.id, r) }
    for (const id of msg.remove || []) { byId.delete(id) }
    live.rows = msg.order ? msg.order.map((id) => byId.get(id)).filter(Boolean)
      : live.rows.filter((r) => byId.has(r.id)).map((r) => byId.get(r.id))
    live.version = msg.version
    onChange(msg.type, changed, Boolean(msg.order || (msg.remove && msg.remove.length)))
  })
  model.send_msg({ type: "ready", version: live.version })
  return live
}

export const PLACE_LEVELS = { building: "楼栋", door: "门牌", compound: "小区", road: "道路",
                       community: "社区", street: "街道", place: "地点" }

// An address box with live candidates from /geocode; onPick(candidate) on a click or Enter.
export function addressPicker(apiBase, onPick, initial) {
  const input = h("input", { class: "dk-input dk-address", type: "search", autocomplete: "off",
    maxlength: LIMITS.address, placeholder: "输入地址：如 天山路128号、友谊佳苑3号楼", "aria-label": "地址" })
  const list = h("ul", { class: "dk-cands", role: "listbox" })
  let items = []
  let seq = 0
  let timer = null
  function show(cands) {
    items = cands
    clear(list)
    cands.forEach((c, i) => list.appendChild(h("li", { class: "dk-cand", role: "option", tabindex: 0,
      onclick: () => pick(i), onkeydown: (e) => { if (e.key === "Enter") { e.preventDefault(); pick(i) } } },
      h("span", { class: "dk-cand-addr" }, c.address),
      h("span", { class: "dk-cand-meta" }, `${PLACE_LEVELS[c.level] || c.level} · 置信度 ${Math.round(c.confidence * 100)}%`))))
  }
  function pick(i) {
    const c = items[i]
    if (!c) { return }
    input.value = c.address
    clear(list)
    items = []
    onPick(c)
  }
  async function search(q) {
    const mine = ++seq
    if (!q.trim()) { clear(list); return }
    const r = await api(`${apiBase}/geocode?q=${encodeURIComponent(q)}&limit=6`)
    if (mine !== seq) { return }
    if (!r.ok) { clear(list).appendChild(h("li", { class: "dk-cand-empty" }, `查询失败：${r.error.message}`)); return }
    show(r.data.candidates || [])
    if (!items.length) {
      const admin = r.data.matched_admin ? `（仅识别到${r.data.matched_admin.name}）` : ""
      list.appendChild(h("li", { class: "dk-cand-empty" }, `未找到匹配地址${admin}`))
    }
  }
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search(input.value), 180) })
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); pick(0) } })
  if (initial && initial.length) { show(initial) }
  return h("div", { class: "dk-picker" }, input, list)
}
