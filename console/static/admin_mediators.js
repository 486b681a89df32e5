// The admin page's 调解员档案 tab: per mediator (and every unit that handled cases) over a window —
// cases handled, resolved, 调解成功（有据）, success rate, satisfaction, overdue, extensions — from
// GET /api/v1/mediators/record, with the definitions the server prints and the 延期 figures.
import { escapeHtml as esc } from "fq/lib/escape.js"

export function mountMediators(el, { call, L }) {
  const T = L.unit_types || {}
  el.innerHTML = `<div class="ad-card"><h2>调解员档案</h2>
    <form class="ad-med-form">统计 <select name="days"><option value="30">近 30 天</option><option value="90">近 90 天</option>
      <option value="365">近一年</option></select>
      <select name="type"><option value="">全部力量</option>${Object.entries(T).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")}</select>
      <button type="submit">查询</button></form>
    <div class="ad-med-ext"></div><div class="ad-med-table"></div><div class="ad-med-defs"></div></div>`
  const form = el.querySelector("form")
  const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`)
  async function load() {
    const q = new URLSearchParams({ days: form.days.value })
    if (form.type.value) { q.set("type", form.type.value) }
    let d
    try { d = await call(`/mediators/record?${q}`) } catch (err) {
      el.querySelector(".ad-med-table").innerHTML = `<div class="ad-error">${esc(err.message)}</div>`; return
    }
    const x = d.extensions
    el.querySelector(".ad-med-ext").innerHTML = `<p class="ad-med-ext-line">延期：申请 <b>${x.requested}</b> 件，批准 <b>${x.approved}</b>，驳回 <b>${x.refused}</b>，
      待审批 <b>${x.pending}</b>，批准共 <b>${x.days_granted}</b> 天，批准率 ${pct(x.approval_rate)}</p>`
    const rows = d.items.map((r) => `<tr data-unit="${r.id}"><td>${esc(r.name)}<div class="ad-muted">${esc(r.code)}</div></td>
      <td>${esc(T[r.unit_type] || r.unit_type)}</td><td>${r.handled}</td><td>${r.resolved}</td>
      <td>${r.mediated_evidenced}<span class="ad-muted"> / ${r.mediated}</span></td><td>${pct(r.success_rate)}</td>
      <td>${r.satisfaction == null ? "—" : r.satisfaction.toFixed(2)}<span class="ad-muted">（${r.followups}）</span></td>
      <td>${r.overdue}</td><td>${r.extensions_requested} / ${r.extensions_approved} / ${r.extensions_refused}（${r.extension_days} 天）</td><td>${r.steps_recorded}</td></tr>`).join("")
    el.querySelector(".ad-med-table").innerHTML = d.items.length ? `<table class="ad-table ad-mediators"><thead><tr>
      <th>姓名</th><th>类型</th><th>办理</th><th>办结</th><th>调解成功（有据/全部）</th><th>成功率</th><th>满意度（回访数）</th>
      <th>超期</th><th>延期 申请/批准/驳回</th><th>五步记录</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<div class="ad-muted">统计期内没有派单记录</div>`
    el.querySelector(".ad-med-defs").innerHTML = `<details><summary>指标口径</summary><ul>${Object.values(d.definitions)
      .map((v) => `<li>${esc(v)}</li>`).join("")}</ul></details>`
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); load() })
  let loaded = false
  return { show() { if (!loaded) { loaded = true; load() } } }
}
