// console/static/wall/period.js: a chosen period's figures read as the wall's cards read a
// rolling window; the cards' short tag; the panels saying which period they show.
import assert from "node:assert/strict"
import { test } from "node:test"

import { CARDS, cardFace } from "../../console/static/wall/figures.js"
import { trendLayout } from "../../console/static/wall/left.js"
import { periodState, periodTag, periodWindow } from "../../console/static/wall/period.js"
import { rankCells, rankHint } from "../../console/static/wall/right.js"

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

test("the period's tag", () => {
  assert.equal(periodTag({ from: "2026-11-01", to: "2026-11-30" }, 2026), "11月")
  assert.equal(periodTag({ from: "2025-11-01", to: "2025-11-30" }, 2026), "2025年11月")
  assert.equal(periodTag({ from: "2026-11-03", to: "2026-11-09" }, 2026), "11/3–9")
  assert.equal(periodTag({ from: "2026-11-28", to: "2026-12-04" }, 2026), "11/28–12/4")
  assert.equal(periodTag({ from: "2025-12-29", to: "2026-01-04" }, 2026), "2025/12/29–1/4")
  assert.equal(periodTag({ from: "2026-11-03", to: "2026-11-03" }, 2026), "11/3")
})

const P = { from: "2026-11-01", to: "2026-11-30", label: "2026年11月", bin_label: "按日" }

test("a chosen period's panels say so, and the live ones say they are live", () => {
  assert.equal(periodState(null), "")
  assert.equal(periodState({ error: "统计期最长 366 天" }), "统计期最长 366 天")
  assert.equal(periodState({ ...P, loading: true }), "正在读取 2026年11月…")
  assert.ok(periodState(P).includes("统计期 2026年11月（趋势按日）"))
  assert.ok(periodState(P).includes("实时"))
  assert.ok(rankHint(null).includes("近30日") && rankHint(null).includes("实时"))
  assert.ok(rankHint(P).startsWith("统计期 2026年11月"))
})

test("a period's ranking row reads 受理/办结 where a live row reads 受理/在办", () => {
  const row = { name: "东区街道", received: 12, done: 9, intake: 30, open: 4, overdue: 1,
    closure_rate: 75, satisfaction: null }
  assert.deepEqual(rankCells(row, 0, "", P), [1, "东区街道", "12", "9", "1", "75.0", "—"])
  assert.deepEqual(rankCells(row, 0, ""), [1, "东区街道", "30", "4", "1", "75.0", "—"])
})

test("a period's trend states its totals and takes the server's bin labels", () => {
  const bins = [{ day: "2026-11-01", label: "11月", reported: 5, resolved: 2, partial: false },
    { day: "2026-12-01", label: "12月", reported: 7, resolved: 1, partial: true }]
  const at = trendLayout(bins, { ...P, running: true })
  assert.equal(at.foot, "期内受理 12 件 · 办结 3 件（截至目前）")
  assert.equal(at.note, "")
  assert.equal(at.xlabels.filter(Boolean)[0].text, "11月")
  assert.equal(at.bars[1].reported, 7)
  const live = trendLayout([{ day: "2026-12-07", reported: 3, resolved: 1, partial: true }])
  assert.equal(live.xlabels[0].text, "今日")
})
