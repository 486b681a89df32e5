// console/static/accounts/: the admin's accounts and keys as words and markup (no browser).
import assert from "node:assert/strict"
import { test } from "node:test"

import { levelOf, placeBody, placeInputs, placeOf } from "../../console/static/accounts/place.js"
import { accountsHtml, keyAreasHtml, keysHtml, scopesHtml } from "../../console/static/accounts/tables.js"

const DATA = {
  levels: { city: "全市", district: "区县", street: "街道", community: "社区", grid: "网格" },
  roles: { admin: "管理员", dispatcher: "调度员", field: "网格员" },
  areas: { districts: [{ id: 1, name: "克拉玛依区" }], streets: [{ id: 7, name: "天山<街道>" }],
           communities: [] },
  items: [],
}
const UNITS = [{ id: 40, code: "U040", name: "巡逻一组" }]

test("an account's level: field staff by their unit's grid, else the narrowest area set", () => {
  assert.equal(levelOf({ role: "field", district_id: 1 }), "grid")
  assert.equal(levelOf({ role: "dispatcher", district_id: 1, street_id: 7 }), "street")
  assert.equal(levelOf({ role: "dispatcher", district_id: 1 }), "district")
  assert.equal(levelOf({ role: "admin" }), "city")
})

test("where an account sees, in words; unknown areas and units by their number", () => {
  assert.equal(placeOf({ role: "admin" }, DATA, UNITS), "全市")
  assert.equal(placeOf({ role: "dispatcher", street_id: 7 }, DATA, UNITS), "街道：天山<街道>")
  assert.equal(placeOf({ role: "dispatcher", community_id: 9 }, DATA, UNITS), "社区：#9")
  assert.equal(placeOf({ role: "field", unit_id: 40 }, DATA, UNITS), "单位 U040 巡逻一组")
  assert.equal(placeOf({ role: "field", unit_id: 41 }, DATA, UNITS), "单位 #41")
})

test("the jurisdiction inputs offer no grid level and show a field account's unit", () => {
  const html = placeInputs({ role: "field", unit_id: 40 }, DATA, UNITS)
  assert.doesNotMatch(html, /value="grid"/)
  assert.match(html, /<option value="city" selected>/)
  assert.match(html, /name="unit"[^>]*value="U040 巡逻一组"/)
  assert.match(placeInputs(null, DATA, UNITS), /value=""><\/label>$/)
})

test("the request's jurisdiction: a unit from the list for field staff, else the chosen area", () => {
  const form = (role, extra) => ({ role: { value: role }, level: { value: "street" },
                                   area: { value: "7" }, unit: { value: "" }, ...extra })
  assert.deepEqual(placeBody(form("dispatcher"), UNITS),
    { district_id: null, street_id: 7, community_id: null, grid_id: null, unit_id: null })
  assert.equal(placeBody(form("admin"), UNITS).street_id, null)
  assert.equal(placeBody(form("field", { unit: { value: " U040 " } }), UNITS).unit_id, 40)
  assert.throws(() => placeBody(form("field", { unit: { value: "U999" } }), UNITS),
    (err) => err.field === "unit_id" && /找不到单位“U999”/.test(err.message))
})

test("the accounts table escapes names and opens the editor under its row only", () => {
  const data = { ...DATA, items: [
    { id: 1, username: "<x>", role: "dispatcher", street_id: 7, active: true },
    { id: 2, username: "li", role: "field", unit_id: 40, active: true, must_change_password: true },
    { id: 3, username: "wang", role: "admin", active: false },
  ] }
  const closed = accountsHtml(data, UNITS, null)
  assert.match(closed, /<td>&lt;x&gt;<\/td>/)
  assert.match(closed, /<td>街道：天山&lt;街道&gt;<\/td><td><span class="ad-st st-available">启用/)
  assert.match(closed, /st-busy">待改密/)
  assert.match(closed, /st-off_duty">已停用.*class="ac-active ad-cancel">启用</s)
  assert.doesNotMatch(closed, /ad-editor/)
  const open = accountsHtml(data, UNITS, 2)
  assert.equal(open.match(/ad-editor/g).length, 1)
  assert.match(open, /<tr data-id="2">.*<tr class="ad-editor"><td colspan="6"><form data-account="2">/s)
})

test("keys: their area, a revoke button only while active; the key form's areas and scopes", () => {
  const keys = { items: [
    { id: 5, name: "12345热线", scopes: ["incidents:write", "incidents:read"], street_id: 7,
      key_prefix: "fq_ab", created_by: "admin", created_at: "2026-03-01T08:00:00+08:00", active: true },
    { id: 6, name: "旧平台", scopes: [], active: false },
  ], areas: { districts: [{ id: 1, name: "克拉玛依区" }], streets: [{ id: 7, name: "天山" }] },
  scopes: { "incidents:read": "读取案件" } }
  const html = keysHtml(keys, DATA)
  assert.match(html, /<td>incidents:write、incidents:read<\/td><td>街道：天山&lt;街道&gt;<\/td>/)
  assert.match(html, /<td>admin 2026-03-01T08:00<\/td>/)
  assert.equal(html.match(/ac-revoke/g).length, 1)
  assert.match(html, /<tr data-key="6">.*<td>全市<\/td>.*已吊销/s)
  assert.equal(keyAreasHtml(keys),
    `<option value="">全市</option><option value="d1">区县：克拉玛依区</option><option value="s7">街道：天山</option>`)
  assert.match(scopesHtml(keys), /value="incidents:read">incidents:read · 读取案件<\/label>$/)
})
