// console/static/analysis/people.js: the 人员 tab's rows and default month (no browser).
import assert from "node:assert/strict"
import { test } from "node:test"

import { lastMonth, peopleRows } from "../../console/static/analysis/people.js"

const ROW = { name: "调解员<甲>", code: "M001", handled: 9, resolved: 8, mediated: 6,
  mediated_evidenced: 5, success_rate: 0.625, satisfaction: 4.5, followups: 4, signed: 8, sent: 9,
  signed_on_time: 7, sign_median_min: 12.5, arrive_median_min: null, overdue: 1,
  extensions_requested: 2, extensions_approved: 1 }

test("a rated person shows the stars, an unrated one 样本不足, names escaped", () => {
  const html = peopleRows([
    { ...ROW, rating: { stars: 4, score: 0.74, label: "★★★★☆" } },
    { ...ROW, name: "乙", rating: { stars: null, score: null, label: "样本不足（办结 3 件，少于 5 件）" } }])
  assert.match(html, /aria-label="4 星">★★★★☆</)
  assert.match(html, /class="pp-few" title="样本不足（办结 3 件，少于 5 件）">样本不足</)
  assert.ok(html.includes("调解员&lt;甲&gt;") && !html.includes("<甲>"))
  assert.ok(html.includes("62.5%") && html.includes("4.50") && html.includes("—"))
})

test("no one in the period says so", () => {
  assert.match(peopleRows([]), /没有派给该类人员的案件/)
})

test("the subsidy month defaults to the month before, across a year end", () => {
  assert.equal(lastMonth(new Date(2027, 0, 15)), "2026-12")
  assert.equal(lastMonth(new Date(2026, 11, 7)), "2026-11")
})
