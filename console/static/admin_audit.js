// The admin page's 审计日志 tab: filters, a paged table and a CSV export of /api/v1/admin/audit.
// admin.js mounts it with its request helpers.
// Every value shown comes masked from the server; the page never unmasks anything.
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { fmtIso } from "fq/lib/time.js"
import { LIMITS } from "fq/lib/limits.js"

const AUDIT_GROUPS = {
  "login,login_failed,login_blocked,logout": "登录与注销（全部）",
  "login_failed,login_blocked": "登录失败与拦截",
  "permission_denied": "越权拒绝",
  "unmask": "查看完整个人信息",
  "register,locate,merge,link_duplicate,link_related,assign,reassign,transition,reopen,release,supervise_manual,supervise_yellow,supervise_red,whistle,whistle_report,consultation": "案件变更（全部）",
  "account_created,account_updated,password_changed,password_reset,account_activated,account_deactivated,account_refused,api_key_created,api_key_revoked,api_key_refused,policy_update,unit_status,audit_export": "账号、策略与力量",
}
export function mountAudit(el, { call, base, L }) {
  const A = L.audit_actions || {}
  const E = L.audit_entities || {}
  const stateLabel = (s) => (s == null ? "" : (L.states || {})[s] || (L.unit_statuses || {})[s] || s)
  let cursors = [null] // the cursor of each page seen; the last one is the page shown
  let next = null
  let loaded = false
  const actionOptions = `<option value="">全部操作</option><optgroup label="分组">${Object.entries(AUDIT_GROUPS).map(([k, v]) => (
    `<option value="${esc(k)}">${esc(v)}</option>`)).join("")}</optgroup><optgroup label="单项">${Object.entries(A).map(([k, v]) => (
    `<option value="${esc(k)}">${esc(v)}（${esc(k)}）</option>`)).join("")}</optgroup>`
  let form, msg
  // built when the tab is first opened: until then its inputs (q, status …) are not in the page
  function build() {
    el.innerHTML = `
      <div class="ad-card">
        <h2>审计日志</h2>
        <p class="ad-help">登录、登录失败、越权拒绝、查看完整个人信息及每一次案件变更均记入只增不改的审计日志。列表与导出中的姓名、电话、身份证号和门牌号均已遮蔽；每次导出本身也会记入审计日志。时间均为北京时间。</p>
        <form class="ad-audit-filters">
          <div class="ad-row">
            <label>起始 <input name="from" type="datetime-local" step="1"></label>
            <label>截止 <input name="to" type="datetime-local" step="1"></label>
            <label>操作人 <input name="actor" placeholder="账号；以 * 结尾为前缀" maxlength="${LIMITS.audit_actor + 1}"></label>
            <label>操作 <select name="action">${actionOptions}</select></label>
          </div>
          <div class="ad-row">
            <label>对象 <select name="entity">${opts(E, "", "全部对象")}</select></label>
            <label>对象编号 <input name="entity_id" type="number" min="1"></label>
            <label>案件编号 <input name="code" placeholder="如 2026-000123" maxlength="${LIMITS.audit_code}"></label>
            <label>关键词 <input name="q" type="search" placeholder="理由、详情中的文字" maxlength="${LIMITS.audit_q}"></label>
            <button type="submit">查询</button><button type="button" class="ad-cancel ad-audit-reset">重置</button>
            <a class="ad-audit-csv" href="#" download>导出 CSV</a>
          </div>
        </form>
        <div class="ad-msg" role="status"></div>
        <div class="ad-row ad-audit-bar"><span class="ad-total"></span>
          <button type="button" class="ad-cancel ad-audit-prev">上一页</button>
          <button type="button" class="ad-cancel ad-audit-next">下一页</button></div>
        <div class="ad-audit-rows"></div>
      </div>`
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
  function detailText(d) {
    if (!d || typeof d !== "object" || !Object.keys(d).length) { return "" }
    return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("；")
  }
  function draw(items) {
    const rows = items.map((r) => {
      const what = r.code ? `${esc(r.entity_label)} ${esc(r.code)}` : `${esc(r.entity_label)}${r.entity_id != null ? ` #${esc(r.entity_id)}` : ""}`
      const change = r.from_state || r.to_state ? `${esc(stateLabel(r.from_state))} → ${esc(stateLabel(r.to_state))}` : ""
      const detail = detailText(r.detail)
      return `<tr data-id="${esc(r.id)}" class="ad-act-${esc(r.action)}"><td class="ad-num">${esc(fmtIso(r.at))}</td><td>${esc(r.actor)}</td>
        <td><span class="ad-st" title="${esc(r.action)}">${esc(A[r.action] || r.action_label || r.action)}</span></td><td>${what}</td>
        <td>${change}</td><td>${esc(r.reason || "")}</td><td class="ad-detail" title="${esc(detail)}">${esc(detail)}</td></tr>`
    }).join("")
    el.querySelector(".ad-audit-rows").innerHTML = items.length ? `<table class="ad-table ad-audit"><thead><tr><th>时间</th><th>操作人</th><th>操作</th>
      <th>对象</th><th>状态变化</th><th>理由/说明</th><th>详情</th></tr></thead><tbody>${rows}</tbody></table>` : `<div class="ad-help">没有符合条件的记录</div>`
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
