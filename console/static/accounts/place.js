// The admin's account jurisdiction: an account's level (city, district, street, community, or a
// field unit's grid), how it reads, the form inputs choosing it and the request body they give.
// `data` is the /admin/accounts answer (levels, areas), `units` the /admin/units items.
// Pure but for the form helpers (tests/js).
import { escapeHtml as esc, optionsHtml as opts } from "../lib/escape.js"

export const LEVEL_FIELD = { district: "district_id", street: "street_id", community: "community_id" }
const AREA_KIND = { district: "districts", street: "streets", community: "communities" }

export function levelOf(a) {
  if (a.role === "field") { return "grid" }
  if (a.community_id) { return "community" }
  if (a.street_id) { return "street" }
  if (a.district_id) { return "district" }
  return "city"
}

export function areaName(data, kind, id) {
  return ((data.areas[kind] || []).find((x) => x.id === id) || {}).name || (id ? `#${id}` : "")
}

export function unitLabel(units, id) {
  const u = units.find((x) => x.id === id)
  return u ? `${u.code} ${u.name}` : String(id)
}

// placeOf(account, data, units) -> where the account sees, in words.
export function placeOf(a, data, units) {
  const lv = levelOf(a)
  if (lv === "city") { return "全市" }
  if (lv === "grid") {
    const u = units.find((x) => x.id === a.unit_id)
    return `单位 ${u ? `${u.code} ${u.name}` : `#${a.unit_id}`}`
  }
  return `${data.levels[lv]}：${areaName(data, AREA_KIND[lv], a[LEVEL_FIELD[lv]])}`
}

// placeInputs(account or null, data, units) -> the jurisdiction inputs' markup: a level, then an
// area of that level, or a unit for field staff.
export function placeInputs(a, data, units) {
  const lv = a ? levelOf(a) : "city"
  const levels = Object.fromEntries(Object.entries(data.levels).filter(([k]) => k !== "grid"))
  return `<label>辖区层级 <select name="level">${opts(levels, lv === "grid" ? "city" : lv)}</select></label>
      <label class="ac-area">辖区 <select name="area"></select></label>
      <label class="ac-unit">绑定单位 <input name="unit" list="ac-units" placeholder="输入编号或姓名选择" value="${a && a.unit_id ? esc(unitLabel(units, a.unit_id)) : ""}"></label>`
}

// syncPlace(form, data, chosen): show the inputs the role and level need, list the level's areas.
export function syncPlace(form, data, chosen) {
  const role = form.role.value
  const lv = form.level.value
  form.querySelector(".ac-unit").hidden = role !== "field"
  form.querySelector(".ac-area").hidden = role === "field" || lv === "city"
  form.level.closest("label").hidden = role === "field" || role === "admin"
  const kind = AREA_KIND[lv]
  const sel = form.area
  if (kind) {
    const items = data.areas[kind] || []
    sel.innerHTML = items.map((x) => `<option value="${x.id}"${String(chosen) === String(x.id) ? " selected" : ""}>${esc(x.name)}</option>`).join("")
  } else { sel.innerHTML = "" }
}

// placeBody(form, units) -> the jurisdiction part of the request; throws (naming the field) on a
// unit that is not in the list.
export function placeBody(form, units) {
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
