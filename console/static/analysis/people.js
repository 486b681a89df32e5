// The analysis page's 人员 tab: per mediator or grid worker over the chosen period — cases,
// 调解成功（有据）, 满意度, 签收/到场用时, 超期, 延期 and the stars with the scheme's own words —
// and the monthly 个案补贴 statement as an Excel download (for the roles the API allows).
import { escapeHtml as esc } from "../lib/escape.js"

export const ROLES = { mediator: "人民调解员", grid_worker: "网格员" }

const num = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits))
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`)

/** The table's rows (HTML) for the API's ``items``. */
export function peopleRows(items) {
  if (!items.length) { return `<tr><td colspan="12" class="pp-empty">统计期内没有派给该类人员的案件</td></tr>` }
  return items.map((p) => {
    const r = p.rating
    const star = r.stars === null
      ? `<span class="pp-few" title="${esc(r.label)}">样本不足</span>`
      : `<span class="pp-stars" title="得分 ${esc(num(r.score, 2))}" aria-label="${r.stars} 星">${esc(r.label)}</span>`
    return `<tr><th scope="row">${esc(p.name)}<small>${esc(p.code)}</small></th>
      <td>${star}</td><td>${p.handled}</td><td>${p.resolved}</td>
      <td>${p.mediated_evidenced}<small>（点选成功 ${p.mediated}）</small></td><td>${pct(p.success_rate)}</td>
      <td>${num(p.satisfaction, 2)}<small>${p.followups} 次回访</small></td>
      <td>${p.signed}/${p.sent}<small>按时 ${p.signed_on_time}</small></td>
      <td>${num(p.sign_median_min, 1)}</td><td>${num(p.arrive_median_min, 1)}</td>
      <td>${p.overdue}</td><td>${p.extensions_requested}<small>批准 ${p.extensions_approved}</small></td></tr>`
  }).join("")
}

/** The month before ``today`` (a Date) as YYYY-MM. */
export function lastMonth(today = new Date()) {
  const d = new Date(today.getFullYear(), today.getMonth() - 1, 1)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`
}

/**
 * Mount the tab in ``el`` with the page's ``ctx`` (analysis.js: ``api``, ``get(path, extra)``
 * for the chosen period and the reader's area); returns ``{update(ctx)}`` for a new period.
 */
export function mount(el, ctx) {
  el.innerHTML = `<div class="pp-tab">
    <div class="pp-bar"><label>人员类别 <select name="role">${Object.entries(ROLES).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join("")}</select></label>
      <span class="pp-subsidy" hidden><label>补贴月份 <input type="month" name="month" value="${lastMonth()}"></label>
      <a class="pp-xlsx" download>下载个案补贴明细（Excel）</a>
      <span class="pp-unpriced" hidden role="note">补贴标准未设置：明细只列符合条件的案件，不计金额</span></span></div>
    <p class="pp-scheme" role="note"></p><div class="pp-msg" role="status"></div>
    <table class="an-table pp-table"><thead><tr><th>姓名</th><th>星级</th><th>经办</th><th>办结</th><th>调解成功（有据）</th><th>成功率</th>
      <th>满意度</th><th>签收/派单</th><th>签收中位（分钟）</th><th>到场中位（分钟）</th><th>超期</th><th>延期</th></tr></thead><tbody></tbody></table></div>`
  const role = el.querySelector('[name="role"]')
  const month = el.querySelector('[name="month"]')
  const link = el.querySelector(".pp-xlsx")
  let current = ctx
  let seq = 0
  const setLink = () => {
    const m = /^\d{4}-\d{2}$/.test(month.value) ? month.value : lastMonth()
    link.href = `${current.api}/analysis/subsidy.xlsx?${new URLSearchParams({ month: m })}`
  }
  async function load(c) {
    current = c
    const mine = ++seq
    el.querySelector(".pp-msg").textContent = "正在统计…"
    let d
    try { d = await c.get("/analysis/people", { role: role.value, category: "" }) } catch (err) {
      if (mine === seq) { el.querySelector(".pp-msg").textContent = err.message; el.querySelector("tbody").innerHTML = "" }
      return
    }
    if (mine !== seq) { return }
    el.querySelector(".pp-msg").textContent = `${d.from} 至 ${d.to}，${ROLES[d.role]} ${d.count} 人（派单时间在统计期内的案件）`
    el.querySelector(".pp-scheme").textContent = `评星规则：${d.scheme}`
    el.querySelector("tbody").innerHTML = peopleRows(d.items)
    el.querySelector(".pp-subsidy").hidden = !d.subsidy
    el.querySelector(".pp-unpriced").hidden = d.subsidy_priced !== false
    setLink()
  }
  role.addEventListener("change", () => load(current))
  month.addEventListener("change", setLink)
  load(ctx)
  return { update: load }
}
