// The admin page's 通知与 Webhook tab: the outbox by channel and state (待发送, 已送达, 失败 …), why a
// channel is off, the last error, a 重发 button per failed row (audited by the server), and the
// webhook subscriptions: create (the secret is shown once), disable/enable, delete, delivery log.
import { escapeHtml as esc } from "fq/lib/escape.js"
import { LIMITS } from "fq/lib/limits.js"
import { mountSms } from "fq/admin_sms.js"
import { mountSupervisors } from "fq/admin_supervisors.js"

export function mountOutbox(el, { call, post }) {
  el.innerHTML = `<div class="ad-card"><h2>通知发件箱</h2><div class="ad-ob-channels"></div>
      <div class="ad-ob-rows"></div></div>
    <div class="ad-card"><h2>Webhook 订阅</h2><div class="ad-ob-secret"></div><div class="ad-ob-subs"></div>
      <form class="ad-ob-form"><label>名称 <input name="name" required maxlength="${LIMITS.webhook_name}"></label>
        <label>接收地址 <input name="url" required maxlength="${LIMITS.webhook_url}" placeholder="https://…"></label>
        <label>来源平台 <input name="source" maxlength="${LIMITS.external_source}" placeholder="如 12345（回传该平台转来的案件）"></label>
        <label>街道编号 <input name="street_id" type="number" min="1"></label>
        <label><input type="checkbox" name="trusted"> 可信平台（推送含当事人姓名与电话）</label>
        <fieldset class="ad-ob-types"><legend>事件类型（不选为全部）</legend></fieldset>
        <button type="submit">新建订阅</button><span class="ad-ob-msg"></span></form>
      <form class="ad-ob-hosts"><label>允许的接收主机 <input name="hosts" size="60" placeholder="不填为不限；如 10.0.0.0/8, *.gov.example.cn"></label>
        <button type="submit">保存</button><span class="ad-ob-hosts-msg"></span></form>
      <div class="ad-ob-log"></div></div><div class="ad-ob-sms"></div><div class="ad-ob-sv"></div>`
  const $ = (s) => el.querySelector(s)
  const sms = mountSms($(".ad-ob-sms"), { call, post }) // admin_sms.js
  const supervisors = mountSupervisors($(".ad-ob-sv"), { call, post }) // admin_supervisors.js
  const when = (t) => (t ? new Date(t).toLocaleString("zh-CN", { hour12: false }) : "—")
  let states = {}

  async function loadOutbox() {
    let d
    try { d = await call("/admin/outbox?limit=50") } catch (err) {
      $(".ad-ob-rows").innerHTML = `<div class="ad-error">${esc(err.message)}</div>`; return
    }
    states = d.states
    $(".ad-ob-channels").innerHTML = `<table class="ad-table"><thead><tr><th>渠道</th><th>配置</th><th>待发送</th>
      <th>已送达</th><th>失败</th><th>未发送</th><th>最近错误</th></tr></thead><tbody>${Object.entries(d.channels).map(([c, ch]) => {
        const n = d.counts[c] || {}
        const last = d.last_error[c]
        return `<tr data-channel="${esc(c)}"><td>${esc(ch.label)}</td><td>${ch.configured ? "已配置" : `<span class="ad-error">${esc(ch.note)}</span>`}</td>
          <td>${n.pending || 0}</td><td>${n.delivered || 0}</td><td>${n.failed || 0}</td><td>${n.skipped || 0}</td>
          <td>${last ? `${esc(last.error)}<div class="ad-muted">${when(last.at)}</div>` : "—"}</td></tr>`
      }).join("")}</tbody></table>`
    $(".ad-ob-rows").innerHTML = rowsTable(d.items, true)
  }

  function rowsTable(items, retry) {
    if (!items.length) { return `<div class="ad-muted">暂无投递记录</div>` }
    return `<table class="ad-table ad-ob-table"><thead><tr><th>#</th><th>渠道</th><th>事件</th><th>收件方</th><th>状态</th>
      <th>尝试</th><th>最近错误</th><th>时间</th>${retry ? "<th></th>" : ""}</tr></thead><tbody>${items.map((r) => `<tr data-row="${r.id}">
      <td>${r.id}</td><td>${esc(r.channel)}</td><td>${esc(r.event_type)}${r.incident_id ? `<div class="ad-muted">案件 ${r.incident_id}</div>` : ""}</td>
      <td>${esc(r.recipient)}</td><td>${esc(states[r.state] || r.state)}</td><td>${r.attempts}</td>
      <td>${r.state === "delivered" && r.last_error ? "此前：" : ""}${esc(r.last_error || "")}${r.last_status ? ` <span class="ad-muted">(${r.last_status})</span>` : ""}</td>
      <td>${when(r.delivered_at || r.created_at)}</td>
      ${retry ? `<td>${["failed", "skipped"].includes(r.state) ? `<button type="button" data-retry="${r.id}">重发</button>` : ""}</td>` : ""}</tr>`).join("")}</tbody></table>`
  }

  async function loadSubs() {
    let d
    try { d = await call("/admin/webhooks") } catch (err) {
      $(".ad-ob-subs").innerHTML = `<div class="ad-error">${esc(err.message)}</div>`; return
    }
    const box = $(".ad-ob-types")
    if (!box.querySelector("input")) {
      box.insertAdjacentHTML("beforeend", Object.entries(d.event_types).map(([k, v]) =>
        `<label><input type="checkbox" name="type" value="${esc(k)}"> ${esc(v)}</label>`).join(""))
    }
    $(".ad-ob-subs").innerHTML = d.items.length ? `<table class="ad-table"><thead><tr><th>名称</th><th>地址</th><th>事件</th><th>区域</th>
      <th>来源</th><th>可信</th><th>送达/待发/失败</th><th></th></tr></thead><tbody>${d.items.map((s) => `<tr data-sub="${s.id}">
      <td>${esc(s.name)}${s.active ? "" : ' <span class="ad-muted">（已停用）</span>'}</td><td>${esc(s.url)}</td>
      <td>${s.event_types.length ? s.event_types.map((t) => esc(d.event_types[t] || t)).join("、") : "全部"}</td>
      <td>${s.street_id ? `街道 ${s.street_id}` : s.district_id ? `区县 ${s.district_id}` : "全辖区"}</td>
      <td>${esc(s.source || "—")}</td><td>${s.trusted ? "是" : "否"}</td><td>${s.delivered}/${s.pending}/${s.failed}</td>
      <td><button type="button" data-act="${s.active ? "disable" : "enable"}">${s.active ? "停用" : "启用"}</button>
        <button type="button" data-log="${s.id}">投递记录</button><button type="button" data-del="${s.id}">删除</button></td></tr>`).join("")}</tbody></table>`
      : `<div class="ad-muted">尚无订阅</div>`
  }

  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button")
    if (!b || b.type === "submit") { return }
    const sub = b.closest("[data-sub]")?.dataset.sub
    try {
      if (b.dataset.retry) { await post(`/admin/outbox/${b.dataset.retry}/retry`, {}); await loadOutbox() }
      if (b.dataset.act) { await post(`/admin/webhooks/${sub}/${b.dataset.act}`, {}); await loadSubs() }
      if (b.dataset.del && confirm("删除该订阅？待发送的投递将取消")) {
        await call(`/admin/webhooks/${sub}`, { method: "DELETE", json: {} }); await loadSubs()
      }
      if (b.dataset.log) {
        const d = await call(`/admin/webhooks/${b.dataset.log}/deliveries`)
        $(".ad-ob-log").innerHTML = `<h3>订阅 ${esc(b.dataset.log)} 的投递记录</h3>${rowsTable(d.items, false)}`
      }
    } catch (err) { alert(err.message) }
  })

  $(".ad-ob-form").addEventListener("submit", async (e) => {
    e.preventDefault()
    const f = e.target
    const body = { name: f.name.value, url: f.url.value, trusted: f.trusted.checked,
      event_types: [...f.querySelectorAll("input[name=type]:checked")].map((i) => i.value) }
    if (f.source.value.trim()) { body.source = f.source.value.trim() }
    if (f.street_id.value) { body.street_id = Number(f.street_id.value) }
    try {
      const made = await post("/admin/webhooks", body)
      $(".ad-ob-msg").textContent = ""
      $(".ad-ob-secret").innerHTML = `<div class="ad-ok">订阅已建立。签名密钥（只显示这一次，请立即保存）：<code>${esc(made.secret)}</code></div>`
      f.reset()
      await loadSubs()
    } catch (err) { $(".ad-ob-msg").innerHTML = `<span class="ad-error">${esc(err.message)}</span>` }
  })

  // the allow-list of receiver hosts is part of the policy (dispatch/webhook_hosts.py)
  async function loadHosts() {
    try { $(".ad-ob-hosts").hosts.value = (await call("/admin/policy")).policy.webhook_hosts.join(", ") } catch (err) {
      $(".ad-ob-hosts-msg").innerHTML = `<span class="ad-error">${esc(err.message)}</span>`
    }
  }
  $(".ad-ob-hosts").addEventListener("submit", async (e) => {
    e.preventDefault()
    const hosts = e.target.hosts.value.split(/[,，\s]+/).map((h) => h.trim()).filter(Boolean)
    try {
      await post("/admin/policy", { changes: { webhook_hosts: hosts }, reason: "修改 Webhook 允许的接收主机" })
      $(".ad-ob-hosts-msg").innerHTML = `<span class="ad-ok">已保存${hosts.length ? "" : "（不限主机）"}</span>`
    } catch (err) { $(".ad-ob-hosts-msg").innerHTML = `<span class="ad-error">${esc(err.message)}</span>` }
  })

  let timer = null
  return {
    show() {
      loadOutbox(); loadSubs(); loadHosts(); sms.show(); supervisors.show()
      if (!timer) { timer = setInterval(() => { if (!el.hidden) { loadOutbox() } }, 10000) }
    },
  }
}
