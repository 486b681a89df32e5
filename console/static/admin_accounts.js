// The admin page's 账号与密钥 tab: accounts (create, edit role and jurisdiction, reset, deactivate)
// and API keys (issue, revoke); admin.js mounts it with its request helpers. A temporary password
// or a new key is shown once, here, and never again. The markup is accounts/tables.js, the
// jurisdiction inputs accounts/place.js; this file wires the tab's forms and buttons.
import { escapeHtml as esc, optionsHtml as opts } from "fq/lib/escape.js"
import { LEVEL_FIELD, levelOf, placeBody, placeInputs, syncPlace } from "fq/accounts/place.js"
import {
  PAGE, accountsHtml, keyAreasHtml, keysHtml, scopesHtml, secretBox, unitOptionsHtml,
} from "fq/accounts/tables.js"

// the inputs named by a refusal's field
const FIELD_INPUT = { unit_id: "unit", district_id: "area", street_id: "area", community_id: "area" }

function say(node, text, bad) {
  node.innerHTML = text
  node.className = `ad-msg ${bad ? "bad" : "ok"}${node.classList.contains("ac-list-msg") ? " ac-list-msg" : ""}`
}

// The tab's state: its element, request helpers, forms, and what the server last said.
function newTab(el, call, post) {
  el.innerHTML = PAGE
  return { el, call, post, data: null, keys: null, units: [], editing: null,
           newForm: el.querySelector('[data-form="account-new"]'),
           keyForm: el.querySelector('[data-form="key-new"]'),
           listMsg: el.querySelector(".ac-list-msg") }
}

async function load(tab) {
  const { el, call, newForm, keyForm } = tab
  try {
    const [a, k, u] = await Promise.all([call("/admin/accounts"), call("/admin/api-keys"), call("/admin/units")])
    tab.data = a; tab.keys = k; tab.units = u.items
  } catch (err) { say(tab.listMsg, esc(err.message), true); return }
  el.querySelector("#ac-units").innerHTML = unitOptionsHtml(tab.units)
  if (!newForm.role.options.length) {
    newForm.role.innerHTML = opts(tab.data.roles, "dispatcher")
    newForm.querySelector(".ac-place").innerHTML = placeInputs(null, tab.data, tab.units)
    syncPlace(newForm, tab.data)
    keyForm.area.innerHTML = keyAreasHtml(tab.keys)
    keyForm.querySelector(".ac-scopes").innerHTML = scopesHtml(tab.keys)
  }
  draw(tab)
}

function draw(tab) {
  const { el, data } = tab
  el.querySelector(".ac-accounts").innerHTML = accountsHtml(data, tab.units, tab.editing)
  const form = el.querySelector("form[data-account]")
  if (form) {
    const a = data.items.find((x) => x.id === tab.editing)
    syncPlace(form, data, a[LEVEL_FIELD[levelOf(a)]])
  }
  el.querySelector(".ac-keys").innerHTML = keysHtml(tab.keys, data)
}

async function createAccount(tab) {
  const { newForm, post } = tab
  const msg = newForm.querySelector(".ad-msg")
  try {
    const body = { username: newForm.username.value.trim(), role: newForm.role.value, ...placeBody(newForm, tab.units) }
    if (newForm.display_name.value.trim()) { body.display_name = newForm.display_name.value.trim() }
    if (newForm.password.value) { body.password = newForm.password.value }
    const made = await post("/admin/accounts", body)
    say(msg, `已创建账号 ${esc(made.username)}。${made.temporary_password ? secretBox("临时密码", made.temporary_password) : "首次登录须修改密码。"}`, false)
    newForm.username.value = ""; newForm.password.value = ""; newForm.display_name.value = ""; newForm.unit.value = ""
    await load(tab)
  } catch (err) {
    say(msg, esc(err.message), true)
    const bad = err.field && newForm.querySelector(`[name="${FIELD_INPUT[err.field] || err.field}"]`)
    if (bad) { bad.classList.add("ad-invalid"); bad.focus() }
  }
}

// One button of the accounts or keys table (`a`: the account of its row).
async function act(tab, b, a) {
  const { call, post, listMsg: msg } = tab
  if (b.classList.contains("ac-edit")) { tab.editing = a.id; draw(tab) }
  if (b.classList.contains("ac-cancel")) { tab.editing = null; draw(tab) }
  if (b.classList.contains("ac-save")) {
    const form = b.closest("form")
    const body = { display_name: form.display_name.value.trim() || null, role: form.role.value, ...placeBody(form, tab.units) }
    const saved = await call(`/admin/accounts/${tab.editing}`, { method: "PATCH", json: body })
    say(msg, `已保存账号 ${esc(saved.username)}`, false)
    tab.editing = null
    await load(tab)
  }
  if (b.classList.contains("ac-reset")) {
    if (!window.confirm(`重置 ${a.username} 的密码？其所有登录将立即失效，下次登录须修改密码。`)) { return }
    const r = await post(`/admin/accounts/${a.id}/reset-password`, {})
    say(msg, `已重置 ${esc(r.username)} 的密码。${secretBox("临时密码", r.temporary_password)}`, false)
    await load(tab)
  }
  if (b.classList.contains("ac-active")) {
    const r = await post(`/admin/accounts/${a.id}/${a.active ? "deactivate" : "activate"}`, {})
    say(msg, `账号 ${esc(r.username)} 已${r.active ? "启用" : "停用"}`, false)
    await load(tab)
  }
  if (b.classList.contains("ac-revoke")) {
    const id = Number(b.closest("tr").dataset.key)
    const k = tab.keys.items.find((x) => x.id === id)
    if (!window.confirm(`吊销密钥“${k.name}”？使用它的系统将立即无法访问。`)) { return }
    await post(`/admin/api-keys/${id}/revoke`, {})
    say(tab.keyForm.querySelector(".ad-msg"), `密钥“${esc(k.name)}”已吊销`, false)
    await load(tab)
  }
}

async function issueKey(tab) {
  const { keyForm, post } = tab
  const msg = keyForm.querySelector(".ad-msg")
  const area = keyForm.area.value
  const body = { name: keyForm.name.value.trim(), scopes: [...keyForm.querySelectorAll("input[name=scopes]:checked")].map((i) => i.value) }
  if (area.startsWith("d")) { body.district_id = Number(area.slice(1)) }
  if (area.startsWith("s")) { body.street_id = Number(area.slice(1)) }
  try {
    const k = await post("/admin/api-keys", body)
    say(msg, `已签发密钥“${esc(k.name)}”。${secretBox("密钥", k.key)}`, false)
    keyForm.name.value = ""
    await load(tab)
  } catch (err) { say(msg, esc(err.message), true) }
}

export function mountAccounts(el, { call, post }) {
  const tab = newTab(el, call, post)
  el.addEventListener("change", (e) => {
    const form = e.target.closest("form")
    if (form && (e.target.name === "role" || e.target.name === "level")) { syncPlace(form, tab.data) }
  })
  tab.newForm.addEventListener("submit", (e) => { e.preventDefault(); e.stopPropagation(); createAccount(tab) })
  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button")
    if (!b || b.type === "submit") { return }
    const tr = b.closest("tr[data-id]")
    try {
      await act(tab, b, tr && tab.data.items.find((x) => x.id === Number(tr.dataset.id)))
    } catch (err) { say(tab.listMsg, esc(err.message), true) }
  })
  tab.keyForm.addEventListener("submit", (e) => { e.preventDefault(); e.stopPropagation(); issueKey(tab) })
  return { show: () => load(tab) }
}
