// The read side's state on the admin page: where wall figures, layers, analyses and exports read
// (the streaming replica or the primary) and the replica's measured lag, from
// GET /api/v1/admin/replica every 10 s. Over the limit the server already reads the primary;
// this line says so ("数据延迟 N 秒") so nobody mistakes old figures for new ones.
import { escapeHtml as esc } from "fq/lib/escape.js"
import { request } from "fq/lib/http.js"

export const EVERY_MS = 10000

// replicaLine(status) -> {text, level}: level "ok" (replica in use or none configured), "warn"
export function replicaLine(s) {
  if (!s) { return { text: "只读副本状态未知", level: "warn" } }
  const level = !s.configured || s.source === "replica" ? "ok" : "warn"
  const bytes = s.behind_bytes ? `，落后 ${Math.round(s.behind_bytes / 1024)} KB WAL` : ""
  return { text: `${s.message}${bytes}`, level }
}

export function mountReplica(el, { base }) {
  async function load() {
    const r = await request(`${base}/admin/replica`)
    const line = r.ok ? replicaLine(r.data) : { text: `只读副本状态：${r.error.message}`, level: "warn" }
    el.innerHTML = `<span class="ad-replica-${line.level}">${esc(line.text)}</span>`
  }
  load()
  const timer = setInterval(load, EVERY_MS)
  return { stop: () => clearInterval(timer) }
}
