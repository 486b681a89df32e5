// The wall's chosen period: by default the figures are live (rolling 30 days); a reader may pick
// a period (本周/上周/本月/上月/近30天/本季度 or two dates) and the period cards then show that
// period's figures for the area on screen (GET /api/v1/analysis/figures, the same definitions),
// until 实时 brings the live window back. periodWindow and areaQuery are pure (tests/js).
import { fetchJson } from "../lib/http.js"
import { periodBar } from "../lib/periods.js"

// periodWindow(figures) -> the shape of a rolling window (dispatch/stats.py window_figures) the
// cards read, from a period's figures (analysis/periods.py figures()).
export function periodWindow(f) {
  return {
    period: true, due: f.due, closure_rate: f.closure_rate, on_time_rate: f.on_time_rate,
    overdue: f.overdue, resolved: f.done, mediated: f.success, success_rate: f.success_rate,
    rated: f.rated, satisfaction: f.satisfaction_rate, satisfaction_mean: f.satisfaction_mean,
    sign_minutes: f.sign_minutes, sign_median_minutes: f.sign_median_minutes,
    sign_on_time_rate: f.sign_on_time_rate, arrive_minutes: f.arrive_minutes,
    arrive_median_minutes: f.arrive_median_minutes, arrived: f.arrived, intake: f.received,
  }
}

// periodTag({from, to}) -> the cards' short tag: "11-01至11-30" (the year when it is not this one).
export function periodTag(p, thisYear) {
  const short = (d) => (d.slice(0, 4) === String(thisYear) ? d.slice(5) : d)
  return p.from === p.to ? short(p.from) : `${short(p.from)}至${short(p.to)}`
}

// areaQuery(scope) -> the query naming the area on screen (its chain's last street, community,
// grid); none for the reader's own top (the whole territory or its district).
export function areaQuery(scope) {
  const q = new URLSearchParams()
  for (const c of (scope && scope.chain) || []) {
    if (["street", "community", "grid"].includes(c.level)) { q.set(c.level, String(c.id)) }
  }
  return q.toString()
}

// periodPicker(el, model, onChange) -> {figures(scope)}: draws the bar; onChange(windowOrNull,
// tag) whenever the period's figures arrive or the wall goes back to live.
export function periodPicker(el, model, onChange) {
  const api = (model.health_url || "/api/v1/health").replace(/\/health$/, "")
  let period = null
  let scopeKey = null
  let asked = 0
  async function load(scope) {
    const n = ++asked
    if (!period) { onChange(null, ""); return }
    const area = areaQuery(scope)
    try {
      const d = await fetchJson(`${api}/analysis/figures?from=${period.from}&to=${period.to}${area ? `&${area}` : ""}`)
      if (n === asked) { onChange(periodWindow(d.current), periodTag(period, new Date().getFullYear())) }
    } catch (err) {
      if (n === asked) { bar.error(err.message) }
    }
  }
  let lastScope = null
  const bar = periodBar(el, { state: {}, compare: false, live: true,
    onChange(next) { period = next; load(lastScope) } })
  return {
    // called with each snapshot's scope: a new area on screen reloads the period's figures
    figures(scope) {
      lastScope = scope
      const key = areaQuery(scope)
      if (period && key !== scopeKey) { scopeKey = key; load(scope) }
      scopeKey = key
    },
  }
}
