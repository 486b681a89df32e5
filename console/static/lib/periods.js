// Periods a reader picks (the wall and the analysis page): Beijing calendar days, both ends
// included, as analysis/periods.py takes them, and the small picker bar (from/to, the quick
// picks 本周/上周/本月/上月/近30天/本季度 the server computes, 环比/同比) both pages draw.
import { escapeHtml as esc } from "./escape.js"
import { LIMITS } from "./limits.js"
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
// The longest period (dispatch/limits.py PERIOD_DAYS, through the generated limits.js).
export const MAX_DAYS = LIMITS.period_days

// Which quick pick, if any, a period is (so the bar can mark it). The quick picks themselves come
// from the server (analysis/presets.py): [{key, label, from, to}].
export function quickOf(period, presets) {
  const hit = (presets || []).find((q) => q.from === period.from && q.to === period.to)
  return hit ? hit.key : null
}

// checkPeriod({from, to}) -> the Chinese reason the server would refuse it, or "".
export function checkPeriod(p) {
  if (p.from > p.to) { return "起始日期不能晚于截止日期" }
  if (daysBetween(p.from, p.to) > MAX_DAYS) { return `统计期最长 ${MAX_DAYS} 天` }
  return ""
}

export const AGAINST = { prev: "环比", yoy: "同比" }

// The picker bar in ``el``: from/to inputs, the quick picks ``presets`` ([{key, label, from,
// to}] from the server), and (with ``compare``) 环比/同比. ``state`` {from, to, compare};
// ``onChange(state)`` on every change. ``live`` adds a 实时 button (the wall's rolling default:
// onChange(null)). Returns {set(state), setPresets(presets), error(msg)} to redraw from outside.
export function periodBar(el, { state, onChange, presets = [], compare = true, live = false }) {
  let cur = { ...state }
  let picks = presets
  el.classList.add("pd-bar")
  const draw = () => {
    const chosen = cur && cur.from ? quickOf(cur, picks) : null
    const quick = picks.map((q) =>
      `<button type="button" data-quick="${esc(q.key)}" class="${chosen === q.key ? "on" : ""}">${esc(q.label)}</button>`).join("")
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
    const why = cur && cur.from && cur.to ? checkPeriod(cur) : ""
    if (why) { error(why); return }
    error("")
    draw()
    onChange(cur && cur.from ? { ...cur } : null)
  }
  el.addEventListener("click", (e) => {
    const b = e.target.closest("button")
    if (!b) { return }
    if (b.dataset.live !== undefined) { cur = { compare: cur && cur.compare }; emit(); return }
    const q = picks.find((p) => p.key === b.dataset.quick)
    if (q) { cur = { ...cur, from: q.from, to: q.to }; emit() }
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
  return {
    set(next) { cur = { ...next }; draw() },
    setPresets(next) {
      if (JSON.stringify(next || []) === JSON.stringify(picks)) { return }
      picks = next || []
      draw()
    },
    error,
  }
}
