// console/static/wall/: the map wall's figures, words and layout rules (no browser).
import assert from "node:assert/strict"
import { test } from "node:test"

import { CARDS, cardFace } from "../../console/static/wall/figures.js"
import { age, duration, num, pct, shortCategory, shortName } from "../../console/static/wall/format.js"
import { MAX_CATS, categoryRows, niceMax, trendLayout, X0, X1, Y1 } from "../../console/static/wall/left.js"
import { caseCells, caseTone, rankCells, rowsThatFit } from "../../console/static/wall/right.js"
import { crumbItems, nextOffset, wallStatus } from "../../console/static/wall/top.js"

test("numbers, rates and durations read as the wall shows them; missing ones as a dash", () => {
  assert.equal(num(12345), "12,345")
  assert.equal(num(null), "—")
  assert.equal(pct(87.25), "87.3")
  assert.equal(pct(undefined), "—")
  assert.deepEqual(duration(45.4), ["45", "分钟"])
  assert.deepEqual(duration(90), ["1.5", "小时"])
  assert.deepEqual(duration(60 * 48), ["2.0", "天"])
  assert.deepEqual(duration(null), ["—", ""])
  assert.equal(age(150), "2.5小时")
})

test("names lose their parent's prefix and categories their last word", () => {
  assert.equal(shortName("东盛社区第2网格", "东盛社区"), "第2网格")
  assert.equal(shortName("东盛社区", "东盛社区"), "东盛社区")  // nothing would be left
  assert.equal(shortName("天山街道", ""), "天山街道")
  assert.equal(shortCategory("邻里纠纷"), "邻里")
  assert.equal(shortCategory("劳动争议/欠薪"), "劳动欠薪")
})

test("a figure card shows its value and unit, 暂无 without one, and its tone", () => {
  const byKey = Object.fromEntries(CARDS.map((c) => [c.key, c]))
  const o = { overdue: 3, sign_overdue: 1, close_overdue: 2 }
  const overdue = cardFace(byKey.overdue, o, {}, {})
  assert.deepEqual(overdue, { value: "3", none: false, text: "3", unit: "件",
                              subs: ["签收超时 1 件", "办结超期 2 件"], tone: "bad" })
  assert.equal(cardFace(byKey.overdue, { overdue: 0 }, {}, {}).tone, "good")
  const sign = cardFace(byKey.sign_minutes, {}, { sign_minutes: 30, sign_median_minutes: 20 }, {})
  assert.deepEqual([sign.text, sign.unit, sign.subs[0]], ["30", "分钟", "中位 20分钟"])
  const none = cardFace(byKey.closure_rate, {}, {}, {})
  assert.deepEqual([none.value, none.text, none.unit, none.tone], ["—", "暂无", "", ""])
  assert.equal(CARDS.length, 8)
})

test("the breadcrumb starts at the root and shortens each area under its parent", () => {
  assert.deepEqual(crumbItems(null), [{ name: "全辖区", depth: 0 }])
  assert.deepEqual(crumbItems({ root: "克拉玛依区", chain: [
    { name: "天山街道" }, { name: "天山街道东盛社区" }] }),
  [{ name: "克拉玛依区", depth: 0 }, { name: "天山街道", depth: 1 }, { name: "东盛社区", depth: 2 }])
})

test("the status says live, late, cut off or the server's error, in that order of weight", () => {
  const live = wallStatus({ error: null, quiet: 2, interval: 5, dataAt: Date.parse("2026-03-01T02:03:04Z") })
  assert.deepEqual(live, { state: "ok", text: "实时 · 每5秒刷新 · 数据 10:03:04" })
  assert.equal(wallStatus({ error: null, quiet: 2, interval: 5, dataAt: 0 }).text, "实时 · 每5秒刷新 · 数据 —")
  assert.deepEqual(wallStatus({ error: null, quiet: 21, interval: 5, dataAt: 0 }),
    { state: "warn", text: "数据更新延迟" })
  assert.equal(wallStatus({ error: null, quiet: 20, interval: 5, dataAt: 0 }).state, "ok")
  assert.deepEqual(wallStatus({ error: null, quiet: 61, interval: 5, dataAt: 0 }),
    { state: "bad", text: "连接中断，正在恢复…" })
  assert.deepEqual(wallStatus({ error: "统计失败", quiet: 0, interval: 5, dataAt: 0 }),
    { state: "bad", text: "统计失败" })
})

