// 案件查询 (/cases): a filter bar, the paged case list of GET /api/v1/incidents and the same
// query downloaded from /api/v1/export/incidents.csv|xlsx. The server cuts every row to the
// reader's jurisdiction and masks it; this page shows what it is given.
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { fetchFile, fetchJson } from "fq/lib/http.js"
import { LIMITS } from "fq/lib/limits.js"
import { fmtIso } from "fq/lib/time.js"

// The query string of a filter form: its non-empty fields (the API's parameter names).
export function queryOf(form) {
  const q = new URLSearchParams()
  for (const f of form.querySelectorAll("input[name], select[name]")) {
    const v = f.value.trim()
    if (v) { q.set(f.name, v) }
  }
  return q
}

export function render({ model, el }) {
  const L = model.labels
  const base = model.api_base.replace(/\/$/, "")
  const size = Math.min(model.page_size || 50, LIMITS.case_page)
  const areas = model.areas || []
  const root = document.createElement("div")
  root.className = "cl-root"
  el.appendChild(root)
  let offset = 0
  let total = 0
  const areaOpts = (level) => Object.fromEntries(areas.filter((a) => a.level === level).map((a) => [String(a.id), a.name]))
  root.innerHTML = `
    <header class="cl-head"><div class="cl-mark">枫</div><h1>案件查询</h1>
      <nav><a href="/desk">值班台</a><a href="/">一张图</a></nav></header>
    <main class="cl-main">
      <form class="cl-filters" autocomplete="off">
        <label>受理日期 <input type="date" name="from" aria-label="开始日期"> 至 <input type="date" name="to" aria-label="结束日期"></label>
        <label>街道 <select name="street">${opts(areaOpts("street"), "", "全部")}</select></label>
        <label>社区 <select name="community">${opts(areaOpts("community"), "", "全部")}</select></label>
        <label>网格 <select name="grid">${opts(areaOpts("grid"), "", "全部")}</select></label>
        <label>类别 <select name="category">${opts(L.categories, "", "全部")}</select></label>
        <label>状态 <select name="state">${opts(L.states, "", "全部")}</select></label>
        <label>渠道 <select name="channel">${opts(L.channels, "", "全部")}</select></label>
        <label>力量编号 <input type="number" name="unit" min="1" class="cl-unit"></label>
        <label>关键词 <input type="search" name="q" maxlength="${LIMITS.case_q}" placeholder="编号、标题或地址"></label>
        <label>排序 <select name="sort">${opts(L.sorts, L.default_sort)}</select></label>
        <button type="submit" class="cl-search">查询</button>
        <button type="button" class="cl-reset">重置</button>
      </form>
      <div class="cl-bar"><span class="cl-total"></span>
        <span class="cl-exports"><button type="button" data-fmt="csv">导出 CSV</button><button type="button" data-fmt="xlsx">导出 Excel</button></span></div>
      <div class="cl-msg" role="status"></div>
      <table class="cl-table"><thead><tr><th>案件编号</th><th>标题</th><th>类别</th><th>状态</th><th>渠道</th><th>区域</th><th>地址</th><th>受理时间</th><th>处置力量</th></tr></thead>
        <tbody></tbody></table>
      <div class="cl-pager"><button type="button" class="cl-prev">上一页</button><span class="cl-page"></span><button type="button" class="cl-next">下一页</button></div>
    </main>`
  const form = root.querySelector("form")
  const msg = root.querySelector(".cl-msg")
  const say = (text, bad) => { msg.textContent = text || ""; msg.className = bad ? "cl-msg bad" : "cl-msg" }

  function mark(field) {
    for (const f of form.querySelectorAll(".cl-invalid")) { f.classList.remove("cl-invalid") }
    const bad = field && form.querySelector(`[name="${field}"]`)
    if (bad) { bad.classList.add("cl-invalid"); bad.focus() }
  }
  function place(r) {
    return [r.street_name, r.community_name, r.grid_name].filter(Boolean).join(" › ")
  }
  function rowHtml(r) {
    return `<tr data-id="${esc(r.id)}"${r.masked ? " class=\"cl-masked\"" : ""}>
      <td class="cl-code"><a href="/desk?case=${esc(r.id)}">${esc(r.code)}</a></td><td>${esc(r.title)}</td>
      <td>${esc(L.categories[r.category] || r.category)}</td><td>${esc(L.states[r.state] || r.state)}</td>
      <td>${esc(L.channels[r.channel] || r.channel)}</td><td>${esc(place(r))}</td><td>${esc(r.address)}</td>
      <td class="cl-num">${esc(fmtIso(r.reported_at))}</td><td>${esc((r.units || []).join("、"))}</td></tr>`
  }
  async function load(at) {
    const q = queryOf(form)
    q.set("limit", String(size))
    q.set("offset", String(at))
    say("")
    mark(null)
    try {
      const j = await fetchJson(`${base}/incidents?${q}`)
      offset = at
      total = j.total
      root.querySelector("tbody").innerHTML = j.items.map(rowHtml).join("") ||
        `<tr><td colspan="9" class="cl-none">没有符合条件的案件</td></tr>`
      const pages = Math.max(1, Math.ceil(total / size))
      root.querySelector(".cl-total").textContent = `共 ${total} 件`
      root.querySelector(".cl-page").textContent = `第 ${Math.floor(offset / size) + 1} / ${pages} 页`
      root.querySelector(".cl-prev").disabled = offset <= 0
      root.querySelector(".cl-next").disabled = offset + size >= total
      const over = total > LIMITS.export_rows
      for (const b of root.querySelectorAll(".cl-exports button")) {
        b.disabled = over || total === 0
        b.title = over ? `超过单次导出上限 ${LIMITS.export_rows} 件，请缩小受理日期范围或增加筛选条件` : ""
      }
      if (over) { say(`共 ${total} 件，超过单次导出上限 ${LIMITS.export_rows} 件：请缩小受理日期范围或增加筛选条件后导出`) }
    } catch (err) {
      say(err.message, true)
      mark(err.field)
    }
  }
  async function download(fmt) {
    say("正在导出…")
    const got = await fetchFile(`${base}/export/incidents.${fmt}?${queryOf(form)}`)
    if (!got.ok) { say(got.error.message, true); mark(got.error.field); return }
    const a = document.createElement("a")
    a.href = URL.createObjectURL(got.blob)
    a.download = got.filename
    root.appendChild(a)
    a.click()
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove() }, 1000)
    say(`已导出 ${got.filename}`)
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); e.stopPropagation(); load(0) })
  root.querySelector(".cl-reset").addEventListener("click", () => { form.reset(); load(0) })
  root.querySelector(".cl-prev").addEventListener("click", () => load(Math.max(0, offset - size)))
  root.querySelector(".cl-next").addEventListener("click", () => load(offset + size))
  for (const b of root.querySelectorAll(".cl-exports button")) { b.addEventListener("click", () => download(b.dataset.fmt)) }
  load(0)
}
