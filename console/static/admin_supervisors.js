// The escalation list on /admin (通知与 Webhook tab, 督办人名单): who is told by SMS and e-mail when a
// case is escalated. A row picks a staff account (its display name stands for an empty name) or
// names a person, with a phone and/or an e-mail and optionally a street. The server validates
// (dispatch/supervisors.py), audits the edit and names the faulty field when it refuses.
import { escapeHtml as esc } from "fq/lib/escape.js"
import { LIMITS } from "fq/lib/limits.js"

export function mountSupervisors(el, { call, post }) {
  let data = null

  const row = (p = {}) => `<tr class="ad-sv-row">
    <td><select name="username" aria-label="账号"><option value="">（不选账号）</option>${data.accounts.map((a) => (
      `<option value="${esc(a.username)}"${a.username === p.username ? " selected" : ""}>${esc(a.display_name || a.username)}（${esc(a.username)}）</option>`)).join("")}</select></td>
    <td><input name="name" maxlength="${LIMITS.name}" value="${esc(p.name || "")}" aria-label="姓名" placeholder="选了账号可不填"></td>
    <td><input name="phone" maxlength="${LIMITS.phone}" value="${esc(p.phone || "")}" aria-label="手机号"></td>
    <td><input name="email" type="email" maxlength="${LIMITS.email}" value="${esc(p.email || "")}" aria-label="电子邮箱"></td>
    <td><select name="street_id" aria-label="街道"><option value="">全辖区</option>${data.streets.map((s) => (
      `<option value="${s.id}"${s.id === p.street_id ? " selected" : ""}>${esc(s.name)}</option>`)).join("")}</select></td>
    <td><button type="button" data-sv-del>移除</button></td></tr>`

  function draw(message, bad) {
    el.innerHTML = `<form class="ad-card ad-sv" novalidate><h2>督办人名单</h2>
      <p class="ad-muted">案件上报（升级层级）时按名单发送短信与邮件；选了街道的只接收该街道的上报。</p>
      <div class="ad-msg ${message ? (bad ? "bad" : "ok") : ""}" role="status">${esc(message)}</div>
      <table class="ad-table"><thead><tr><th>账号</th><th>姓名</th><th>手机号</th><th>电子邮箱</th><th>街道</th><th></th></tr></thead>
      <tbody>${data.people.map(row).join("")}</tbody></table>
      <div class="ad-row"><button type="button" data-sv-add>添加督办人</button>
        <label>修改原因 <input name="reason" maxlength="${LIMITS.reason}"></label><button type="submit">保存名单</button></div></form>`
    const form = el.querySelector("form")
    form.addEventListener("submit", save)
    form.addEventListener("click", (e) => {
      if (e.target.closest("[data-sv-add]")) { form.querySelector("tbody").insertAdjacentHTML("beforeend", row()) }
      if (e.target.closest("[data-sv-del]")) { e.target.closest("tr").remove() }
    })
  }

  function read(form) {
    return [...form.querySelectorAll(".ad-sv-row")].map((tr) => {
      const v = (n) => tr.querySelector(`[name="${n}"]`).value.trim()
      const p = {}
      for (const n of ["username", "name", "phone", "email"]) { if (v(n)) { p[n] = v(n) } }
      if (v("street_id")) { p.street_id = Number(v("street_id")) }
      return p
    })
  }

  async function save(e) {
    e.preventDefault()
    const form = e.target
    const people = read(form)
    try {
      data = { ...data, ...(await post("/admin/supervisors", { people, reason: form.reason.value || null })) }
      draw(`督办人名单已保存（${new Date().toLocaleTimeString("zh-CN")}）`, false)
    } catch (err) {
      data = { ...data, people }
      draw(err.message, true)
      const m = /^people\[(\d+)\]\.?(\w*)/.exec(err.field || "")
      const tr = m && el.querySelectorAll(".ad-sv-row")[Number(m[1])]
      const bad = tr && (tr.querySelector(`[name="${m[2] || "name"}"]`) || tr)
      if (bad) { bad.classList.add("ad-invalid"); bad.focus?.() }
    }
  }

  return {
    async show() {
      try { data = await call("/admin/supervisors"); draw("") } catch (err) {
        el.innerHTML = `<div class="ad-error">${esc(err.message)}</div>`
      }
    },
  }
}
