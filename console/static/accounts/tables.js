// The admin's 账号与密钥 tab as markup: the page's forms, the accounts table (with the open
// editor's row), the keys table, and the key form's areas and scopes. Escaped text only; pure
// (tests/js).
import { escapeHtml as esc, optionsHtml as opts } from "../lib/escape.js"
import { areaName, placeInputs, placeOf } from "./place.js"
import { LIMITS } from "../lib/limits.js"

export const PAGE = `
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

// secretBox(label, value) -> a temporary password or new key, shown once.
export const secretBox = (label, value) => `${esc(label)}：<code class="ac-secret">${esc(value)}</code>（只显示这一次，请当面或安全渠道转交）`

function accountState(a) {
  if (!a.active) { return `<span class="ad-st st-off_duty">已停用</span>` }
  return a.must_change_password ? `<span class="ad-st st-busy">待改密</span>` : `<span class="ad-st st-available">启用</span>`
}

// accountsHtml(data, units, editing) -> the accounts table; the account `editing` has its editor.
export function accountsHtml(data, units, editing) {
  const rows = data.items.map((a) => {
    const row = `<tr data-id="${a.id}"><td>${esc(a.username)}</td><td>${esc(a.display_name || "")}</td><td>${esc(data.roles[a.role] || a.role)}</td>
        <td>${esc(placeOf(a, data, units))}</td><td>${accountState(a)}</td>
        <td class="ac-acts"><button type="button" class="ac-edit">编辑</button> <button type="button" class="ac-reset ad-cancel">重置密码</button>
          <button type="button" class="ac-active ad-cancel">${a.active ? "停用" : "启用"}</button></td></tr>`
    if (editing !== a.id) { return row }
    return row + `<tr class="ad-editor"><td colspan="6"><form data-account="${a.id}">
        <div class="ad-row"><label>姓名 <input name="display_name" value="${esc(a.display_name || "")}" maxlength="${LIMITS.name}"></label>
          <label>角色 <select name="role">${opts(data.roles, a.role)}</select></label></div>
        <div class="ad-row">${placeInputs(a, data, units)}</div>
        <div class="ad-row"><button type="button" class="ac-save">保存</button><button type="button" class="ad-cancel ac-cancel">取消</button></div></form></td></tr>`
  }).join("")
  return `<table class="ad-table"><thead><tr><th>用户名</th><th>姓名</th><th>角色</th><th>辖区</th><th>状态</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}

// keysHtml(keys, data) -> the issued keys' table (a revoke button on the active ones).
export function keysHtml(keys, data) {
  const areaOf = (k) => (k.district_id ? `区县：${areaName(data, "districts", k.district_id)}` : k.street_id ? `街道：${areaName(data, "streets", k.street_id)}` : "全市")
  return `<table class="ad-table"><thead><tr><th>名称</th><th>权限范围</th><th>限定</th><th>前缀</th><th>签发</th><th>状态</th><th></th></tr></thead><tbody>${
    keys.items.map((k) => `<tr data-key="${k.id}"><td>${esc(k.name)}</td><td>${esc((k.scopes || []).join("、"))}</td><td>${esc(areaOf(k))}</td>
        <td><code>${esc(k.key_prefix || "")}…</code></td><td>${esc(k.created_by || "")} ${esc(String(k.created_at || "").slice(0, 16))}</td>
        <td>${k.active ? `<span class="ad-st st-available">有效</span>` : `<span class="ad-st st-off_duty">已吊销</span>`}</td>
        <td>${k.active ? `<button type="button" class="ac-revoke ad-cancel">吊销</button>` : ""}</td></tr>`).join("")}</tbody></table>`
}

// keyAreasHtml(keys) / scopesHtml(keys) -> the key form's area options and scope chips.
export function keyAreasHtml(keys) {
  return `<option value="">全市</option>` +
    keys.areas.districts.map((d) => `<option value="d${d.id}">区县：${esc(d.name)}</option>`).join("") +
    keys.areas.streets.map((s) => `<option value="s${s.id}">街道：${esc(s.name)}</option>`).join("")
}

export function scopesHtml(keys) {
  return "<span>权限范围</span>" + Object.entries(keys.scopes).map(([k, v]) => (
    `<label class="ad-chip"><input type="checkbox" name="scopes" value="${esc(k)}">${esc(k)} · ${esc(v)}</label>`)).join("")
}

// unitOptionsHtml(units) -> the unit picker's datalist options.
export function unitOptionsHtml(units) {
  return units.map((x) => `<option value="${esc(`${x.code} ${x.name}`)}"></option>`).join("")
}
