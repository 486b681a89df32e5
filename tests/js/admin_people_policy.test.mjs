// console/static/admin_people_policy.js: the subsidy boxes of the policy form (no browser).
import assert from "node:assert/strict"
import { test } from "node:test"

import { peopleChanges, peopleFieldsets } from "../../console/static/admin_people_policy.js"

const STARS = { min_cases: 5, w_success: 0.4, w_satisfaction: 0.3, w_on_time: 0.2, w_sign: 0.1,
  cut_5: 0.9, cut_4: 0.75, cut_3: 0.6, cut_2: 0.4 }
const UNSET = { success_simple: null, success_normal: null, success_complex: null,
  failed_simple: null, failed_normal: null, failed_complex: null, risk_up: 2, sessions_up: 2 }

const form = (boxes) => ({ querySelectorAll: (sel) => boxes.filter((b) => b.name.startsWith(sel.slice(8, -2))) })

test("an empty amount box is left out of the changes, not sent as 0 yuan", () => {
  const got = peopleChanges(form([{ name: "subsidy.success_simple", value: "" },
    { name: "subsidy.failed_simple", value: "0" }, { name: "subsidy.success_normal", value: " 120 " },
    { name: "stars.min_cases", value: "6" }]))
  assert.deepEqual(got, { stars: { min_cases: 6 }, subsidy: { failed_simple: 0, success_normal: 120 } })
})

test("unset amounts show empty boxes and say 补贴标准未设置; set ones show their yuan", () => {
  const html = peopleFieldsets({ subsidy: UNSET, stars: STARS })
  assert.match(html, /补贴标准未设置/)
  assert.match(html, /name="subsidy.success_simple" type="number" [^>]*placeholder="未设置"[^>]* value=""/)
  const set = { ...UNSET, success_simple: 50, success_normal: 100, success_complex: 300,
    failed_simple: 0, failed_normal: 30, failed_complex: 80 }
  const priced = peopleFieldsets({ subsidy: set, stars: STARS })
  assert.ok(!priced.includes("补贴标准未设置") && priced.includes('value="300"'))
})
