// console/static/lib/time.js: Beijing times, spans and the deadline countdown.
import assert from "node:assert/strict"
import { test } from "node:test"

import { ago, clockOffset, countdown, fmtDT, fmtFull, fmtIso, fmtTime, phaseOf, span }
  from "../../console/static/lib/time.js"

const T = Date.parse("2026-03-01T23:59:58Z")  // 2026-03-02 07:59:58 in Beijing

test("times are Beijing wall-clock whatever the machine's zone", () => {
  assert.equal(fmtTime(T), "07:59")
  assert.equal(fmtDT(T), "03/02 07:59")
  assert.equal(fmtFull(T), "2026/03/02 07:59:58")
  assert.equal(fmtFull(null), "—")
  assert.equal(fmtIso("2026-03-01 23:59:58Z"), "2026/03/02 07:59:58")
  assert.equal(fmtIso("not a time"), "not a time")
})

test("a span is 时:分:秒 under two days, then days and hours", () => {
  assert.equal(span(0), "00:00:00")
  assert.equal(span(59_999), "00:00:59")
  assert.equal(span(-(3600 + 61) * 1000), "01:01:01")
  assert.equal(span((47 * 3600 + 59 * 60 + 59) * 1000), "47:59:59")
  assert.equal(span((2 * 86400 + 5 * 3600 + 1) * 1000), "2天5时")
})

test("ago counts seconds, minutes, hours, then days", () => {
  assert.equal(ago(null, T), "无定位")
  assert.equal(ago(T - 59_000, T), "59秒前")
  assert.equal(ago(T + 5_000, T), "0秒前")  // a clock ahead is never "in the future"
  assert.equal(ago(T - 3_599_000, T), "59分钟前")
  assert.equal(ago(T - 47 * 3600_000, T), "47小时前")
  assert.equal(ago(T - 49 * 3600_000, T), "2天前")
})

test("the countdown runs, warns from its warning mark, then says how long overdue", () => {
  const mark = { label: "签收", due_ms: T + 600_000, warn_ms: T + 300_000 }
  assert.deepEqual(countdown(mark, T), { phase: "ok", text: "签收 00:10:00" })
  assert.deepEqual(countdown(mark, T + 300_000), { phase: "warn", text: "签收 00:05:00" })
  assert.deepEqual(countdown(mark, T + 600_000), { phase: "overdue", text: "签收超时 00:00:00" })
  assert.deepEqual(countdown(mark, T + 605_500), { phase: "overdue", text: "签收超时 00:00:05" })
})

test("a mark without a warning (the field page's) goes straight from ok to overdue", () => {
  const mark = { label: "办结", due_ms: T }
  assert.equal(phaseOf(mark, T - 1), "ok")
  assert.equal(phaseOf(mark, T), "overdue")
})

test("the clock offset corrects the browser to the server, none without a server time", () => {
  assert.equal(clockOffset(T + 1500, T), 1500)
  assert.equal(clockOffset(0, T), 0)
})
