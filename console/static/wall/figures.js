// The wall's eight figures (dispatch/stats.py computes them; each says what it counts under it):
// how each card reads its value, unit, tone and two lines of detail from the overview `o` and its
// 30- and 7-day windows `w`, `w7`. Pure: tested under node (tests/js).
import { age, duration, num, pct } from "./format.js"

export const CARDS = [
  { key: "intake_today", label: "今日受理", unit: "件",
    value: (o) => num(o.intake_today),
    sub: (o) => [`近24小时 ${num(o.intake_24h)} 件`, `近7日 ${num(o.intake_7d)} 件`] },
  { key: "open", label: "在办案件", unit: "件",
    value: (o) => num(o.open),
    sub: (o) => [`其中紧急 ${num(o.open_urgent)} 件`, `今日办结 ${num(o.resolved_today)} 件`] },
  { key: "overdue", label: "超期案件", unit: "件",
    value: (o) => num(o.overdue),
    tone: (o) => (o.overdue > 0 ? "bad" : "good"),
    sub: (o) => [`签收超时 ${num(o.sign_overdue)} 件`, `办结超期 ${num(o.close_overdue)} 件`] },
  { key: "closure_rate", label: "办结率", unit: "%", period: true,
    value: (o, w) => pct(w.closure_rate),
    sub: (o, w) => [`到期 ${num(w.due)} 件 · 按期 ${pct(w.on_time_rate)}%`,
                    `延期 批准 ${num(w.extensions_approved)} · 驳回 ${num(w.extensions_refused)}`],
    periodSub: (o, w) => [`到期 ${num(w.due)} 件 · 按期 ${pct(w.on_time_rate)}%`,
                          `期内超期 ${num(w.overdue)} 件`] },
  { key: "success_rate", label: "调解成功率", unit: "%", period: true,
    value: (o, w) => pct(w.success_rate),
    sub: (o, w, w7) => [`办结 ${num(w.resolved)} 件`, `近7日 ${pct(w7.success_rate)}%`],
    periodSub: (o, w) => [`办结 ${num(w.resolved)} 件`, `调解成功 ${num(w.mediated)} 件`] },
  { key: "satisfaction", label: "满意度", unit: "%", period: true,
    value: (o, w) => pct(w.satisfaction),
    sub: (o, w) => [`回访 ${num(w.rated)} 件`,
                    `均分 ${w.satisfaction_mean == null ? "—" : w.satisfaction_mean.toFixed(2)} / 5`] },
  { key: "sign_minutes", label: "平均签收用时", period: true,
    value: (o, w) => duration(w.sign_minutes),
    sub: (o, w) => [`中位 ${age(w.sign_median_minutes)}`, `按时签收 ${pct(w.sign_on_time_rate)}%`] },
  { key: "arrive_minutes", label: "平均到场用时", period: true,
    value: (o, w) => duration(w.arrive_minutes),
    sub: (o, w) => [`中位 ${age(w.arrive_median_minutes)}`, `到场 ${num(w.arrived)} 件`] },
]

// cardFace(spec, o, w, w7) -> {value, none, text, unit, subs, tone}: what one card shows
// ("暂无" and no unit when there is no value). A chosen period's window (``w.period``, see
// wall/period.js) uses the card's ``periodSub`` where the rolling lines would not apply.
export function cardFace(spec, o, w, w7) {
  let value = spec.value(o, w, w7)
  let unit = spec.unit || ""
  if (Array.isArray(value)) { [value, unit] = value }
  const none = value === "—"
  return { value, none, text: none ? "暂无" : value, unit: none ? "" : unit,
           subs: w.period && spec.periodSub ? spec.periodSub(o, w) : spec.sub(o, w, w7),
           tone: spec.tone ? spec.tone(o) : "" }
}
