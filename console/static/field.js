// The field page (移动端): one unit's tasks and the acts of the road — sign for it, arrive,
// mediate, resolve or escalate — plus a position report and its past tasks. The buttons are
// exactly the actions the API serves with each task (dispatch.lifecycle.actions); every act is
// a POST, the server decides, and its Chinese reason is shown when it refuses.
import { escapeHtml as esc } from "fq/lib/escape.js"
import { fetchJson } from "fq/lib/http.js"
import { LIMITS } from "fq/lib/limits.js"
import { countdown } from "fq/lib/time.js"
import { mountRecords, refreshRecord } from "fq/field_record.js"

// The task's running clock (dispatch.clocks: which one, its deadline, its label) as a countdown
// mark; one without a deadline has none.
function clockMark(clock, due, labels) {
  const dueMs = due ? Date.parse(due) : NaN
  return Number.isNaN(dueMs) ? null : { label: (labels || {})[clock] || "时限", due_ms: dueMs }
}

export function render({ model, el }) {
  const L = model.labels
  const root = document.createElement("div")
  root.className = "fd-root"
  el.appendChild(root)
  let data = null
  let message = ""
  let busy = false

  const api = (path, body) => fetchJson(`${model.api_base}${path}`,
    body === undefined ? {} : { method: "POST", json: body })
  const open = {}  // task id -> the action whose form is open, and whether it awaits a confirm
  async function load() {
    if (!model.unit_id) { root.innerHTML = `<div class="fd-empty">请在地址后加 ?unit=单位编号 打开本人任务 · <form method="post" action="/logout" class="fd-logout-form"><button type="submit" class="fd-logout">退出</button></form></div>`; return }
    try { data = await api(`/units/${model.unit_id}/tasks`) } catch (err) { message = err.message }
    if (!busy) { draw() }
  }

  function form(t, a) {
    const f = open[t.id] || {}
    const outcomes = Object.entries(L.outcomes).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")
    const byOutcome = a.needs_by_outcome || {}
    const wants = (field) => (byOutcome[f.outcome] || []).includes(field)
    const fields = []
    if (a.needs.includes("outcome")) {
      fields.push(`<label class="fd-field">办结结果<select class="fd-outcome" name="outcome">
        <option value="">请选择办结结果</option>${outcomes}</select></label>`)
    }
    if (wants("agreement")) {
      fields.push(`<label class="fd-field">口头协议内容（无书面协议书时必填）<textarea name="oral_terms" rows="3" maxlength="${LIMITS.oral_terms}"
        placeholder="谁、做什么、何时前完成"></textarea></label>`)
    }
    if (wants("referred_to")) {
      fields.push(`<label class="fd-field">接收机关<input name="referred_to" maxlength="${LIMITS.referred_to}" placeholder="受理法院或仲裁机构"></label>`)
    }
    if (a.needs.includes("note")) {
      const what = a.to === "escalated" ? "上报理由" : "办结说明（处理经过与结果）"
      fields.push(`<label class="fd-field">${what}<textarea name="note" rows="3" maxlength="${LIMITS.note}"></textarea></label>`)
    }
    const confirm = f.confirm
      ? `<div class="fd-confirm">确认${esc(a.label)}？提交后不能撤回。
          <button type="button" class="fd-go" data-id="${t.id}" data-do="send">确认${esc(a.label)}</button>
          <button type="button" class="fd-up" data-id="${t.id}" data-do="back">返回修改</button></div>`
      : `<button type="button" class="fd-go" data-id="${t.id}" data-do="check">提交${esc(a.label)}</button>
         <button type="button" class="fd-up" data-id="${t.id}" data-do="cancel">取消</button>`
    return `<form class="fd-form" data-id="${t.id}" data-action="${esc(a.name)}" onsubmit="return false">
      ${fields.join("")}<div class="fd-acts">${confirm}</div></form>`
  }

  function card(t, now) {
    const f = open[t.id]
    const action = f && (t.actions || []).find((a) => a.name === f.name)
    const acts = action ? form(t, action) : `<div class="fd-acts">${(t.actions || []).map((a) =>
      `<button type="button" data-id="${t.id}" data-act="${esc(a.name)}" class="${a.to === "escalated" ? "fd-up" : "fd-go"}"
        ${a.disabled ? `disabled title="${esc(a.disabled)}"` : ""}>${esc(a.label)}</button>`).join("")}</div>`
    const mark = clockMark(t.clock, t.due, L.clocks)  // the running clock, as the server decides
    const cd = mark && countdown(mark, now.getTime())
    const parties = (t.parties || []).map((p) => `<li>${esc(p.name)}${p.phone
      ? ` · <a href="tel:${esc(p.phone)}">${esc(p.phone)}</a>` : ""}</li>`).join("")
    return `<article class="fd-card p${esc(t.priority)}" data-id="${t.id}" data-state="${esc(t.state)}">
      <header><span class="fd-code">${esc(t.code)}</span>
        <span class="fd-pri">${esc(L.priorities[t.priority] || "")}</span>
        <span class="fd-state">${esc(L.states[t.state] || t.state)}</span></header>
      <h3>${esc(t.title)}</h3>
      <div class="fd-cat">${esc(L.categories[t.category] || t.category)}${t.role === "pair" ? " · 警网联动" : ""}</div>
      <div class="fd-addr">${esc(t.address || "（无地址，见地图位置）")}</div>
      <div class="fd-clock ${cd && cd.phase === "overdue" ? "late" : ""}" data-due="${mark ? mark.due_ms : ""}"
        data-label="${esc(mark ? mark.label : "")}">${esc(cd ? cd.text : "")}</div>
      ${parties ? `<ul class="fd-parties">${parties}</ul>` : ""}
      <div class="fr-slot" data-id="${esc(t.id)}"></div>
      ${acts}
    </article>`
  }

  function past(hist) {
    if (!hist || !hist.length) { return "" }
    const rows = hist.map((x) => `<li><span class="fd-code">${esc(x.code)}</span> ${esc(x.title)}
      <span class="fd-past-state">${esc(L.states[x.state] || x.state)}${x.outcome ? ` · ${esc(L.outcomes[x.outcome] || x.outcome)}` : ""}</span></li>`).join("")
    return `<details class="fd-history"><summary>历史任务（${hist.length}）</summary><ul>${rows}</ul></details>`
  }

  function draw() {
    for (const box of root.querySelectorAll("form.fd-form")) {  // what was typed survives a refresh
      const f = open[box.dataset.id]
      if (f && !f.confirm) { f.values = values(box) }
    }
    const now = new Date()
    const u = data?.unit
    root.innerHTML = `
      <div class="fd-head">
        <div><div class="fd-name">${esc(u?.name || "")}</div>
          <div class="fd-sub">${esc(u?.code || "")} · ${esc(L.unit_types[u?.type] || "")} · ${esc(L.unit_statuses[u?.status] || "")}</div></div>
        <div class="fd-head-acts"><button type="button" class="fd-pos">上报位置</button>
          <form method="post" action="/logout" class="fd-logout-form"><button type="submit" class="fd-logout">退出</button></form></div>
      </div>
      <div class="fd-msg ${message ? "on" : ""}" role="status">${esc(message)}</div>
      ${(data?.tasks || []).map((t) => card(t, now)).join("") || `<div class="fd-empty">暂无在办任务</div>`}
      ${past(data?.history)}`
    for (const [id, f] of Object.entries(open)) {  // keep what was typed across redraws
      const box = root.querySelector(`form.fd-form[data-id="${id}"]`)
      if (!box) { continue }
      for (const [k, v] of Object.entries(f.values || {})) {
        const input = box.querySelector(`[name="${k}"]`)
        if (input) { input.value = v }
      }
      if (f.confirm) { for (const i of box.querySelectorAll("select, textarea, input")) { i.disabled = true } }
    }
    mountRecords(root, model.api_base)  // field_record.js: the 调解记录 of each task
  }

  async function act(t, a, extra) {
    if (busy) { return }
    busy = true
    message = "正在提交…"
    draw()
    try {
      await api(`/incidents/${t.id}/transitions`, { to: a.to, unit_id: Number(model.unit_id),
        expected_state: t.state, ...extra })
      message = `已${a.label}`
      delete open[t.id]
    } catch (err) { message = err.message; if (open[t.id]) { open[t.id].confirm = false } }
    busy = false
    await load()
  }

  function values(box) {
    const out = {}
    for (const i of box.querySelectorAll("select, textarea, input")) { out[i.name] = i.value }
    return out
  }

  // what the form still lacks, in Chinese (the server checks the same and has the last word)
  function lacking(a, v) {
    const miss = []
    const wants = (a.needs_by_outcome || {})[v.outcome] || []
    if (a.needs.includes("outcome") && !v.outcome) { miss.push("办结结果") }
    if (a.needs.includes("note") && !(v.note || "").trim()) { miss.push(a.to === "escalated" ? "上报理由" : "办结说明") }
    if (wants.includes("agreement") && !(v.oral_terms || "").trim()) { miss.push("口头协议内容") }
    if (wants.includes("referred_to") && !(v.referred_to || "").trim()) { miss.push("接收机关") }
    return miss
  }

  root.addEventListener("change", (e) => {
    const box = e.target.closest("form.fd-form")
    if (!box || e.target.name !== "outcome") { return }
    const f = open[box.dataset.id]
    f.values = values(box)
    f.outcome = e.target.value
    draw()
  })

  root.addEventListener("click", (e) => {
    const b = e.target.closest("button")
    if (!b) { return }
    if (b.classList.contains("fd-pos")) { report(); return }
    const t = (data?.tasks || []).find((x) => String(x.id) === b.dataset.id)
    if (!t) { return }
    if (b.dataset.act) {
      const a = (t.actions || []).find((x) => x.name === b.dataset.act)
      if (!a) { return }
      if (!a.needs.length) { act(t, a, {}); return }
      open[t.id] = { name: a.name, values: {}, confirm: false }
      message = ""
      draw()
      return
    }
    const f = open[t.id]
    const a = f && (t.actions || []).find((x) => x.name === f.name)
    if (!a) { return }
    const box = root.querySelector(`form.fd-form[data-id="${t.id}"]`)
    if (b.dataset.do === "cancel") { delete open[t.id]; message = ""; draw(); return }
    if (b.dataset.do === "back") { f.confirm = false; draw(); return }
    if (b.dataset.do === "check") {
      f.values = values(box)
      const miss = lacking(a, f.values)
      if (miss.length) { message = `请填写：${miss.join("、")}`; draw(); return }
      f.confirm = true
      message = ""
      draw()
      return
    }
    if (b.dataset.do === "send") {
      const v = f.values
      const wants = (a.needs_by_outcome || {})[v.outcome] || []
      act(t, a, { note: (v.note || "").trim() || null, outcome: v.outcome || null,
        oral_terms: wants.includes("agreement") ? (v.oral_terms || "").trim() || null : null,
        referred_to: wants.includes("referred_to") ? (v.referred_to || "").trim() || null : null })
    }
  })

  function report() {
    if (!navigator.geolocation) { message = "本设备无法定位"; draw(); return }
    navigator.geolocation.getCurrentPosition(async (p) => {
      try {
        // the fix's own time: a ping sent late after a dropped connection never overwrites a newer one
        await api(`/units/${model.unit_id}/position`, { lon: p.coords.longitude, lat: p.coords.latitude,
                                                        accuracy_m: p.coords.accuracy,
                                                        at: new Date(p.timestamp || Date.now()).toISOString() })
        message = "位置已上报"
      } catch (err) { message = err.message }
      load()
    }, (err) => {
      // browsers give positions to HTTPS pages only: say so rather than "no permission"
      message = !window.isSecureContext ? "定位失败：浏览器只向 HTTPS 页面提供位置，请用 https:// 地址打开本页"
        : `定位失败：${{ 1: "未获得定位权限，请在浏览器设置中允许", 2: "暂时无法获取位置", 3: "定位超时，请到开阔处重试" }[err.code] || "无法获取位置"}`
      draw()
    }, { enableHighAccuracy: true, timeout: 15000 })
  }

  // live: refetch when an event names this unit or one of its cases; a slow poll as a fallback
  let pending = null
  const soon = () => { clearTimeout(pending); pending = setTimeout(load, 300) }
  const source = new EventSource(`${model.api_base}/events`)
  source.onmessage = (m) => {
    let ev = {}
    try { ev = JSON.parse(m.data) } catch (err) { return }
    const mine = String(model.unit_id)
    const ids = [ev.unit_id, ...(ev.unit_ids || [])].map(String)
    const cases = new Set((data?.tasks || []).map((t) => String(t.id)))
    if (ids.includes(mine) || cases.has(String(ev.incident_id))) { soon() }
    if (ev.type === "case_record_changed") { refreshRecord(ev.incident_id) }
  }
  const poll = setInterval(load, 30000)
  const tick = setInterval(() => {
    const now = Date.now()
    for (const c of root.querySelectorAll(".fd-clock[data-due]")) {
      if (!c.dataset.due) { continue }
      const cd = countdown({ label: c.dataset.label, due_ms: Number(c.dataset.due) }, now)
      c.textContent = cd.text
      c.classList.toggle("late", cd.phase === "overdue")
    }
  }, 1000)
  model.on("remove", () => { source.close(); clearInterval(poll); clearInterval(tick) })
  load()
}
