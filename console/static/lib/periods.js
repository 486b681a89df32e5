// Periods a reader picks (the wall and the analysis page): Beijing calendar days, both ends
// included, as analysis/periods.py takes them; the quick picks 本周/上周/本月/上月/近30天/本季度,
// and the small picker bar (from/to, quick picks, 环比/同比) both pages draw.
import { escapeHtml as esc } from "./escape.js"
import { TZ } from "./time.js"

const YMD = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" })
const DAY = 86_400_000

// Today's Beijing date as "YYYY-MM-DD".
export function beijingToday(ms = Date.now()) {
  // from the parts, not the formatted text: a node or browser without full ICU formats en-CA
  // as en-US (03/02/2026), yet still gives the right year, month and day parts
  const part = Object.fromEntries(YMD.formatToParts(new Date(ms)).map((p) => [p.type, p.value]))
  return `${part.year}-${part.month}-${part.day}`
}

// Date arithmetic on "YYYY-MM-DD" text, in UTC so no zone or DST moves a day.
const parse = (s) => { const [y, m, d] = s.split("-").map(Number); return Date.UTC(y, m - 1, d) }
const fmt = (ms) => new Date(ms).toISOString().slice(0, 10)
export function addDays(s, n) { return fmt(parse(s) + n * DAY) }
export function daysBetween(a, b) { return Math.round((parse(b) - parse(a)) / DAY) + 1 }
const monthStart = (y, m) => fmt(Date.UTC(y, m, 1)) // m 0-based, may overflow either way
const monthEnd = (y, m) => fmt(Date.UTC(y, m + 1, 0))

export const QUICK = { week: "本周", last_week: "上周", month: "本月", last_month: "上月",
  last30: "近30天", quarter: "本季度" }

// The quick pick ``key`` for Beijing date ``today`` ("YYYY-MM-DD"): {from, to}. Weeks start on
// Monday; 本周/本月/本季度 run to today (the days to come hold nothing yet).
export function quickPick(key, today) {
  const t = new Date(parse(today))
  const y = t.getUTCFullYear(), m = t.getUTCMonth()
  const monday = addDays(today, -((t.getUTCDay() + 6) % 7))
  switch (key) {
    case "week": return { from: monday, to: today }
    case "last_week": return { from: addDays(monday, -7), to: addDays(monday, -1) }
    case "month": return { from: monthStart(y, m), to: today }
    case "last_month": return { from: monthStart(y, m - 1), to: monthEnd(y, m - 1) }
    case "last30": return { from: addDays(today, -29), to: today }
    case "quarter": return { from: monthStart(y, m - (m % 3)), to: today }
    default: throw new Error(`unknown quick pick ${key}`)
  }
}

// Which quick pick, if any, a period is (so the bar can mark it).
export function quickOf(period, today) {
  return Object.keys(QUICK).find((k) => {
    const q = quickPick(k, today)
    return q.from === period.from && q.to === period.to
  }) || null
}

export const AGAINST = { prev: "环比", yoy: "同比" }

// The picker bar in ``el``: from/to inputs, the quick picks, and (with ``compare``) 环比/同比.
// ``state`` {from, to, compare}; ``onChange(state)`` on every change. ``live`` adds a 实时 button
// (the wall's rolling default: onChange(null)). Returns {set(state)} to redraw from outside.
export function periodBar(el, { state, onChange, compare = true, live = false, today = beijingToday }) {
  let cur = { ...state }
  el.classList.add("pd-bar")
  const draw = () => {
    const chosen = cur && cur.from ? quickOf(cur, today()) : null
    const quick = Object.entries(QUICK).map(([k, v]) =>
      `<button type="button" data-quick="${k}" class="${chosen === k ? "on" : ""}">${esc(v)}</button>`).join("")
    const against = compare ? `<span class="pd-against">${Object.entries(AGAINST).map(([k, v]) =>
      `<label><input type="radio" name="pd-against" value="${k}" ${cur && cur.compare === k ? "checked" : ""}> ${esc(v)}</label>`).join("")}</span>` : ""
    el.innerHTML = `
      ${live ? `<button type="button" data-live class="${cur && cur.from ? "" : "on"}">实时</button>` : ""}
      <span class="pd-quick">${quick}</span>
      <label>自 <input type="date" name="from" value="${esc(cur && cur.from || "")}"></label>
      <label>至 <input type="date" name="to" value="${esc(cur && cur.to || "")}"></label>
      ${against}<span class="pd-error" role="alert"></span>`
  }
  const error = (msg) => { el.querySelector(".pd-error").textContent = msg || "" }
  const emit = () => {
    if (cur && cur.from && cur.to && cur.from > cur.to) { error("起始日期不能晚于截止日期"); return }
    error("")
    draw()
    onChange(cur && cur.from ? { ...cur } : null)
  }
  el.addEventListener("click", (e) => {
    const b = e.target.closest("button")
    if (!b) { return }
    if (b.dataset.live !== undefined) { cur = { compare: cur && cur.compare }; emit(); return }
    if (b.dataset.quick) { cur = { ...cur, ...quickPick(b.dataset.quick, today()) }; emit() }
  })
  el.addEventListener("change", (e) => {
    const t = e.target
    if (t.name === "from" || t.name === "to") {
      if (!t.value) { return }
      const other = t.name === "from" ? "to" : "from"
      cur = { ...cur, [t.name]: t.value }
      if (!cur[other]) { cur[other] = t.value }
      emit()
    } else if (t.name === "pd-against") { cur = { ...cur, compare: t.value }; emit() }
  })
  draw()
  return { set(next) { cur = { ...next }; draw() }, error }
}
