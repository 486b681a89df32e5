// console/static/lib/periods.js: the quick picks and date arithmetic on Beijing dates.
import assert from "node:assert/strict"
import { test } from "node:test"

import { addDays, beijingToday, daysBetween, quickOf, quickPick }
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

test("the quick picks of a Monday-start week, month and quarter", () => {
  const today = "2026-12-09" // a Wednesday
  assert.deepEqual(quickPick("week", today), { from: "2026-12-07", to: "2026-12-09" })
  assert.deepEqual(quickPick("last_week", today), { from: "2026-11-30", to: "2026-12-06" })
  assert.deepEqual(quickPick("month", today), { from: "2026-12-01", to: "2026-12-09" })
  assert.deepEqual(quickPick("last_month", today), { from: "2026-11-01", to: "2026-11-30" })
  assert.deepEqual(quickPick("last30", today), { from: "2026-11-10", to: "2026-12-09" })
  assert.deepEqual(quickPick("quarter", today), { from: "2026-10-01", to: "2026-12-09" })
  assert.deepEqual(quickPick("last_month", "2027-01-15"), { from: "2026-12-01", to: "2026-12-31" })
  assert.deepEqual(quickPick("week", "2026-12-13"), { from: "2026-12-07", to: "2026-12-13" }) // Sunday
  assert.deepEqual(quickPick("quarter", "2026-03-31"), { from: "2026-01-01", to: "2026-03-31" })
  assert.throws(() => quickPick("fortnight", today))
})

test("a period is recognised as its quick pick", () => {
  assert.equal(quickOf({ from: "2026-11-01", to: "2026-11-30" }, "2026-12-09"), "last_month")
  assert.equal(quickOf({ from: "2026-11-02", to: "2026-11-30" }, "2026-12-09"), null)
})
