// The wall's chosen period: by default the wall is live (rolling 30 days); a reader may pick a
// period (the server's quick picks or two dates). The choice goes to the wall's session
// (console/pages/wall_period.py), which lays that period's figures, trend, mix, ranking and grid
// heat over the live snapshots until 实时 brings the live window back; today's counts, the open
// and overdue cases stay live. periodWindow and periodTag are pure (tests/js).
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

// periodTag({from, to}, thisYear) -> the cards' short tag: "11月" for a whole month, "11/3–9",
// "11/28–12/4", one date "11/3"; another year's period starts with its year ("2025/12/29–1/4").
export function periodTag(p, thisYear) {
  const [y1, m1, d1] = p.from.split("-").map(Number)
  const [y2, m2, d2] = p.to.split("-").map(Number)
  const year = y1 === thisYear && y2 === thisYear ? "" : `${y1}/`
  const lastDay = new Date(Date.UTC(y2, m2, 0)).getUTCDate()
  if (y1 === y2 && m1 === m2 && d1 === 1 && d2 === lastDay) { return year ? `${y1}年${m1}月` : `${m1}月` }
  if (p.from === p.to) { return `${year}${m1}/${d1}` }
  return `${year}${m1}/${d1}–${y1 === y2 && m1 === m2 ? d2 : `${m2}/${d2}`}`
}

// periodState(period) -> the bar's status line: what is fixed, what stays live.
export function periodState(p) {
  if (!p) { return "" }
  if (p.error) { return p.error }
  if (p.loading) { return `正在读取 ${p.label}…` }
  return `统计期 ${p.label}${p.bin_label ? `（趋势${p.bin_label}）` : ""} · 在办、超期与重点在办为实时`
}

// periodPicker(el, model) -> {show(period, presets)}: draws the bar; a choice is sent to the
// session ({type: "period", from, to}; neither: back to live); show() follows what the session
// says (each snapshot's ``period`` and ``presets``).
export function periodPicker(el, model) {
  const barEl = document.createElement("span")
  const status = document.createElement("span")
  status.className = "wb-period-state"
  el.append(barEl, status)
  const bar = periodBar(barEl, { state: {}, compare: false, live: true,
    onChange(next) { model.send_msg(next ? { type: "period", from: next.from, to: next.to } : { type: "period" }) } })
  let shown = null
  return {
    show(period, presets) {
      bar.setPresets(presets || [])
      const key = period && period.from ? `${period.from}/${period.to}` : (period && period.error) || ""
      if (key !== shown) {
        shown = key
        if (period && period.from) { bar.set({ from: period.from, to: period.to }) } else if (!period) { bar.set({}) }
      }
      if (status.textContent !== periodState(period)) { status.textContent = periodState(period) }
      el.dataset.state = !period ? "live" : period.error ? "error" : period.loading ? "loading" : "ready"
    },
  }
}
