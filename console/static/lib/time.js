// Times as the console shows them: Beijing wall-clock formats, spans, "how long ago", and the
// deadline countdown (desk queue, case page, field page alike). Pure: no DOM, tested under node.

export const TZ = "Asia/Shanghai"

const FMT_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false })
const FMT_DT = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hour12: false })
const FMT_FULL = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", second: "2-digit", hour12: false })

// Epoch milliseconds -> 时:分 / 月-日 时:分 / 年-月-日 时:分:秒 in Beijing time; none -> "—".
export function fmtTime(ms) { return ms ? FMT_TIME.format(new Date(ms)) : "—" }
export function fmtDT(ms) { return ms ? FMT_DT.format(new Date(ms)) : "—" }
export function fmtFull(ms) { return ms ? FMT_FULL.format(new Date(ms)) : "—" }

// An ISO time from the API (a space instead of "T" is accepted) in full Beijing time; what
// does not parse comes back as it was.
export function fmtIso(iso) {
  const ms = Date.parse(String(iso ?? "").replace(" ", "T"))
  return Number.isNaN(ms) ? String(iso ?? "") : fmtFull(ms)
}

export function pad2(n) { return String(n).padStart(2, "0") }

// A remaining (or overdue) span as 时:分:秒, or 天+时 from two days on.
export function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000)
  const d = Math.floor(s / 86400)
  const hh = Math.floor((s % 86400) / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  if (d >= 2) { return `${d}天${hh}时` }
  return `${pad2(hh + d * 24)}:${pad2(mm)}:${pad2(ss)}`
}

// How long ago a position was reported; none -> "无定位".
export function ago(ms, now) {
  if (!ms) { return "无定位" }
  const s = Math.max(0, Math.floor((now - ms) / 1000))
  if (s < 60) { return `${s}秒前` }
  if (s < 3600) { return `${Math.floor(s / 60)}分钟前` }
  if (s < 86400 * 2) { return `${Math.floor(s / 3600)}小时前` }
  return `${Math.floor(s / 86400)}天前`
}

// A deadline mark {label, due_ms, warn_ms} (console.desk_state, labels from dispatch.clocks)
// at `now`: "ok" before the warning mark, "warn" from it, "overdue" from the deadline.
export function phaseOf(mark, now) {
  if (now >= mark.due_ms) { return "overdue" }
  return now >= (mark.warn_ms ?? mark.due_ms) ? "warn" : "ok"
}

// The text and phase of one countdown at `now` (server-corrected browser time):
// "签收 00:41:07" while it runs, "签收超时 00:03:12" once past (dispatch.clocks says "签收超时").
export function countdown(mark, now) {
  const phase = phaseOf(mark, now)
  const left = mark.due_ms - now
  const text = phase === "overdue" ? `${mark.label}超时 ${span(left)}` : `${mark.label} ${span(left)}`
  return { phase, text }
}

// Server time = browser time + offset, so countdowns agree with the server's deadlines.
export function clockOffset(serverMs, browserMs = Date.now()) {
  return serverMs ? serverMs - browserMs : 0
}
