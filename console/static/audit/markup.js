// The admin's 审计日志 tab as markup: the filter form, the action choices (groups, then each
// action), and the rows of one page. Values come masked from the server and are escaped here;
// pure (tests/js).
import { escapeHtml as esc, optionsHtml as opts } from "../lib/escape.js"
import { fmtIso } from "../lib/time.js"
import { LIMITS } from "../lib/limits.js"

// actionOptionsHtml(groups, actions) -> the 操作 select's options: all, the groups, each action.
export function actionOptionsHtml(groups, A) {
  return `<option value="">全部操作</option><optgroup label="分组">${Object.entries(groups).map(([k, v]) => (
    `<option value="${esc(k)}">${esc(v)}</option>`)).join("")}</optgroup><optgroup label="单项">${Object.entries(A).map(([k, v]) => (
    `<option value="${esc(k)}">${esc(v)}（${esc(k)}）</option>`)).join("")}</optgroup>`
}

// auditPageHtml(actionOptions, entities) -> the tab: filters, message, paging bar, rows' place.
export function auditPageHtml(actionOptions, E) {
  return `
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
}

// detailText(detail) -> "key: value；…" (objects as JSON), "" when there is none.
export function detailText(d) {
  if (!d || typeof d !== "object" || !Object.keys(d).length) { return "" }
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("；")
}

// auditRowsHtml(items, {A, stateLabel}) -> one page's table, or a line saying there is nothing.
export function auditRowsHtml(items, { A, stateLabel }) {
  const rows = items.map((r) => {
    const what = r.code ? `${esc(r.entity_label)} ${esc(r.code)}` : `${esc(r.entity_label)}${r.entity_id != null ? ` #${esc(r.entity_id)}` : ""}`
    const change = r.from_state || r.to_state ? `${esc(stateLabel(r.from_state))} → ${esc(stateLabel(r.to_state))}` : ""
    const detail = detailText(r.detail)
    return `<tr data-id="${esc(r.id)}" class="ad-act-${esc(r.action)}"><td class="ad-num">${esc(fmtIso(r.at))}</td><td>${esc(r.actor)}</td>
        <td><span class="ad-st" title="${esc(r.action)}">${esc(A[r.action] || r.action_label || r.action)}</span></td><td>${what}</td>
        <td>${change}</td><td>${esc(r.reason || "")}</td><td class="ad-detail" title="${esc(detail)}">${esc(detail)}</td></tr>`
  }).join("")
  return items.length ? `<table class="ad-table ad-audit"><thead><tr><th>时间</th><th>操作人</th><th>操作</th>
      <th>对象</th><th>状态变化</th><th>理由/说明</th><th>详情</th></tr></thead><tbody>${rows}</tbody></table>` : `<div class="ad-help">没有符合条件的记录</div>`
}
