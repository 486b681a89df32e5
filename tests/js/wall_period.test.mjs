// console/static/wall/period.js: a chosen period's figures read as the wall's cards read a
// rolling window; the area on screen as a query; the cards' short tag.
import assert from "node:assert/strict"
import { test } from "node:test"

import { CARDS, cardFace } from "../../console/static/wall/figures.js"
import { areaQuery, periodTag, periodWindow } from "../../console/static/wall/period.js"

const FIG = { received: 40, done: 20, success: 9, success_rate: 45.0, due: 18, on_time: 12,
  overdue: 6, on_time_rate: 66.7, closure_rate: 80.0, rated: 10, satisfied: 7,
  satisfaction_rate: 70.0, satisfaction_mean: 4.1, signed: 30, sign_minutes: 12.5,
  sign_median_minutes: 9.0, sign_on_time_rate: 90.0, arrived: 25, arrive_minutes: 40.0,
  arrive_median_minutes: 35.0 }

test("a period's figures fill the period cards, with lines that fit a period", () => {
  const w = periodWindow(FIG)
  const face = (key) => cardFace(CARDS.find((c) => c.key === key), {}, w, {})
  assert.equal(face("success_rate").text, "45.0")
  assert.deepEqual(face("success_rate").subs, ["办结 20 件", "调解成功 9 件"])
  assert.equal(face("closure_rate").text, "80.0")
  assert.deepEqual(face("closure_rate").subs[1], "期内超期 6 件")
  assert.equal(face("satisfaction").text, "70.0")
  assert.ok(face("satisfaction").subs[1].includes("4.10"))
  assert.ok(!face("success_rate").subs.join("").includes("近7日"))
})

test("the rolling window still reads its own lines", () => {
  const face = cardFace(CARDS.find((c) => c.key === "success_rate"), {}, { success_rate: 50, resolved: 4 },
    { success_rate: 25 })
  assert.deepEqual(face.subs, ["办结 4 件", "近7日 25.0%"])
})

test("the area on screen and the period's tag", () => {
  assert.equal(areaQuery({ chain: [] }), "")
  assert.equal(areaQuery({ chain: [{ level: "street", id: 3 }, { level: "community", id: 31 }] }),
    "street=3&community=31")
  assert.equal(periodTag({ from: "2026-11-01", to: "2026-11-30" }, 2026), "11-01至11-30")
  assert.equal(periodTag({ from: "2025-12-29", to: "2026-01-04" }, 2026), "2025-12-29至01-04")
  assert.equal(periodTag({ from: "2026-11-03", to: "2026-11-03" }, 2026), "11-03")
})
