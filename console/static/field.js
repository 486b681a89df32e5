// The field page (移动端): one unit's tasks and the acts of the road — sign for it, arrive,
// mediate, resolve or escalate — plus a position report. Every act is a POST to the API;
// the server decides and its Chinese reason is shown when it refuses.
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => (
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]))

const NEXT = {  // the act the unit takes next, by case state
  assigned: [{ to: "acknowledged", label: "签收" }],
  acknowledged: [{ to: "on_scene", label: "到场" }],
  on_scene: [{ to: "mediating", label: "开始调解" }],
  mediating: [{ to: "resolved", label: "办结", outcome: true }],
}

function countdown(deadline, now) {
  if (!deadline) { return "" }
  const s = Math.round((new Date(deadline) - now) / 1000)
  const a = Math.abs(s)
  const text = a >= 86400 ? `${Math.floor(a / 86400)}天${Math.floor(a % 86400 / 3600)}小时`
    : a >= 3600 ? `${Math.floor(a / 3600)}小时${Math.floor(a % 3600 / 60)}分` : `${Math.floor(a / 60)}分${a % 60}秒`
  return s < 0 ? `已超时 ${text}` : `剩余 ${text}`
}

export function render({ model, el }) {
  const L = model.labels
  const root = document.createElement("div")
  root.className = "fd-root"
  el.appendChild(root)
  let data = null
  let message = ""
  let busy = false

  const api = (path, body) => fetch(`${model.api_base}${path}`, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json", "X-Actor": data?.unit?.code || "field" },
    body: JSON.stringify(body),
  }).then(async (r) => {
    const j = await r.json().catch(() => ({}))
    if (!r.ok) { throw new Error(j?.error?.message || `请求失败（${r.status}）`) }
    return j
  })

  async function load() {
    if (!model.unit_id) { root.innerHTML = `<div class="fd-empty">请在地址后加 ?unit=单位编号 打开本人任务</div>`; return }
    try { data = await api(`/units/${model.unit_id}/tasks`) } catch (err) { message = err.message }
    draw()
  }

  function card(t, now) {
    const acts = (NEXT[t.state] || []).map((a) => a.outcome
      ? `<select class="fd-outcome" data-id="${t.id}">${Object.entries(L.outcomes)
          .map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")}</select>
         <button data-id="${t.id}" data-to="${a.to}" class="fd-go">${a.label}</button>`
      : `<button data-id="${t.id}" data-to="${a.to}" class="fd-go">${a.label}</button>`).join("")
    const due = ["assigned"].includes(t.state) ? t.sign_deadline : t.close_deadline
    const late = due && new Date(due) < now
    const parties = (t.parties || []).map((p) => `<li>${esc(p.name)}${p.phone
      ? ` · <a href="tel:${esc(p.phone)}">${esc(p.phone)}</a>` : ""}</li>`).join("")
    return `<article class="fd-card p${esc(t.priority)}">
      <header><span class="fd-code">${esc(t.code)}</span>
        <span class="fd-pri">${esc(L.priorities[t.priority] || "")}</span>
        <span class="fd-state">${esc(L.states[t.state] || t.state)}</span></header>
      <h3>${esc(t.title)}</h3>
      <div class="fd-cat">${esc(L.categories[t.category] || t.category)}${t.role === "pair" ? " · 警网联动" : ""}</div>
      <div class="fd-addr">${esc(t.address || "（无地址，见地图位置）")}</div>
      <div class="fd-clock ${late ? "late" : ""}" data-due="${esc(due || "")}">${esc(countdown(due, now))}</div>
      ${parties ? `<ul class="fd-parties">${parties}</ul>` : ""}
      <div class="fr-slot" data-id="${esc(t.id)}"></div>
      <div class="fd-acts">${acts}
        <button data-id="${t.id}" data-to="escalated" class="fd-up">上报上级</button></div>
    </article>`
  }

  function draw() {
    const now = new Date()
    const u = data?.unit
    root.innerHTML = `
      <div class="fd-head">
        <div><div class="fd-name">${esc(u?.name || "")}</div>
          <div class="fd-sub">${esc(u?.code || "")} · ${esc(L.unit_types[u?.type] || "")} · ${esc(L.unit_statuses[u?.status] || "")}</div></div>
        <button class="fd-pos">上报位置</button>
      </div>
      <div class="fd-msg ${message ? "on" : ""}">${esc(message)}</div>
      ${(data?.tasks || []).map((t) => card(t, now)).join("") || `<div class="fd-empty">暂无在办任务</div>`}`
    mountRecords(root, model.api_base)  // field_record.js: the 调解记录 of each task
  }

  async function act(id, to, extra) {
    if (busy) { return }
    busy = true
    message = ""
    try {
      await api(`/incidents/${id}/transitions`, { to, unit_id: Number(model.unit_id), actor: data?.unit?.code, ...extra })
      message = "已提交"
    } catch (err) { message = err.message }
    busy = false
    await load()
  }

  root.addEventListener("click", (e) => {
    const b = e.target.closest("button")
    if (!b) { return }
    if (b.classList.contains("fd-pos")) { report(); return }
    const id = b.dataset.id
    if (b.dataset.to === "resolved") {
      const sel = root.querySelector(`select.fd-outcome[data-id="${id}"]`)
      act(id, "resolved", { outcome: sel ? sel.value : "mediated" })
    } else if (b.dataset.to === "escalated") {
      const note = window.prompt("请说明上报理由")
      if (note) { act(id, "escalated", { note }) }
    } else { act(id, b.dataset.to, {}) }
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
    }, (err) => { message = `定位失败：${err.message}`; draw() }, { enableHighAccuracy: true, timeout: 15000 })
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
    const now = new Date()
    for (const c of root.querySelectorAll(".fd-clock[data-due]")) {
      if (!c.dataset.due) { continue }
      c.textContent = countdown(c.dataset.due, now)
      c.classList.toggle("late", new Date(c.dataset.due) < now)
    }
  }, 1000)
  model.on("remove", () => { source.close(); clearInterval(poll); clearInterval(tick) })
  load()
}
