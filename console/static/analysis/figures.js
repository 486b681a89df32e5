// 统计对比 tab: the chosen period's figures beside the base period (环比/同比) with the change,
// the channel mix, and a breakdown by street, community, grid, category, channel, unit or
// mediator (GET /api/v1/analysis/figures).
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { changeText, changeTone, num, pct, mins, table, value } from "fq/analysis/format.js"

const CARDS = [["received", "受理"], ["done", "办结"], ["success", "调解成功（有据）"],
  ["success_rate", "调解成功率"], ["overdue", "超期"], ["on_time_rate", "按期办结率"],
  ["satisfaction_rate", "满意度（回访）"], ["resident_rate", "居民评价"], ["sign_minutes", "平均签收用时"], ["arrive_minutes", "平均到场用时"]]

// the base under a rate whose count is its own (the residents' ratings beside the officers' visits)
const COUNTED = { satisfaction_rate: (c) => `回访 ${num(c.rated)} 件`, resident_rate: (c) => `评价 ${num(c.resident_rated)} 件` }

export function mount(el, ctx) {
  let by = ctx.area && ctx.area.street_id ? "community" : "street"
  el.innerHTML = `<div class="an-cards"></div><div class="an-channels"></div>
    <div class="an-breakdown-head"><label>分组 <select name="by">${opts(ctx.labels.breakdowns, by)}</select></label></div>
    <div class="an-breakdown"></div><details class="an-defs"><summary>指标口径</summary><ul></ul></details>`
  el.querySelector("[name=by]").addEventListener("change", (e) => { by = e.target.value; load(current) })
  let current = ctx
  async function load(c) {
    current = c
    let d
    try { d = await c.get("/analysis/figures", { compare: c.compare, by }) } catch (err) {
      el.querySelector(".an-cards").innerHTML = `<div class="an-error">${esc(err.message)}</div>`; return
    }
    const cur = d.current, base = d.base
    el.querySelector(".an-cards").innerHTML = `<p class="an-compare">${esc(cur.period.label)}；${esc(d.against_label || "对比")}基期：${esc(base ? base.period.label : "—")}</p>` +
      CARDS.map(([k, label]) => {
        const kind = d.compared[k]
        const ch = d.change && d.change[k]
        return `<div class="an-card" data-key="${k}"><div class="an-card-label">${esc(label)}</div>
          <div class="an-card-value">${esc(value(cur[k], kind))}</div>${COUNTED[k] ? `<div class="an-card-base">${esc(COUNTED[k](cur))}</div>` : ""}
          <div class="an-card-base">${esc(d.against_label || "")} ${esc(base ? value(base[k], kind) : "—")}</div>
          <div class="an-card-change an-${changeTone(k, ch)}">${esc(changeText(ch))}</div></div>`
      }).join("")
    el.querySelector(".an-channels").innerHTML = `<h3>受理渠道</h3>` + table(cur.by_channel, [
      ["渠道", (r) => r.label], ["受理", (r) => num(r.count)]])
    el.querySelector(".an-breakdown").innerHTML = table(d.breakdown, [
      [d.by_label, (r) => r.name + (r.unit_type_label ? `（${r.unit_type_label}）` : "")],
      ["受理", (r) => num(r.received)], ["办结", (r) => num(r.done)],
      ["调解成功", (r) => num(r.success)], ["成功率", (r) => pct(r.success_rate)],
      ["超期", (r) => num(r.overdue)], ["按期办结率", (r) => pct(r.on_time_rate)],
      ["满意度", (r) => pct(r.satisfaction_rate)], ["签收用时", (r) => mins(r.sign_minutes)],
      ["到场用时", (r) => mins(r.arrive_minutes)]], { cls: "an-table an-breakdown-table" })
    el.querySelector(".an-defs ul").innerHTML = Object.values(d.definitions).map((v) => `<li>${esc(v)}</li>`).join("")
  }
  load(ctx)
  return { update: load }
}
