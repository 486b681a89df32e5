// console/static/lib/periods.js: date arithmetic on Beijing dates, the server's quick picks and limit.
import assert from "node:assert/strict"
import { test } from "node:test"

import { LIMITS } from "../../console/static/lib/limits.js"
import { MAX_DAYS, addDays, beijingToday, checkPeriod, daysBetween, quickOf }
  from "../../console/static/lib/periods.js"

test("today is the Beijing date whatever the machine's zone", () => {
  assert.equal(beijingToday(Date.parse("2026-03-01T16:00:00Z")), "2026-03-02")
  assert.equal(beijingToday(Date.parse("2026-03-01T15:59:59Z")), "2026-03-01")
})

test("days add across months and years, both ends counted", () => {
  assert.equal(addDays("2026-03-01", -1), "2026-02-28")
  assert.equal(addDays("2024-02-28", 1), "2024-02-29")
  assert.equal(addDays("2026-12-31", 1), "2027-01-01")
  assert.equal(daysBetween("2026-11-01", "2026-11-30"), 30)
  assert.equal(daysBetween("2026-11-03", "2026-11-03"), 1)
})

test("a period is recognised among the server's quick picks", () => {
  const presets = [{ key: "last_month", label: "上月", from: "2026-11-01", to: "2026-11-30" }]
  assert.equal(quickOf({ from: "2026-11-01", to: "2026-11-30" }, presets), "last_month")
  assert.equal(quickOf({ from: "2026-11-02", to: "2026-11-30" }, presets), null)
  assert.equal(quickOf({ from: "2026-11-01", to: "2026-11-30" }, undefined), null)
})

test("a period is checked against the server's longest period (limits.js)", () => {
  assert.equal(MAX_DAYS, LIMITS.period_days)
  assert.equal(checkPeriod({ from: "2026-01-01", to: "2026-12-31" }), "")
  assert.equal(checkPeriod({ from: "2025-01-01", to: "2026-12-31" }), `统计期最长 ${LIMITS.period_days} 天`)
  assert.equal(checkPeriod({ from: "2026-02-01", to: "2026-01-31" }), "起始日期不能晚于截止日期")
})
