// The SMS texts on /admin (通知与 Webhook tab): one row per kind of message with its text, the
// placeholders it may use and the gateway's template id. Saved as a policy edit (the server checks
// placeholders and length in dispatch/sms_text.py and audits the edit); a refusal names the field.
import { escapeHtml as esc } from "fq/lib/escape.js"
import { LIMITS } from "fq/lib/limits.js"

export function mountSms(el, { call, post }) {
  let data = null

  function draw(message, bad) {
    const { policy, labels } = data
    const sms = labels.sms
    el.innerHTML = `<form class="ad-card ad-sms" novalidate><h2>短信模板</h2>
      <p class="ad-muted">占位符写作 {名称}，只可用该行列出的；填满后不超过 ${LIMITS.sms_text} 字。网关模板编号为短信平台备案的模板（不用模板的网关可留空）。</p>
      <div class="ad-msg ${message ? (bad ? "bad" : "ok") : ""}" role="status">${esc(message)}</div>
      <table class="ad-table"><thead><tr><th>消息</th><th>短信内容</th><th>可用占位符</th><th>网关模板编号</th></tr></thead><tbody>
      ${Object.entries(sms.kinds).map(([k, label]) => {
        const t = policy.sms_templates[k] || sms.defaults[k]
        return `<tr data-kind="${esc(k)}"><th>${esc(label)}</th>
          <td><textarea name="sms_templates.${esc(k)}" rows="2" cols="48" maxlength="${LIMITS.sms_text}" aria-label="${esc(label)}短信内容">${esc(t.text)}</textarea></td>
          <td>${sms.placeholders[k].map((p) => `<code>{${esc(p)}}</code>`).join(" ")}</td>
          <td><input name="gateway_id.${esc(k)}" maxlength="${LIMITS.sms_gateway_id}" value="${esc(t.gateway_id || "")}" aria-label="${esc(label)}网关模板编号"></td></tr>`
      }).join("")}</tbody></table>
      <div class="ad-row"><label>修改原因 <input name="reason" maxlength="${LIMITS.reason}"></label><button type="submit">保存短信模板</button></div></form>`
    el.querySelector("form").addEventListener("submit", save)
  }

  async function save(e) {
    e.preventDefault()
    const form = e.target
    const changes = { sms_templates: Object.fromEntries([...form.querySelectorAll("tr[data-kind]")].map((tr) => [tr.dataset.kind, {
      text: tr.querySelector("textarea").value, gateway_id: tr.querySelector("input").value.trim() }])) }
    const kept = Object.fromEntries([...form.querySelectorAll("textarea")].map((t) => [t.name, t.value]))
    try {
      data.policy = (await post("/admin/policy", { changes, reason: form.reason.value || "修改短信模板" })).policy
      draw(`短信模板已保存并生效（${new Date().toLocaleTimeString("zh-CN")}）`, false)
    } catch (err) {
      draw(err.message, true)
      for (const [name, value] of Object.entries(kept)) { el.querySelector(`[name="${name}"]`).value = value }
      const bad = err.field && el.querySelector(`[name="${err.field}"]`)
      if (bad) { bad.classList.add("ad-invalid"); bad.focus() }
    }
  }

  return {
    async show() {
      try { data = await call("/admin/policy"); draw("") } catch (err) {
        el.innerHTML = `<div class="ad-error">${esc(err.message)}</div>`
      }
    },
  }
}
