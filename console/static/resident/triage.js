// /triage: the desk's queue of resident reports (待审核): accept into the normal intake (the case
// shows it came from a resident) or reject with the reason the resident reads on /track. The
// pending list is pushed (/api/v1/triage/stream: the desk hub's triage, cut to the reader);
// the decided lists are read when their tab is opened.
import { fetchJson, postJson } from "../lib/http.js"

const config = JSON.parse(document.getElementById("fq-config").textContent)
const $ = (id) => document.getElementById(id)
let status = "pending"

function fail(message) {
  $("error").textContent = message
  $("error").hidden = !message
}

function el(tag, props = {}, ...kids) {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...kids)
  return node
}

function card(r) {
  const when = new Date(r.submitted_at).toLocaleString("zh-CN")
  const where = r.address || (r.lon !== null ? `地图点选 ${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}` : "未给出")
  // the phone with whether an SMS code proved it (已验证 / 未验证: the server's word)
  const who = [r.name || "匿名", r.phone ? `${r.phone}（${r.phone_check}）` : "未留电话"].join(" · ")
  const item = el("article", { className: "item", id: `report-${r.id}` },
    el("h3", { textContent: `${r.category_label} · ${when}` }),
    el("p", { textContent: r.description }),
    el("p", { className: "meta", textContent: `位置：${where}${r.place ? `（二维码 ${r.place}）` : ""}` }),
    el("p", { className: "meta", textContent: `反映人：${who} · 照片 ${r.photos} 张 · 查询码 ${r.tracking_code}` }))
  for (const n of r.notes || []) {
    item.append(el("p", { className: "meta", textContent: `居民补充：${n.text}` }))
  }
  if (r.status === "accepted") {
    item.append(el("p", { className: "meta", textContent: `已受理为案件 ${r.incident_code || ""}（${r.decided_by}）` }))
  } else if (r.status === "rejected") {
    item.append(el("p", { className: "meta", textContent: `不予受理：${r.reject_reason}（${r.decided_by}）` }))
  } else {
    const cat = el("select", { "aria-label": "类别" })
    for (const [k, v] of Object.entries(config.categories)) { cat.append(new Option(v, k, false, k === r.category)) }
    const pri = el("select", { "aria-label": "紧急程度" })
    for (const [k, v] of Object.entries(config.priorities)) { pri.append(new Option(v, k, false, k === "normal")) }
    const accept = el("button", { type: "button", textContent: "受理", className: "accept" })
    accept.addEventListener("click", () => decide(r.id, "accept", { category: cat.value, priority: pri.value }))
    const reason = el("input", { placeholder: "不予受理理由（居民可见）", "aria-label": "不予受理理由" })
    const reject = el("button", { type: "button", textContent: "不予受理", className: "secondary reject" })
    reject.addEventListener("click", () => decide(r.id, "reject", { reason: reason.value }))
    item.append(el("div", { className: "acts" }, cat, pri, accept), el("div", { className: "acts" }, reason, reject))
  }
  return item
}

async function decide(id, what, body) {
  fail("")
  try {
    await postJson(`/api/v1/triage/reports/${id}/${what}`, body)
    $(`report-${id}`)?.remove()  // the push confirms it
  } catch (err) {
    const cands = (err.body && err.body.error && err.body.error.detail && err.body.error.detail.candidates) || []
    fail(err.message + (cands.length ? `（候选：${cands.map((c) => c.address).join("；")}，请在值班台地图上确认位置）` : ""))
  }
}

function show(items) {
  $("queue").replaceChildren(...(items.length ? items.map(card)
    : [el("p", { className: "note", textContent: "暂无" })]))
}

let pending = []
async function load() {
  if (status === "pending") { show(pending); return }
  try {
    const { items } = await fetchJson(`/api/v1/triage/reports?status=${status}`)
    show(items)
  } catch (err) { fail(err.message) }
}

for (const b of document.querySelectorAll(".tabs button")) {
  b.addEventListener("click", () => {
    status = b.dataset.status
    for (const o of document.querySelectorAll(".tabs button")) { o.classList.toggle("on", o === b) }
    load()
  })
}
const stream = new EventSource("/api/v1/triage/stream")
stream.onmessage = (e) => {
  pending = JSON.parse(e.data).items
  fail("")
  const typing = document.activeElement && document.activeElement.closest && document.activeElement.closest(".item")
  if (status === "pending" && !typing) { show(pending) }
}
stream.addEventListener("end", () => { stream.close(); fail("登录已失效或已退出，请重新登录") })
stream.onerror = () => { if (stream.readyState === EventSource.CONNECTING) { fail("实时连接中断，正在重连…") } }