test("the clock keeps the largest offset seen, and starts over after a clock set back", () => {
  assert.equal(nextOffset(0, -5000, 0), -5000)        // the first snapshot sets it
  assert.equal(nextOffset(-5000, -7000, 1), -5000)    // a cached, older now() does not
  assert.equal(nextOffset(-5000, -2000, 1), -2000)
  assert.equal(nextOffset(-5000, -70_000, 1), -70_000)
})

test("the axis tops at or above the largest day, on quarters of the next round size", () => {
  assert.equal(niceMax(0), 4)
  assert.equal(niceMax(4), 4)
  assert.equal(niceMax(7), 7.5)     // quarters of 10
  assert.equal(niceMax(37), 37.5)   // quarters of 50
  assert.equal(niceMax(101), 150)   // quarters of 200
  assert.equal(niceMax(400), 500)
})

test("the trend puts a bar per day and a line through the full days only", () => {
  const days = [
    { day: "2026-03-01", reported: 4, resolved: 2 },
    { day: "2026-03-02", reported: 0, resolved: 4 },
    { day: "2026-03-03", reported: 2, resolved: 1, partial: true },
  ]
  const at = trendLayout(days)
  const step = (X1 - X0) / 3
  assert.equal(at.grid.length, 5)
  assert.deepEqual(at.grid[4], { y: 14, labelY: 19, label: "4" })
  assert.deepEqual(at.bars[0], { x: (X0 + step * 0.14).toFixed(1), width: (step * 0.72).toFixed(1),
                                 y: "14.0", height: "204.0", partial: false,
                                 day: "2026-03-01", reported: 4, resolved: 2 })
  assert.equal(at.bars[1].height, "0.0")
  assert.equal(at.bars[2].partial, true)
  assert.equal(at.bars[3], null)
  assert.equal(at.bars.length, 31)
  assert.equal(at.points.split(" ").length, 2)        // today is still running
  assert.equal(at.dots[2].cy, (Y1 - 0.25 * (Y1 - 14)).toFixed(1))
  assert.deepEqual(at.xlabels.slice(0, 2).map((l) => l.text), ["03/01", "03/01"])
  assert.equal(at.xlabels[6].text, "今日")
  assert.equal(at.foot, "日均受理 2.0 件 · 日均办结 3.0 件")
  assert.equal(at.note, "今日截至目前：受理 2 · 办结 1")
  const empty = trendLayout([])
  assert.deepEqual([empty.foot, empty.note, empty.points, empty.xlabels[0]], ["", "", "", null])
})

test("categories beyond the ninth share one row, and bars measure against the largest", () => {
  const many = Array.from({ length: 12 }, (_, i) => ({ category: `c${i}`, label: `类${i}`,
                                                       count: 12 - i, share: null }))
  const rows = categoryRows(many)
  assert.equal(rows.length, MAX_CATS)
  assert.deepEqual(rows.at(-1), { category: "_rest", label: "其余3类", count: 6,
                                  share: (100 * 6) / 78, width: "50.00%" })
  assert.equal(rows[0].width, "100.00%")
  assert.deepEqual(categoryRows([]), [])
})

test("ranking and case rows: their cells, a case's tone, and how many rows fit", () => {
  assert.deepEqual(rankCells({ name: "天山街道东盛社区", intake: 1200, open: 3, overdue: 0,
                               closure_rate: 91.26, satisfaction: null }, 0, "天山街道"),
  [1, "东盛社区", "1,200", "3", "0", "91.3", "—"])
  const late = { category_label: "邻里纠纷", community_name: "东盛社区", grid_name: "东盛社区第2网格",
                 state_label: "办理中", age_minutes: 30, overdue: true, sign_overdue: false, priority: 3 }
  assert.deepEqual(caseCells(late, true), ["邻里", "第2网格", "办理中", "30分钟", "办结超期"])
  assert.deepEqual(caseCells({ ...late, overdue: false, priority: 1, priority_label: "紧急",
                               community_name: null }, false),
  ["邻里", "—", "办理中", "30分钟", "紧急"])
  assert.equal(caseTone(late), "bad")
  assert.equal(caseTone({ priority: 2 }), "warn")
  assert.equal(caseTone({ priority: 3 }), "")
  assert.equal(rowsThatFit([20, 20, 20], 0), 3)
  assert.equal(rowsThatFit([20, 20, 20], 25), 1)
  assert.equal(rowsThatFit([20, 20, 20], 100), 0)
})
