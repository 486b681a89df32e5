// 研判报告 tab: the archive of weekly and on-demand reports the reader may read (GET
// /api/v1/reports, cut to the reader's area by the API), a form to make one now for a period and
// area (POST /api/v1/reports; the period defaults to the page's), and the PDF / Excel downloads.
import { escapeHtml as esc } from "fq/lib/escape.js"
import { fetchJson, request } from "fq/lib/http.js"
import { table } from "fq/analysis/format.js"

const LEVELS = { all: "全辖区", district: "区县", street: "街道", community: "社区", grid: "网格" }
const KB = (n) => `${Math.max(1, Math.round(Number(n || 0) / 1024))} KB`

export function mount(el, ctx) {
  el.innerHTML = `<p class="an-muted">每周一 07:30（北京时间，可在派单策略中修改）自动生成上周的全辖区及各街道周报；
      也可按统计期与区域立即生成。报告不含当事人姓名、电话、身份证号，地址与事由已脱敏。</p>
    <form class="an-report-form">
      <label>统计期起 <input type="date" name="from" required></label>
      <label>至 <input type="date" name="to" required></label>
      <label>区域 <select name="area"><option value="">本人辖区</option></select></label>
      <button type="submit">生成报告</button> <span class="an-report-msg" role="status"></span>
    </form>
    <div class="an-report-list"></div>`
  const form = el.querySelector("form")
  const msg = el.querySelector(".an-report-msg")
  const list = el.querySelector(".an-report-list")

  function setPeriod(c) {
    form.elements.from.value = c.period.from
    form.elements.to.value = c.period.to
  }
  setPeriod(ctx)

  async function areas() { // the areas one level below the reader's own, as the wall ranks them
    try {
      const d = await fetchJson(`${ctx.api}/stats/ranking`)
      const level = d.level
      form.elements.area.insertAdjacentHTML("beforeend", (d.areas || []).map((a) =>
        `<option value="${esc(`${level}:${a.id}`)}">${esc(LEVELS[level] || "")} ${esc(a.name)}</option>`).join(""))
    } catch { /* the reader's own area stays the one choice */ }
  }

  async function load() {
    let d
    try { d = await fetchJson(`${ctx.api}/reports`) } catch (err) {
      list.innerHTML = `<div class="an-error">${esc(err.message)}</div>`; return
    }
    list.innerHTML = table(d.reports, [
      ["统计期", (r) => `${r.period_start} 至 ${r.period_end}`], ["区域", (r) => r.area_name],
      ["类型", (r) => r.kind_label], ["生成者", (r) => r.requested_by === "scheduler" ? "系统定时" : r.requested_by],
      ["生成时间", (r) => String(r.created_at).slice(0, 16).replace("T", " ")],
      ["PDF", (r) => `${r.id}|pdf`], ["Excel", (r) => `${r.id}|xlsx`]], { empty: "尚无报告" })
    // the last two columns become download links (built from the row's own URLs)
    const rows = list.querySelectorAll("tbody tr")
    d.reports.forEach((r, i) => {
      const cells = rows[i].querySelectorAll("td")
      cells[5].innerHTML = `<a href="${esc(r.pdf)}" download>PDF（${esc(KB(r.pdf_bytes))}）</a>`
      cells[6].innerHTML = `<a href="${esc(r.xlsx)}" download>Excel（${esc(KB(r.xlsx_bytes))}）</a>`
    })
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    const body = { from: form.elements.from.value, to: form.elements.to.value }
    const area = form.elements.area.value
    if (area) { const [level, id] = area.split(":"); body[level] = Number(id) }
    const button = form.querySelector("button")
    button.disabled = true
    msg.textContent = "正在生成，请稍候…"
    const r = await request(`${ctx.api}/reports`, { method: "POST", json: body })
    button.disabled = false
    if (!r.ok) { msg.textContent = r.error.message; return }
    msg.textContent = `已生成：${r.data.area_name} ${r.data.period_start} 至 ${r.data.period_end}`
    load()
  })

  areas()
  load()
  return { update(c) { setPeriod(c) } }
}
