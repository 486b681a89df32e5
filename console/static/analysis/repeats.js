// 重复纠纷 tab: the same address, the same parties (as keyed hashes, never numbers), near
// repeats in space and time, each linked to its cases (GET /api/v1/analysis/repeats).
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { num, table } from "fq/analysis/format.js"

const KINDS = { address: "同一地址", parties: "同一当事人", near: "时空邻近" }

export function mount(el, ctx) {
  let kind = "address"
  el.innerHTML = `<label>类型 <select name="kind">${opts(KINDS, kind)}</select></label><div class="an-repeats"></div>`
  el.querySelector("[name=kind]").addEventListener("change", (e) => { kind = e.target.value; load(current) })
  let current = ctx
  async function load(c) {
    current = c
    let d
    try { d = await c.get("/analysis/repeats", { kind }) } catch (err) {
      el.querySelector(".an-repeats").innerHTML = `<div class="an-error">${esc(err.message)}</div>`; return
    }
    const name = (g) => g.address || g.pair || (g.centre ? `${g.centre[0]}, ${g.centre[1]} 附近（${g.span_days} 天内）` : "—")
    el.querySelector(".an-repeats").innerHTML = `<p class="an-muted">共 ${num(d.total)} 组（每组至少 ${num(d.min)} 件）</p>` +
      table(d.groups, [[KINDS[kind], name], ["案件数", (g) => num(g.count)], ["在办", (g) => num(g.open)],
        ["案件编号", (g) => g.cases.map((x) => x.code).join("、")]], { empty: "统计期内无重复纠纷" })
  }
  load(ctx)
  return { update: load }
}
