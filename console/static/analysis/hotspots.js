// 热点 tab: the period's Gi* classes in figures — the map beside the tabs draws them (示意) — and
// the significant hot areas, strongest first (GET /api/v1/analysis/hotspots).
import { escapeHtml as esc } from "fq/lib/escape.js"
import { num, table } from "fq/analysis/format.js"

export function mount(el, ctx) {
  el.innerHTML = `<p class="an-muted">右侧地图显示本统计期的热点图层（示意）。</p><p class="an-method"></p>
    <div class="an-hot-classes"></div><h3>显著热点（按 z 值）</h3><div class="an-hot-list"></div>`
  async function load(c) {
    let d
    try { d = await c.get("/analysis/hotspots") } catch (err) {
      el.querySelector(".an-hot-classes").innerHTML = `<div class="an-error">${esc(err.message)}</div>`; return
    }
    el.querySelector(".an-method").textContent = `方法：${d.method}`
    el.querySelector(".an-hot-classes").innerHTML = table(d.legend.map((l) => ({ ...l, n: d.classes[String(l.class)] || 0 })), [
      ["类别", (r) => r.label], ["区域数", (r) => num(r.n)]], { empty: "无" }) +
      `<p class="an-muted">期内案件 ${num(d.cases)} 件</p>`
    const hot = d.features.map((f) => f.properties).filter((p) => p.class > 0).sort((a, b) => b.z - a.z).slice(0, 30)
    el.querySelector(".an-hot-list").innerHTML = table(hot, [
      [d.by === "cell" ? "方格" : "微网格编号", (p) => p.id], ["案件", (p) => num(p.count)],
      ["z 值", (p) => Number(p.z).toFixed(2)], ["分级", (p) => p.label]],
    { empty: "统计期内无显著热点" })
  }
  load(ctx)
  return { update: load }
}
