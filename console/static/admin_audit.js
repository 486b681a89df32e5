// The admin page's 审计日志 tab: filters, a paged table and a CSV export of /api/v1/admin/audit.
// admin.js mounts it with its request helpers.
// Every value shown comes masked from the server; the page never unmasks anything.
import { actionOptionsHtml, auditPageHtml, auditRowsHtml } from "fq/audit/markup.js"

const AUDIT_GROUPS = {
  "login,login_failed,login_blocked,logout": "登录与注销（全部）",
  "login_failed,login_blocked": "登录失败与拦截",
  "permission_denied": "越权拒绝",
  "unmask": "查看完整个人信息",
  "register,locate,merge,link_duplicate,link_related,assign,reassign,transition,reopen,release,supervise_manual,supervise_yellow,supervise_red,whistle,whistle_report,consultation": "案件变更（全部）",
  "case_export,case_export_refused": "案件列表导出（含拒绝）",
  "account_created,account_updated,password_changed,password_reset,account_activated,account_deactivated,account_refused,api_key_created,api_key_revoked,api_key_refused,policy_update,unit_status,audit_export": "账号、策略与力量",
}
export function mountAudit(el, { call, base, L }) {
  const A = L.audit_actions || {}
  const E = L.audit_entities || {}
  const stateLabel = (s) => (s == null ? "" : (L.states || {})[s] || (L.unit_statuses || {})[s] || s)
  let cursors = [null] // the cursor of each page seen; the last one is the page shown
  let next = null
  let loaded = false
  const actionOptions = actionOptionsHtml(AUDIT_GROUPS, A)
  let form, msg
  // built when the tab is first opened: until then its inputs (q, status …) are not in the page
  function build() {
    el.innerHTML = auditPageHtml(actionOptions, E)
    form = el.querySelector("form")
    msg = el.querySelector(".ad-msg")
    form.addEventListener("submit", (e) => {
      e.preventDefault()
      e.stopPropagation()
      for (const f of form.querySelectorAll(".ad-invalid")) { f.classList.remove("ad-invalid") }
      cursors = [null]
      load(0)
    })
    form.addEventListener("input", csvLink)
    el.querySelector(".ad-audit-reset").addEventListener("click", () => { form.reset(); cursors = [null]; load(0) })
    el.querySelector(".ad-audit-next").addEventListener("click", () => { if (next) { cursors.push(next); load(cursors.length - 1) } })
    el.querySelector(".ad-audit-prev").addEventListener("click", () => { if (cursors.length > 1) { cursors.pop(); load(cursors.length - 1) } })
  }

  function filters() {
    const q = new URLSearchParams()
    for (const f of form.querySelectorAll("input, select")) {
      const v = f.value.trim()
      if (v) { q.set(f.name, v) }
    }
    return q
  }
  function csvLink() {
    el.querySelector(".ad-audit-csv").href = `${base}/admin/audit.csv?${filters()}`
  }
  function draw(items) {
    el.querySelector(".ad-audit-rows").innerHTML = auditRowsHtml(items, { A, stateLabel })
  }
  async function load(page) {
    const q = filters()
    const at = cursors[page]
    if (at) { q.set("cursor", at) }
    q.set("limit", "50")
    msg.className = "ad-msg"
    msg.textContent = ""
    csvLink()
    try {
      const j = await call(`/admin/audit?${q}`)
      cursors = cursors.slice(0, page + 1)
      next = j.next
      draw(j.items)
      el.querySelector(".ad-total").textContent = `共 ${j.total_label} 条 · 第 ${page + 1} 页`
    } catch (err) {
      msg.className = "ad-msg bad"
      msg.textContent = err.message
      const bad = err.field && form.querySelector(`[name="${err.field}"]`)
      if (bad) { bad.classList.add("ad-invalid"); bad.focus() }
    }
    el.querySelector(".ad-audit-prev").disabled = cursors.length <= 1
    el.querySelector(".ad-audit-next").disabled = !next
  }
  return { show() { if (!loaded) { loaded = true; build(); load(0) } } }
}
