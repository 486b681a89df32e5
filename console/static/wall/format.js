// The wall's words and numbers: figures in Chinese digits grouping, durations in the unit that
// reads best, Beijing clock and date, area levels, and names shortened where the wall has no room.
// Pure: tested under node (tests/js).
import { TZ } from "../lib/time.js"

export const LEVEL_NAMES = { all: "全辖区", district: "区县", street: "街道", community: "社区", grid: "网格" }
export const CHILD_NAMES = { all: "街道", district: "街道", street: "社区", community: "网格" }

export const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"))
export const pct = (r) => (r === null || r === undefined ? "—" : Number(r).toFixed(1))

// duration(minutes) -> [value, unit]: minutes below 90, hours below two days, then days.
export function duration(min) {
  if (min === null || min === undefined) { return ["—", ""] }
  if (min < 90) { return [String(Math.round(min)), "分钟"] }
  if (min < 60 * 48) { return [(min / 60).toFixed(1), "小时"] }
  return [(min / 1440).toFixed(1), "天"]
}

export function age(min) {
  const [v, unit] = duration(min)
  return `${v}${unit}`
}

export const CLOCK = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })
export const DATE = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TZ, year: "numeric", month: "long", day: "numeric", weekday: "long" })

// "东盛社区第2网格" under 东盛社区 reads "第2网格": the wall has no room to repeat the parent.
export function shortName(name, parent) {
  const text = String(name || "")
  return parent && text.startsWith(parent) && text.length > parent.length ? text.slice(parent.length) : text
}

// "邻里纠纷" → "邻里", "劳动争议/欠薪" → "劳动欠薪": the case list's first column is narrow.
export function shortCategory(label) {
  return String(label || "").replace(/纠纷$/, "").replace("争议/", "")
}
