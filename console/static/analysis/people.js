// The analysis page's 人员 tab: per mediator or grid worker over the chosen period — cases,
// 调解成功（有据）, 满意度, 签收/到场用时, 超期, 延期 and the stars with the scheme's own words —
// and the monthly 个案补贴 statement as an Excel download (for the roles the API allows).
import { escapeHtml as esc } from "../lib/escape.js"
import { request } from "../lib/http.js"

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
 * Mount the tab in ``el``. ``ctx.api`` is the API base (default /api/v1); ``ctx.params()`` the
 * page's area and period as URLSearchParams (from, to, street …); ``ctx.onChange(fn)``, when
 * given, redraws on a new period or area.
 */
export function mount(el, ctx = {}) {
  const api = (ctx.api || "/api/v1").replace(/\/$/, "")
  const params = () => new URLSearchParams(ctx.params ? ctx.params() : "")
  el.innerHTML = `<div class="pp-tab">
    <div class="pp-bar"><label>人员类别 <select name="role">${Object.entries(ROLES).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join("")}</select></label>
      <span class="pp-subsidy"><label>补贴月份 <input type="month" name="month" value="${lastMonth()}"></label>
      <a class="pp-xlsx" download>下载个案补贴明细（Excel）</a></span></div>
    <p class="pp-scheme" role="note"></p><div class="pp-msg" role="status"></div>
    <table class="pp-table"><thead><tr><th>姓名</th><th>星级</th><th>经办</th><th>办结</th><th>调解成功（有据）</th><th>成功率</th>
      <th>满意度</th><th>签收</th><th>签收中位（分）</th><th>到场中位（分）</th><th>超期</th><th>延期</th></tr></thead><tbody></tbody></table></div>`
  const role = el.querySelector('[name="role"]')
  const month = el.querySelector('[name="month"]')
  const link = el.querySelector(".pp-xlsx")
  let seq = 0
  const setLink = () => {
    const q = params()
    q.delete("from"); q.delete("to")
    q.set("month", month.value || lastMonth())
    link.href = `${api}/analysis/subsidy.xlsx?${q}`
  }
  async function draw() {
    const mine = ++seq
    const q = params()
    q.set("role", role.value)
    el.querySelector(".pp-msg").textContent = "正在统计…"
    const got = await request(`${api}/analysis/people?${q}`)
    if (mine !== seq) { return }
    el.querySelector(".pp-msg").textContent = got.ok ? `${got.data.from} 至 ${got.data.to}，共 ${got.data.count} 人` : got.error.message
    el.querySelector(".pp-scheme").textContent = got.ok ? `评星规则：${got.data.scheme}` : ""
    el.querySelector("tbody").innerHTML = got.ok ? peopleRows(got.data.items) : ""
    setLink()
  }
  role.addEventListener("change", draw)
  month.addEventListener("change", setLink)
  if (ctx.onChange) { ctx.onChange(draw) }
  draw()
  return { redraw: draw }
}
