// 公平排名 tab: rank by rates, not volume — a minimum case count, volume tiers, the method stated
// (GET /api/v1/analysis/ranking).
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { num, pct, table } from "fq/analysis/format.js"

export function mount(el, ctx) {
  let by = ctx.area && ctx.area.street_id ? "community" : "street"
  el.innerHTML = `<div class="an-rank-head"><label>排名对象 <select name="by">${opts(ctx.labels.rank_by, by)}</select></label></div>
    <p class="an-method"></p><div class="an-ranked"></div><h3>不参与排名</h3><div class="an-unranked"></div>`
  el.querySelector("[name=by]").addEventListener("change", (e) => { by = e.target.value; load(current) })
  let current = ctx
  async function load(c) {
    current = c
    let d
    try { d = await c.get("/analysis/ranking", { by, category: "" }) } catch (err) {
      el.querySelector(".an-ranked").innerHTML = `<div class="an-error">${esc(err.message)}</div>`; return
    }
    el.querySelector(".an-method").textContent = `排名方法：${d.method}`
    el.querySelector(".an-ranked").innerHTML = table(d.ranked, [
      ["名次", (r) => r.rank], [d.by_label, (r) => r.name], ["受理量分档", (r) => r.tier],
      ["档内名次", (r) => r.tier_rank], ["综合得分", (r) => r.score.toFixed(1)],
      ["计分项", (r) => r.scored_by.join("、")], ["受理", (r) => num(r.received)],
      ["按期办结率", (r) => pct(r.on_time_rate)], ["调解成功率", (r) => pct(r.success_rate)],
      ["满意度", (r) => pct(r.satisfaction_rate)]],
    { cls: "an-table an-ranked-table", empty: "统计期内没有达到最少案件数的对象" })
    el.querySelector(".an-unranked").innerHTML = table(d.unranked, [
      [d.by_label, (r) => r.name], ["受理", (r) => num(r.received)], ["原因", (r) => r.reason]],
    { cls: "an-table an-unranked-table", empty: "无" })
  }
  load(ctx)
  return { update: load }
}
