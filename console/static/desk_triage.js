// DeskTriage: 扫码说事 reports waiting for this desk (pushed by the desk hub, cut to the reader's
// area by the server). 受理 registers the case through the normal intake and opens it here;
// 不予受理 needs the reason the resident reads. An address-only report the geocoder cannot place
// comes back refused with its candidates: confirm one, or pick the point on the map.
import { api, clear, fmtTime, h, liveRows } from "fq/desk_common.js"

const MAX_ROWS = 50

export function render({ model, el }) {
  const root = h("div", { class: "dk-panel dk-triage" })
  const count = h("span", { class: "dk-count" })
  const list = h("div", { class: "dk-tr-list", role: "list" })
  root.append(h("div", { class: "dk-panel-head" }, h("span", {}, "扫码说事 · 待审核"), count), list)
  el.appendChild(root)
  const base = model.api_base
  const notes = new Map()  // report id -> {text, candidates} of its last refusal
  const picked = new Map()  // report id -> {lon, lat} picked on the map
  let picking = null

  async function decide(r, what, body) {
    const res = await api(`${base}/triage/reports/${r.id}/${what}`, { method: "POST", body })
    if (res.ok) {
      notes.delete(r.id)
      picked.delete(r.id)
      if (what === "accept" && res.data && res.data.incident_id) {
        model.send_msg({ type: "open", id: res.data.incident_id })
      }
      return  // the hub's push takes the row away
    }
    const detail = (res.data && res.data.error && res.data.error.detail) || {}
    notes.set(r.id, { text: res.error.message, candidates: detail.candidates || [] })
    draw()
  }

  function card(r) {
    const cat = h("select", { class: "dk-input", "aria-label": "类别" })
    for (const [k, v] of Object.entries(model.vocab.categories)) { cat.append(new Option(v, k, false, k === r.category)) }
    const pri = h("select", { class: "dk-input", "aria-label": "紧急程度" })
    for (const [k, v] of Object.entries(model.vocab.priorities)) { pri.append(new Option(v, k, false, k === "normal")) }
    const reason = h("input", { class: "dk-input", placeholder: "不予受理理由（居民可见）", "aria-label": "不予受理理由" })
    const accept = (spot) => decide(r, "accept", { category: cat.value, priority: pri.value, ...(spot || picked.get(r.id) || {}) })
    const where = r.address || (r.lon !== null ? `地图点选 ${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}` : "未给出")
    const note = notes.get(r.id)
    const spot = picked.get(r.id)
    const item = h("div", { class: "dk-tr-item", role: "listitem", dataset: { id: r.id, code: r.tracking_code } },
      h("div", { class: "dk-tr-line" }, h("b", {}, r.category_label), ` · ${fmtTime(r.submitted_at)} · 照片 ${r.photos} 张`),
      h("div", { class: "dk-tr-desc" }, r.description),
      h("div", { class: "dk-tr-meta" }, `位置：${where}`, r.lon === null ? " （仅地址）" : ""),
      h("div", { class: "dk-tr-meta" }, `反映人：${r.name || "匿名"} · ${r.phone ? `${r.phone}（${r.phone_check}）` : "未留电话"} · 查询码 ${r.tracking_code}`),
      (r.notes || []).map((n) => h("div", { class: "dk-tr-meta" }, `居民补充：${n.text}`)),
      spot ? h("div", { class: "dk-tr-meta" }, `已选位置 ${spot.lat.toFixed(5)}, ${spot.lon.toFixed(5)}`) : null,
      note ? h("div", { class: "dk-error dk-tr-error", role: "alert" }, note.text) : null,
      note && note.candidates.length ? h("div", { class: "dk-tr-cands" }, note.candidates.map((c) =>
        h("button", { type: "button", class: "dk-btn dk-btn-sm dk-btn-ghost dk-tr-cand",
          onclick: () => accept({ lon: c.lon, lat: c.lat }) }, `确认：${c.address}`))) : null)
    if (model.decides) {
      item.append(
        h("div", { class: "dk-tr-acts" }, cat, pri,
          h("button", { type: "button", class: "dk-btn dk-btn-sm dk-btn-primary dk-tr-accept", onclick: () => accept() }, "受理"),
          r.lon === null ? h("button", { type: "button", class: "dk-btn dk-btn-sm dk-btn-ghost dk-tr-pick",
            onclick: () => { picking = r.id; model.send_msg({ type: "pick" }) } }, picking === r.id ? "请点击地图…" : "地图点选") : null),
        h("div", { class: "dk-tr-acts" }, reason,
          h("button", { type: "button", class: "dk-btn dk-btn-sm dk-btn-danger dk-tr-reject",
            onclick: () => decide(r, "reject", { reason: reason.value }) }, "不予受理")))
    }
    return item
  }

  function draw() {
    const rows = live.rows
    root.style.height = `${model.heights[rows.length ? 1 : 0]}px`
    count.textContent = rows.length ? `${rows.length} 件` : ""
    root.dataset.count = String(rows.length)
    clear(list)
    for (const r of rows.slice(0, MAX_ROWS)) { list.appendChild(card(r)) }
    if (!rows.length) { list.appendChild(h("div", { class: "dk-empty dk-tr-empty" }, "暂无待审核的居民反映")) }
    if (rows.length > MAX_ROWS) { list.appendChild(h("div", { class: "dk-empty" }, `另有 ${rows.length - MAX_ROWS} 件`)) }
  }

  model.on("change:point", () => {
    const p = model.point
    if (picking === null || !p) { return }
    picked.set(picking, { lon: p.lon, lat: p.lat })
    picking = null
    draw()
  })
  // a card being typed in is not redrawn under the officer's hands: only new rows and removals
  const live = liveRows(model, (kind, changed, reordered) => {
    const typing = root.contains(root.getRootNode().activeElement)
    if (kind === "full" || reordered || changed.some(([was]) => !was) || !typing) { draw() }
  })
  draw()
}
