// 风险关注 tab: the 民转刑 watch list — open cases flagged orange or red and what was done
// (GET /api/v1/analysis/watch; it is "now", not a period).
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { table } from "fq/analysis/format.js"

const LEVELS = { 2: "橙色及以上", 3: "仅红色" }

export function mount(el, ctx) {
  let level = "2"
  el.innerHTML = `<p class="an-muted">当前在办的风险案件（不随统计期变化）。</p>
    <label>风险等级 <select name="level">${opts(LEVELS, level)}</select></label><div class="an-watch"></div>`
  el.querySelector("[name=level]").addEventListener("change", (e) => { level = e.target.value; load() })
  async function load() {
    let d
    try { d = await ctx.get("/analysis/watch", { level }) } catch (err) {
      el.querySelector(".an-watch").innerHTML = `<div class="an-error">${esc(err.message)}</div>`; return
    }
    el.querySelector(".an-watch").innerHTML = table(d.items, [
      ["案件", (r) => r.code], ["类别", (r) => r.category_label], ["风险", (r) => r.risk_label],
      ["状态", (r) => r.state_label], ["风险原因", (r) => r.risk_reasons.join("；")],
      ["已采取措施", (r) => r.done.join("；")]], { empty: "当前无风险关注案件" })
  }
  load()
  return { update() {} }
}
