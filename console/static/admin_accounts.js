// The admin page's 账号与密钥 tab: accounts (create, edit role and jurisdiction, reset, deactivate)
// and API keys (issue, revoke); admin.js mounts it with its request helpers. A temporary password or a new key is shown once, here, and never again.
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { LIMITS } from "fq/lib/limits.js"

const LEVEL_FIELD = { district: "district_id", street: "street_id", community: "community_id" }

export function mountAccounts(el, { call, post }) {
  let data = null
  let keys = null
  let units = []
  let editing = null
  const send = (method, path, body) => call(path, { method, json: body })

  function levelOf(a) {
    if (a.role === "field") { return "grid" }
    if (a.community_id) { return "community" }
    if (a.street_id) { return "street" }
    if (a.district_id) { return "district" }
    return "city"
  }
  const areaName = (kind, id) => ((data.areas[kind] || []).find((x) => x.id === id) || {}).name || (id ? `#${id}` : "")
  function placeOf(a) {
    const lv = levelOf(a)
    if (lv === "city") { return "全市" }
    if (lv === "grid") {
      const u = units.find((x) => x.id === a.unit_id)
      return `单位 ${u ? `${u.code} ${u.name}` : `#${a.unit_id}`}`
    }
    const kind = { district: "districts", street: "streets", community: "communities" }[lv]
    return `${data.levels[lv]}：${areaName(kind, a[LEVEL_FIELD[lv]])}`
  }
  // the jurisdiction inputs of a form: a level, then an area of that level, or a unit for field staff
  function placeInputs(a) {
    const lv = a ? levelOf(a) : "city"
    const levels = Object.fromEntries(Object.entries(data.levels).filter(([k]) => k !== "grid"))
    return `<label>辖区层级 <select name="level">${opts(levels, lv === "grid" ? "city" : lv)}</select></label>
      <label class="ac-area">辖区 <select name="area"></select></label>
      <label class="ac-unit">绑定单位 <input name="unit" list="ac-units" placeholder="输入编号或姓名选择" value="${a && a.unit_id ? esc(unitLabel(a.unit_id)) : ""}"></label>`
  }
  const unitLabel = (id) => { const u = units.find((x) => x.id === id); return u ? `${u.code} ${u.name}` : String(id) }
  function syncPlace(form, chosen) {
    const role = form.role.value
    const lv = form.level.value
    form.querySelector(".ac-unit").hidden = role !== "field"
    form.querySelector(".ac-area").hidden = role === "field" || lv === "city"
    form.level.closest("label").hidden = role === "field" || role === "admin"
    const kind = { district: "districts", street: "streets", community: "communities" }[lv]
    const sel = form.area
    if (kind) {
      const items = data.areas[kind] || []
      sel.innerHTML = items.map((x) => `<option value="${x.id}"${String(chosen) === String(x.id) ? " selected" : ""}>${esc(x.name)}</option>`).join("")
    } else { sel.innerHTML = "" }
  }
  function placeBody(form) {
    const body = { district_id: null, street_id: null, community_id: null, grid_id: null, unit_id: null }
    const role = form.role.value
    if (role === "field") {
      const text = form.unit.value.trim()
      const u = units.find((x) => `${x.code} ${x.name}` === text || x.code === text || String(x.id) === text)
      if (text && !u) { throw Object.assign(new Error(`找不到单位“${text}”：请从列表中选择`), { field: "unit_id" }) }
      body.unit_id = u ? u.id : null
    } else if (role !== "admin" && form.level.value !== "city" && form.area.value) {
      body[LEVEL_FIELD[form.level.value]] = Number(form.area.value)
    }
    return body
  }

  el.innerHTML = `
    <form class="ad-card" data-form="account-new">
      <h2>新建账号</h2>
      <p class="ad-help">角色决定能做什么，辖区决定能看到哪里：全市、区县、街道或社区；网格员/外勤绑定到一个处置单位（其网格即辖区，登录后直接打开该单位的移动端）。不填密码则生成临时密码；无论哪种，首次登录都须修改密码。密码至少 10 位，不能是或包含用户名，不能是常用密码。</p>
      <div class="ad-row">
        <label>用户名 <input name="username" required maxlength="${LIMITS.username}" placeholder="字母、数字、_ . -"></label>
        <label>姓名 <input name="display_name" maxlength="${LIMITS.name}"></label>
        <label>角色 <select name="role"></select></label>
      </div>
      <div class="ad-row ac-place"></div>
      <div class="ad-row"><label>初始密码 <input name="password" type="password" autocomplete="new-password" placeholder="留空则生成临时密码"></label>
        <button type="submit">创建账号</button></div>
      <div class="ad-msg" role="status"></div>
    </form>
    <div class="ad-card">
      <h2>账号</h2>
      <div class="ad-msg ac-list-msg" role="status"></div>
      <div class="ac-accounts"></div>
    </div>
    <form class="ad-card" data-form="key-new">
      <h2>接入密钥</h2>
      <p class="ad-help">供外部系统（12345 热线、终端、数据平台）调用接口，按权限范围授权，可限定区县或街道。密钥只在签发时显示一次，服务器只保存其摘要；吊销后立即失效。</p>
      <div class="ad-row"><label>名称 <input name="name" required maxlength="${LIMITS.key_name}" placeholder="接入方，如 12345热线"></label>
        <label>限定 <select name="area"></select></label></div>
      <div class="ad-chips ac-scopes"></div>
      <div class="ad-row"><button type="submit">签发密钥</button></div>
      <div class="ad-msg" role="status"></div>
    </form>
    <div class="ad-card"><h2>已签发的密钥</h2><div class="ac-keys"></div></div>
    <datalist id="ac-units"></datalist>`
  const newForm = el.querySelector('[data-form="account-new"]')
  const keyForm = el.querySelector('[data-form="key-new"]')
  const say = (node, text, bad) => { node.innerHTML = text; node.className = `ad-msg ${bad ? "bad" : "ok"}${node.classList.contains("ac-list-msg") ? " ac-list-msg" : ""}` }
  const secretBox = (label, value) => `${esc(label)}：<code class="ac-secret">${esc(value)}</code>（只显示这一次，请当面或安全渠道转交）`

  async function load() {
    try {
      const [a, k, u] = await Promise.all([call("/admin/accounts"), call("/admin/api-keys"), call("/admin/units")])
      data = a; keys = k; units = u.items
    } catch (err) { say(el.querySelector(".ac-list-msg"), esc(err.message), true); return }
    el.querySelector("#ac-units").innerHTML = units.map((x) => `<option value="${esc(`${x.code} ${x.name}`)}"></option>`).join("")
    if (!newForm.role.options.length) {
      newForm.role.innerHTML = opts(data.roles, "dispatcher")
      newForm.querySelector(".ac-place").innerHTML = placeInputs(null)
      syncPlace(newForm)
      keyForm.area.innerHTML = `<option value="">全市</option>` +
        keys.areas.districts.map((d) => `<option value="d${d.id}">区县：${esc(d.name)}</option>`).join("") +
        keys.areas.streets.map((s) => `<option value="s${s.id}">街道：${esc(s.name)}</option>`).join("")
      keyForm.querySelector(".ac-scopes").innerHTML = "<span>权限范围</span>" + Object.entries(keys.scopes).map(([k, v]) => (
        `<label class="ad-chip"><input type="checkbox" name="scopes" value="${esc(k)}">${esc(k)} · ${esc(v)}</label>`)).join("")
    }
    draw()
  }

  function draw() {
    const rows = data.items.map((a) => {
      const state = !a.active ? `<span class="ad-st st-off_duty">已停用</span>` : a.must_change_password ? `<span class="ad-st st-busy">待改密</span>` : `<span class="ad-st st-available">启用</span>`
      const row = `<tr data-id="${a.id}"><td>${esc(a.username)}</td><td>${esc(a.display_name || "")}</td><td>${esc(data.roles[a.role] || a.role)}</td>
        <td>${esc(placeOf(a))}</td><td>${state}</td>
        <td class="ac-acts"><button type="button" class="ac-edit">编辑</button> <button type="button" class="ac-reset ad-cancel">重置密码</button>
          <button type="button" class="ac-active ad-cancel">${a.active ? "停用" : "启用"}</button></td></tr>`
      if (editing !== a.id) { return row }
      return row + `<tr class="ad-editor"><td colspan="6"><form data-account="${a.id}">
        <div class="ad-row"><label>姓名 <input name="display_name" value="${esc(a.display_name || "")}" maxlength="${LIMITS.name}"></label>
          <label>角色 <select name="role">${opts(data.roles, a.role)}</select></label></div>
        <div class="ad-row">${placeInputs(a)}</div>
        <div class="ad-row"><button type="button" class="ac-save">保存</button><button type="button" class="ad-cancel ac-cancel">取消</button></div></form></td></tr>`
    }).join("")
    el.querySelector(".ac-accounts").innerHTML = `<table class="ad-table"><thead><tr><th>用户名</th><th>姓名</th><th>角色</th><th>辖区</th><th>状态</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    const form = el.querySelector("form[data-account]")
    if (form) {
      const a = data.items.find((x) => x.id === editing)
      syncPlace(form, a[LEVEL_FIELD[levelOf(a)]])
    }
    const areaOf = (k) => (k.district_id ? `区县：${areaName("districts", k.district_id)}` : k.street_id ? `街道：${areaName("streets", k.street_id)}` : "全市")
    el.querySelector(".ac-keys").innerHTML = `<table class="ad-table"><thead><tr><th>名称</th><th>权限范围</th><th>限定</th><th>前缀</th><th>签发</th><th>状态</th><th></th></tr></thead><tbody>${
      keys.items.map((k) => `<tr data-key="${k.id}"><td>${esc(k.name)}</td><td>${esc((k.scopes || []).join("、"))}</td><td>${esc(areaOf(k))}</td>
        <td><code>${esc(k.key_prefix || "")}…</code></td><td>${esc(k.created_by || "")} ${esc(String(k.created_at || "").slice(0, 16))}</td>
        <td>${k.active ? `<span class="ad-st st-available">有效</span>` : `<span class="ad-st st-off_duty">已吊销</span>`}</td>
        <td>${k.active ? `<button type="button" class="ac-revoke ad-cancel">吊销</button>` : ""}</td></tr>`).join("")}</tbody></table>`
  }

  el.addEventListener("change", (e) => {
    const form = e.target.closest("form")
    if (form && (e.target.name === "role" || e.target.name === "level")) { syncPlace(form) }
  })
  newForm.addEventListener("submit", async (e) => {
    e.preventDefault()
    e.stopPropagation()
    const msg = newForm.querySelector(".ad-msg")
    try {
      const body = { username: newForm.username.value.trim(), role: newForm.role.value, ...placeBody(newForm) }
      if (newForm.display_name.value.trim()) { body.display_name = newForm.display_name.value.trim() }
      if (newForm.password.value) { body.password = newForm.password.value }
      const made = await post("/admin/accounts", body)
      say(msg, `已创建账号 ${esc(made.username)}。${made.temporary_password ? secretBox("临时密码", made.temporary_password) : "首次登录须修改密码。"}`, false)
      newForm.username.value = ""; newForm.password.value = ""; newForm.display_name.value = ""; newForm.unit.value = ""
      await load()
    } catch (err) {
      say(msg, esc(err.message), true)
      const bad = err.field && newForm.querySelector(`[name="${{ unit_id: "unit", district_id: "area", street_id: "area", community_id: "area" }[err.field] || err.field}"]`)
      if (bad) { bad.classList.add("ad-invalid"); bad.focus() }
    }
  })
  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button")
    if (!b || b.type === "submit") { return }
    const tr = b.closest("tr[data-id]")
    const msg = el.querySelector(".ac-list-msg")
    const a = tr && data.items.find((x) => x.id === Number(tr.dataset.id))
    try {
      if (b.classList.contains("ac-edit")) { editing = a.id; draw() }
      if (b.classList.contains("ac-cancel")) { editing = null; draw() }
      if (b.classList.contains("ac-save")) {
        const form = b.closest("form")
        const body = { display_name: form.display_name.value.trim() || null, role: form.role.value, ...placeBody(form) }
        const saved = await send("PATCH", `/admin/accounts/${editing}`, body)
        say(msg, `已保存账号 ${esc(saved.username)}`, false)
        editing = null
        await load()
      }
      if (b.classList.contains("ac-reset")) {
        if (!window.confirm(`重置 ${a.username} 的密码？其所有登录将立即失效，下次登录须修改密码。`)) { return }
        const r = await post(`/admin/accounts/${a.id}/reset-password`, {})
        say(msg, `已重置 ${esc(r.username)} 的密码。${secretBox("临时密码", r.temporary_password)}`, false)
        await load()
      }
      if (b.classList.contains("ac-active")) {
        const r = await post(`/admin/accounts/${a.id}/${a.active ? "deactivate" : "activate"}`, {})
        say(msg, `账号 ${esc(r.username)} 已${r.active ? "启用" : "停用"}`, false)
        await load()
      }
      if (b.classList.contains("ac-revoke")) {
        const id = Number(b.closest("tr").dataset.key)
        const k = keys.items.find((x) => x.id === id)
        if (!window.confirm(`吊销密钥“${k.name}”？使用它的系统将立即无法访问。`)) { return }
        await post(`/admin/api-keys/${id}/revoke`, {})
        say(keyForm.querySelector(".ad-msg"), `密钥“${esc(k.name)}”已吊销`, false)
        await load()
      }
    } catch (err) { say(msg, esc(err.message), true) }
  })
  keyForm.addEventListener("submit", async (e) => {
    e.preventDefault()
    e.stopPropagation()
    const msg = keyForm.querySelector(".ad-msg")
    const area = keyForm.area.value
    const body = { name: keyForm.name.value.trim(), scopes: [...keyForm.querySelectorAll("input[name=scopes]:checked")].map((i) => i.value) }
    if (area.startsWith("d")) { body.district_id = Number(area.slice(1)) }
    if (area.startsWith("s")) { body.street_id = Number(area.slice(1)) }
    try {
      const k = await post("/admin/api-keys", body)
      say(msg, `已签发密钥“${esc(k.name)}”。${secretBox("密钥", k.key)}`, false)
      keyForm.name.value = ""
      await load()
    } catch (err) { say(msg, esc(err.message), true) }
  })
  return { show: load }
}
