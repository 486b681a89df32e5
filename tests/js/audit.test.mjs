// console/static/audit/markup.js: the admin's audit log as markup (no browser).
import assert from "node:assert/strict"
import { test } from "node:test"

import { actionOptionsHtml, auditPageHtml, auditRowsHtml, detailText } from "../../console/static/audit/markup.js"

const A = { login: "登录", transition: "状态变更" }
const stateLabel = (s) => (s == null ? "" : { assigned: "已派单", accepted: "已签收" }[s] || s)

test("the action choices: all, then the groups, then each action with its code", () => {
  const html = actionOptionsHtml({ "login,logout": "登录与注销" }, A)
  assert.match(html, /^<option value="">全部操作<\/option><optgroup label="分组"><option value="login,logout">登录与注销<\/option><\/optgroup>/)
  assert.match(html, /<optgroup label="单项"><option value="login">登录（login）<\/option>/)
  assert.match(auditPageHtml(html, { incident: "案件" }), /<select name="entity"><option value="">全部对象<\/option><option value="incident">案件/)
})

test("a row's details read key: value, objects as JSON; nothing when empty", () => {
  assert.equal(detailText({ path: "/a", n: 2, who: { id: 1 } }), 'path: /a；n: 2；who: {"id":1}')
  assert.equal(detailText({}), "")
  assert.equal(detailText(null), "")
})

test("a page's rows: Beijing time, the action's label, the state change, all escaped", () => {
  const html = auditRowsHtml([
    { id: 9, at: "2026-03-01T00:00:00Z", actor: "<duty>", action: "transition", entity_label: "案件",
      code: "2026-000123", from_state: "assigned", to_state: "accepted", reason: "到场", detail: {} },
    { id: 10, at: "2026-03-01T00:00:00Z", actor: "x", action: "odd", action_label: "其他",
      entity_label: "账号", entity_id: 4, detail: { ip: "10.0.0.1" } },
  ], { A, stateLabel })
  assert.match(html, /<tr data-id="9" class="ad-act-transition"><td class="ad-num">2026\/03\/01 08:00:00<\/td><td>&lt;duty&gt;<\/td>/)
  assert.match(html, /<span class="ad-st" title="transition">状态变更<\/span><\/td><td>案件 2026-000123<\/td>\s*<td>已派单 → 已签收<\/td><td>到场<\/td>/)
  assert.match(html, /title="odd">其他<\/span><\/td><td>账号 #4<\/td>\s*<td><\/td><td><\/td><td class="ad-detail" title="ip: 10.0.0.1">/)
  assert.equal(auditRowsHtml([], { A, stateLabel }), `<div class="ad-help">没有符合条件的记录</div>`)
})
