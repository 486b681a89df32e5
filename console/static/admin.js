// The admin page (管理): territory import, units roster, dispatch policy. Every change is a
// request to /api/v1/admin/...; the server runs the import functions and domain commands and
// its Chinese answer (located problems, counts, the stored policy) is shown as it comes.
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { fetchJson } from "fq/lib/http.js"
import { LIMITS } from "fq/lib/limits.js"
import { mountAccounts } from "fq/admin_accounts.js"
import { mountAudit } from "fq/admin_audit.js"
import { mountMediators } from "fq/admin_mediators.js"
import { peopleChanges, peopleFieldsets } from "fq/admin_people_policy.js"
import { mountReplica } from "fq/admin_replica.js"
import { mountOutbox } from "fq/admin_outbox.js"

const CRS = { "": "WGS-84（默认）", gcj02: "GCJ-02（火星坐标）", bd09: "BD-09（百度）", cgcs2000: "CGCS2000" }

export function render({ model, el }) {
  const L = model.labels
  const base = model.api_base.replace(/\/$/, "")
  const root = document.createElement("div")
  root.className = "ad-root"
  el.appendChild(root)
  let tab = "import"
  let units = []
  let editing = null
  let policy = null

  // fetchJson throws the API's own reason; its .field names the field, .body is the answer.
  const call = (path, init) => fetchJson(`${base}${path}`, init)
  const post = (path, body) => call(path, { method: "POST", json: body })

  root.innerHTML = `
    <header class="ad-head"><div class="ad-mark">枫</div><h1>平台管理</h1>
      <nav class="ad-tabs">
        <button data-tab="import">辖区导入</button><button data-tab="units">力量名册</button>
        <button data-tab="policy">派单策略</button><button data-tab="accounts">账号与密钥</button><button data-tab="audit">审计日志</button>
        <button data-tab="mediators">调解员档案</button><button data-tab="outbox">通知与 Webhook</button>
      </nav>
      ${model.exports ? `<a class="ad-export" href="${base}/export/wall.png" target="_blank">导出大屏 PNG</a>` : ""}
      <a class="ad-export" href="/posters" target="_blank">扫码说事海报</a>
      <a class="ad-home" href="/">返回一张图</a></header>
    <p class="ad-replica" role="status"></p>
    <main class="ad-main">
      <section data-pane="import"></section><section data-pane="units"></section><section data-pane="policy"></section><section data-pane="accounts"></section><section data-pane="audit"></section><section data-pane="mediators"></section><section data-pane="outbox"></section>
    </main>`
  const pane = (name) => root.querySelector(`[data-pane="${name}"]`)
  const audit = mountAudit(pane("audit"), { call, base, L }) // admin_audit.js
  const accounts = mountAccounts(pane("accounts"), { call, post }) // admin_accounts.js
  const mediators = mountMediators(pane("mediators"), { call, L }) // admin_mediators.js
  mountReplica(root.querySelector(".ad-replica"), { base }) // admin_replica.js: the read side
  const outbox = mountOutbox(pane("outbox"), { call, post }) // admin_outbox.js

  function show(name) {
    tab = name
    for (const b of root.querySelectorAll(".ad-tabs button")) { b.classList.toggle("on", b.dataset.tab === name) }
    for (const s of root.querySelectorAll("[data-pane]")) { s.hidden = s.dataset.pane !== name }
    if (name === "units") { loadUnits() }
    if (name === "policy") { loadPolicy() }
    if (name === "audit") { audit.show() }
    if (name === "accounts") { accounts.show() }
    if (name === "mediators") { mediators.show() }
    if (name === "outbox") { outbox.show() }
  }
  root.querySelector(".ad-tabs").addEventListener("click", (e) => { const b = e.target.closest("button"); if (b) { show(b.dataset.tab) } })

  // ---- territory import --------------------------------------------------------------------
  const levelInputs = Object.entries(L.levels).map(([k, v]) => (
    `<label class="ad-file">${esc(v)}<input type="file" name="${esc(k)}" accept=".geojson,.json,.gpkg,.zip"></label>`)).join("")
  const DRY = `<button type="submit" name="dry_run" value="1" class="ad-dry">仅校验</button>`
  pane("import").innerHTML = `
    <form class="ad-card" data-form="areas">
      <h2>区划导入（街道、社区、网格、微网格、警格）</h2>
      <p class="ad-help">每个层级一个 GeoJSON / GeoPackage 文件，或 Shapefile 打包成 zip；也可把各层文件（按层级命名，如 streets.geojson、网格.shp）打成一个压缩包。先整体校验（空隙、重叠、越界、重复编码），有任何问题即拒绝，不写入任何数据。</p>
      <div class="ad-files">${levelInputs}<label class="ad-file">整包 zip<input type="file" name="bundle" accept=".zip"></label></div>
      <div class="ad-row"><label>坐标系 <select name="crs">${opts(CRS, "")}</select></label>
        <label class="ad-check"><input type="checkbox" name="force" value="1"> 清空后导入（删除现有事件、力量、账号、地址库与场所；不勾选时全部保留，并按新区划重新归属）</label>
        <button type="submit">校验并导入</button>${DRY}</div>
      <div class="ad-result"></div>
    </form>
    <form class="ad-card" data-form="roads">
      <h2>路网导入</h2>
      <p class="ad-help">道路线（GeoJSON / GeoPackage / zip 打包的 Shapefile），替换现有路网。</p>
      <div class="ad-row"><label class="ad-file">路网文件<input type="file" name="file" accept=".geojson,.json,.gpkg,.zip"></label>
        <label>坐标系 <select name="crs">${opts(CRS, "")}</select></label><button type="submit">校验并导入</button>${DRY}</div>
      <div class="ad-result"></div>
    </form>
    <form class="ad-card" data-form="addresses">
      <h2>标准地址库导入</h2>
      <p class="ad-help">CSV / XLSX / GeoJSON / GeoPackage：标准地址、经度、纬度（可选 坐标系 列：WGS84、GCJ02、BD09；可选 道路、门牌号、小区、楼栋、单元）。逐行校验（无法解析、经纬度填反、不在辖区内、重复），有问题即拒绝；导入后地址检索立即使用新地址库，无需重启。</p>
      <div class="ad-row"><label class="ad-file">地址库文件<input type="file" name="file" accept=".csv,.xlsx,.geojson,.json,.gpkg"></label>
        <label>坐标系 <select name="crs">${opts(CRS, "")}</select></label><button type="submit">校验并导入</button>${DRY}</div>
      <div class="ad-result"></div>
    </form>
    <form class="ad-card" data-form="facilities">
      <h2>服务场所导入（综治中心、矛调中心、调解室、调解工作室、警务室、派出所、法官工作室、巡回审判点）</h2>
      <p class="ad-help">CSV / XLSX / GeoJSON / GeoPackage：类型、名称、经度、纬度（可选 编号、地址、开放时间、联系电话、层级、坐标系）。按编号新增或更新。</p>
      <div class="ad-row"><label class="ad-file">场所文件<input type="file" name="file" accept=".csv,.xlsx,.geojson,.json,.gpkg"></label>
        <label>坐标系 <select name="crs">${opts(CRS, "")}</select></label><button type="submit">校验并导入</button>${DRY}</div>
      <div class="ad-result"></div>
    </form>`

  function problemsHtml(err) {
    const problems = err.body?.problems || []
    const rows = problems.map((p) => `<tr><td>${esc(p.layer)}</td><td>${esc(p.code || "")}</td><td>${esc(p.message)}</td>
      <td class="ad-num">${p.lon != null ? `${Number(p.lon).toFixed(6)}, ${Number(p.lat).toFixed(6)}` : ""}</td>
      <td class="ad-num">${p.area_m2 != null ? `${Number(p.area_m2).toFixed(1)} ㎡` : ""}</td></tr>`).join("")
    return `<div class="ad-bad" role="alert"><strong>${esc(err.message)}</strong>${rows ? `
      <table class="ad-table ad-problems"><thead><tr><th>图层</th><th>编码</th><th>问题</th><th>位置（经度, 纬度）</th><th>面积</th></tr></thead>
      <tbody>${rows}</tbody></table>` : ""}</div>`
  }
  const COUNT_LABELS = { streets: "街道", communities: "社区", grids: "网格", micro_grids: "微网格", police_grids: "警格",
    districts: "区县", road_edges: "路段", road_nodes: "路口", facilities: "设施", units_added: "新增人员", units_updated: "更新人员" }
  Object.assign(COUNT_LABELS, { rows: "地址行", addr_roads: "道路", door_ranges: "门牌段", compounds: "小区",
    buildings: "楼栋", places: "地名", addresses: "标准地址", network_roads: "路网补充道路", search_names: "检索名称",
    facilities_added: "新增场所", facilities_updated: "更新场所", units: "人员",
    incidents_relocated: "重新定位的事件", incidents_outside: "落在新辖区外的事件", units_relocated: "重新归属的力量",
    chains_kept: "保留原归属记录的事件", moved: "迁移明细（原街道 → 新街道）", incident: "事件", unit: "力量" })
  const countsHtml = (j) => `<div class="ad-ok" role="status">${j.dry_run ? "校验通过（仅校验，未写入）" : "导入成功"}：${esc(j.imported)}<ul>${Object.entries(j.counts || {})
    .map(([k, v]) => `<li>${esc(COUNT_LABELS[k] || k)}：${v && typeof v === "object"
      ? `<ul>${Object.entries(v).map(([a, b]) => `<li>${esc(a)}：${b && typeof b === "object"
        ? Object.entries(b).map(([m, n]) => `${esc(m)} <b>${esc(n)}</b>`).join("；") : `<b>${esc(b)}</b>`}</li>`).join("")}</ul>`
      : `<b>${esc(v)}</b>`}</li>`).join("")}</ul></div>`

  async function upload(form, kind, dry) {
    const out = form.querySelector(".ad-result")
    const data = new FormData()
    for (const input of form.querySelectorAll("input[type=file]")) { if (input.files[0]) { data.append(input.name, input.files[0]) } }
    const crs = form.querySelector("select[name=crs]")
    if (crs && crs.value) { data.append("crs", crs.value) }
    const force = form.querySelector("input[name=force]")
    if (force && force.checked && !dry) { data.append("force", "1") }
    if (dry) { data.append("dry_run", "1") }
    out.innerHTML = `<div class="ad-wait">正在校验…</div>`
    try {
      const j = await call(`/admin/import/${kind}`, { method: "POST", body: data })
      out.innerHTML = countsHtml(j)
      if (kind === "units" && !dry) { loadUnits() }
    } catch (err) { out.innerHTML = problemsHtml(err) }
  }
  root.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-form]")
    if (!form) { return }
    e.preventDefault()
    if (form.dataset.form === "policy") { savePolicy(form) } else { upload(form, form.dataset.form, e.submitter?.name === "dry_run") }
  })

  // ---- units roster ------------------------------------------------------------------------
  pane("units").innerHTML = `
    <form class="ad-card" data-form="units">
      <h2>名册导入（CSV / XLSX）</h2>
      <p class="ad-help">按编号新增或更新；表头可用中文（编号、姓名、类型、电话、专长、语言、所属社区、所属网格、所属警格、所属街道、班次、容量）；网格、社区、警格、街道可填编码或页面显示的名称（重名的网格请同时填所属社区）。未知的列会报出。整表校验，有问题即拒绝。</p>
      <div class="ad-row"><label class="ad-file">名册文件<input type="file" name="file" accept=".csv,.xlsx"></label><button type="submit">校验并导入</button>${DRY}</div>
      <div class="ad-result"></div>
    </form>
    <div class="ad-card">
      <h2>处置力量</h2>
      <div class="ad-row ad-filters">
        <label>状态 <select name="status">${opts(L.unit_statuses, "", "全部")}</select></label>
        <label>类型 <select name="type">${opts(L.unit_types, "", "全部")}</select></label>
        <label>姓名/编号 <input name="q" type="search" placeholder="输入后回车"></label>
        <span class="ad-total"></span>
      </div>
      <div class="ad-msg" role="status"></div>
      <div class="ad-units"></div>
    </div>`
  const filters = pane("units").querySelector(".ad-filters")
  filters.addEventListener("change", () => loadUnits())

  async function loadUnits() {
    const q = new URLSearchParams()
    for (const f of filters.querySelectorAll("select, input")) { if (f.value) { q.set(f.name, f.value) } }
    try {
      const j = await call(`/admin/units?${q}`)
      units = j.items
      pane("units").querySelector(".ad-total").textContent = `共 ${j.total} 人`
    } catch (err) { units = []; unitMsg(err.message, true) }
    drawUnits()
  }
  function unitMsg(text, bad) {
    const m = pane("units").querySelector(".ad-msg")
    m.textContent = text
    m.className = `ad-msg ${bad ? "bad" : "ok"}`
  }
  const checks = (name, map, chosen) => Object.entries(map).map(([k, v]) => (
    `<label class="ad-chip"><input type="checkbox" name="${name}" value="${esc(k)}"${(chosen || []).includes(k) ? " checked" : ""}>${esc(v)}</label>`)).join("")

  function drawUnits() {
    // a reload while an editor is open keeps what the administrator has typed in it
    const openRow = pane("units").querySelector("tr.ad-editor")
    const keep = openRow && Number(openRow.querySelector("form").dataset.unit) === editing ? openRow : null
    const rows = units.slice(0, 300).map((u) => {
      const row = `<tr data-id="${u.id}"><td>${esc(u.code)}</td><td>${esc(u.name)}</td><td>${esc(L.unit_types[u.type] || u.type)}</td>
        <td><span class="ad-st st-${esc(u.status)}">${esc(L.unit_statuses[u.status] || u.status)}</span></td>
        <td class="ad-num">${esc(u.active_assignments)} / ${esc(u.capacity)}</td>
        <td>${esc((u.skills || []).map((s) => L.categories[s] || s).join("、"))}</td>
        <td>${esc((u.languages || []).map((s) => L.languages[s] || s).join("、"))}</td>
        <td><button class="ad-edit" data-id="${u.id}">编辑</button></td></tr>`
      if (editing !== u.id) { return row }
      return row + `<tr class="ad-editor"><td colspan="8"><form data-unit="${u.id}">
        <div class="ad-row"><label>状态 <select name="status">${opts(L.unit_statuses, u.status)}</select></label>
          <label>容量 <input name="capacity" type="number" min="1" max="${LIMITS.unit_capacity}" value="${esc(u.capacity)}"></label>
          <label>变更原因 <input name="reason" placeholder="如：请假、借调"></label></div>
        <div class="ad-chips"><span>调解专长</span>${checks("skills", L.categories, u.skills)}</div>
        <div class="ad-chips"><span>语言</span>${checks("languages", L.languages, u.languages)}</div>
        <div class="ad-row"><button type="button" class="ad-save-unit" data-id="${u.id}">保存</button>
          <button type="button" class="ad-cancel">取消</button></div></form></td></tr>`
    }).join("")
    pane("units").querySelector(".ad-units").innerHTML = `<table class="ad-table"><thead><tr><th>编号</th><th>姓名</th><th>类型</th><th>状态</th>
      <th>在办/容量</th><th>专长</th><th>语言</th><th></th></tr></thead><tbody>${rows}</tbody></table>
      ${units.length > 300 ? `<div class="ad-help">仅显示前 300 人，请用筛选缩小范围</div>` : ""}`
    const fresh = keep && pane("units").querySelector("tr.ad-editor")
    if (fresh) { fresh.replaceWith(keep) }
  }
  pane("units").addEventListener("click", async (e) => {
    const b = e.target.closest("button")
    if (!b) { return }
    if (b.classList.contains("ad-edit")) { editing = Number(b.dataset.id); drawUnits() }
    if (b.classList.contains("ad-cancel")) { editing = null; drawUnits() }
    if (b.classList.contains("ad-save-unit")) {
      const form = b.closest("form")
      const u = units.find((x) => x.id === Number(b.dataset.id))
      const body = { reason: form.reason.value || null }
      if (form.status.value !== u.status) { body.status = form.status.value }
      if (Number(form.capacity.value) !== u.capacity) { body.capacity = Number(form.capacity.value) }
      const picked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value)
      const skills = picked("skills"), langs = picked("languages")
      const same = (a, b) => [...a].sort().join() === [...(b || [])].sort().join()
      if (!same(skills, u.skills)) { body.skills = skills }
      if (!same(langs, u.languages)) { body.languages = langs }
      try {
        await post(`/admin/units/${u.id}`, body)
        unitMsg(`已保存 ${u.name}（${u.code}）`, false)
        editing = null
        await loadUnits()
      } catch (err) {
        unitMsg(err.body?.problems ? err.body.problems.map((p) => p.message).join("；") : err.message, true)
      }
    }
  })

  // ---- dispatch policy ---------------------------------------------------------------------
  async function loadPolicy() {
    try { policy = (await call("/admin/policy")).policy; drawPolicy("") } catch (err) { drawPolicy(err.message, true) }
  }
  function drawPolicy(message, bad) {
    const p = policy
    if (!p) { pane("policy").innerHTML = `<div class="ad-bad">${esc(message)}</div>`; return }
    const sign = Object.entries(L.priorities).map(([k, v]) => `<label>${esc(v)} <input name="sign_minutes.${k}" type="number" min="1" value="${esc(p.sign_minutes[k])}"> 分钟</label>`).join("")
    const close = Object.entries(L.difficulties).map(([k, v]) => `<label>${esc(v)} <input name="close_days.${k}" type="number" min="1" value="${esc(p.close_days[k])}"> 天</label>`).join("")
    const rule = (cat) => p.auto_dispatch[cat] ?? p.auto_dispatch["*"] ?? []
    const autoRows = [["*", "默认（未单列类别）"], ...Object.entries(L.categories)].map(([cat, label]) => (
      `<tr><th>${esc(label)}</th>${Object.keys(L.priorities).map((pr) => (
        `<td><input type="checkbox" name="auto.${esc(cat)}" value="${pr}"${rule(cat).map(String).includes(pr) ? " checked" : ""} aria-label="${esc(label)} ${esc(L.priorities[pr])}"></td>`)).join("")}</tr>`)).join("")
    pane("policy").innerHTML = `<form class="ad-card" data-form="policy" novalidate>
      <h2>派单策略</h2>
      <div class="ad-msg ${message ? (bad ? "bad" : "ok") : ""}" role="status">${esc(message)}</div>
      <fieldset><legend>签收时限（按优先级）</legend><div class="ad-row">${sign}</div></fieldset>
      <fieldset><legend>办结时限（“3715”，按难度）</legend><div class="ad-row">${close}</div></fieldset>
      <fieldset><legend>预警与位置</legend><div class="ad-row">
        <label>预警比例 <input name="warn_share" type="number" step="1" min="1" max="99" value="${Math.round(p.warn_share * 100)}"> %（用去该比例的时限即预警）</label>
        <label>位置过期 <input name="stale_position_s" type="number" min="1" value="${Math.round(p.stale_position_s / 60)}"> 分钟</label></div>
        <div class="ad-row"><label class="ad-check"><input type="checkbox" name="reassign_on_sign_expiry"${p.reassign_on_sign_expiry ? " checked" : ""}> 签收超时自动改派</label>
        <label class="ad-check"><input type="checkbox" name="escalate_on_red"${p.escalate_on_red ? " checked" : ""}> 红色督办后自动上报</label></div></fieldset>
      <fieldset><legend>自动派单（勾选的优先级由系统直接派给首选力量）</legend>
        <table class="ad-table ad-auto"><thead><tr><th>类别</th>${Object.values(L.priorities).map((v) => `<th>${esc(v)}</th>`).join("")}</tr></thead><tbody>${autoRows}</tbody></table></fieldset>
      ${peopleFieldsets(p)}
      <div class="ad-row"><label>修改原因 <input name="reason" placeholder="如：节假日调整"></label><button type="submit">保存策略</button></div>
    </form>`
  }
  async function savePolicy(form) {
    const num = (name) => Number(form.querySelector(`[name="${name}"]`).value)
    const changes = {
      sign_minutes: Object.fromEntries(Object.keys(L.priorities).map((k) => [k, num(`sign_minutes.${k}`)])),
      close_days: Object.fromEntries(Object.keys(L.difficulties).map((k) => [k, num(`close_days.${k}`)])),
      warn_share: num("warn_share") / 100,
      stale_position_s: Math.round(num("stale_position_s") * 60),
      reassign_on_sign_expiry: form.reassign_on_sign_expiry.checked,
      escalate_on_red: form.escalate_on_red.checked,
      auto_dispatch: Object.fromEntries(["*", ...Object.keys(L.categories)].map((cat) => [cat,
        [...form.querySelectorAll(`input[name="auto.${cat}"]:checked`)].map((i) => Number(i.value))])),
      ...peopleChanges(form),
    }
    try {
      policy = (await post("/admin/policy", { changes, reason: form.reason.value || null })).policy
      drawPolicy(`策略已保存并生效（${new Date().toLocaleTimeString("zh-CN")}）`, false)
    } catch (err) {
      drawPolicy(err.message, true)
      const bad = err.field && pane("policy").querySelector(`[name^="${err.field}"]`)
      if (bad) { bad.classList.add("ad-invalid"); bad.focus() }
    }
  }

  show(tab)
}
