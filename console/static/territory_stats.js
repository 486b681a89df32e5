// TerritoryStats: the home page's side panel, filled from GET {health_url} in the browser.
import { fetchJson } from "fq/lib/http.js"

const ROWS = [
  ["streets", "街道"],
  ["communities", "社区"],
  ["grids", "网格"],
  ["micro_grids", "微网格"],
  ["police_grids", "警格"],
  ["facilities", "服务设施"],
  ["units", "调度力量"],
  ["road_edges", "道路路段"],
  ["addresses", "标准地址"],
]

function fmt(n) {
  return typeof n === "number" ? n.toLocaleString("zh-CN") : "—"
}

export function render({ model, el }) {
  const box = document.createElement("div")
  box.className = "ts-box"
  box.innerHTML = `
    <div class="ts-title">辖区概况</div>
    <div class="ts-grid"></div>
    <div class="ts-status"><span class="ts-dot"></span><span class="ts-status-text">正在读取…</span></div>
    <div class="ts-note"></div>`
  const grid = box.querySelector(".ts-grid")
  for (const [key, label] of ROWS) {
    const cell = document.createElement("div")
    cell.className = "ts-cell"
    cell.dataset.key = key
    cell.innerHTML = `<div class="ts-value">—</div><div class="ts-label"></div>`
    cell.querySelector(".ts-label").textContent = label
    grid.appendChild(cell)
  }
  const statusEl = box.querySelector(".ts-status")
  const statusText = box.querySelector(".ts-status-text")
  const note = box.querySelector(".ts-note")
  const setNote = () => { note.textContent = model.note || "" }
  setNote()
  model.on("change:note", setNote)

  const controller = new AbortController()
  model.on("remove", () => controller.abort())

  async function load() {
    try {
      const data = await fetchJson(new URL(model.health_url, document.baseURI).href,
                                   { signal: controller.signal })
      const territory = data.territory || {}
      for (const cell of grid.children) {
        cell.querySelector(".ts-value").textContent = fmt(territory[cell.dataset.key])
      }
      const ok = data.status === "ok"
      statusEl.classList.toggle("ts-bad", !ok)
      statusText.textContent = ok ? `系统运行正常 · 数据库${data.database === "ok" ? "连接正常" : escapeText(data.database)}`
                                  : `系统状态：${escapeText(data.status)}`
      box.dataset.loaded = "true"
    } catch (err) {
      if (controller.signal.aborted) { return }
      statusEl.classList.add("ts-bad")
      statusText.textContent = "无法读取辖区数据"
      box.dataset.loaded = "error"
      console.error("健康检查失败：", err)
    }
  }
  model.on("change:health_url", load)
  load()
  return box
}

function escapeText(value) {
  // Used with textContent only; this just normalises null/undefined.
  return value == null ? "未知" : String(value)
}
