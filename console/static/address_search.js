// Address search with live candidates from /api/v1/geocode; a pick is located through
// /api/v1/locate, its chain shown here and handed to Python (which flies the map there).
import { escapeHtml as esc } from "fq/lib/escape.js"
import { fetchJson, request } from "fq/lib/http.js"

const LEVELS = { building: "楼栋", door: "门牌", compound: "小区", road: "道路",
                 community: "社区", street: "街道", place: "地点" }

export function render({ model, el }) {
  const root = document.createElement("div")
  root.className = "as-root"
  const input = document.createElement("input")
  input.type = "search"
  input.placeholder = "输入地址：如 天山路128号、友谊佳苑3号楼"
  input.setAttribute("aria-label", "地址搜索")
  const list = document.createElement("ul")
  list.className = "as-list"
  const chain = document.createElement("div")
  chain.className = "as-chain"
  root.append(input, list, chain)
  el.appendChild(root)

  let timer = null
  let seq = 0
  let items = []

  async function search(q) {
    const mine = ++seq
    if (!q.trim()) { list.innerHTML = ""; return }
    let body
    try {
      body = await fetchJson(`${model.api_base}/geocode?q=${encodeURIComponent(q)}&limit=6`)
    } catch (err) {
      if (mine === seq) { list.innerHTML = `<li class="as-empty">查询失败：${esc(err.message)}</li>` }
      return
    }
    if (mine !== seq) { return }  // a newer keystroke has its own answer coming
    items = body.candidates || []
    if (!items.length) {
      const admin = body.matched_admin ? `（仅识别到${esc(body.matched_admin.name)}）` : ""
      list.innerHTML = `<li class="as-empty">未找到匹配地址${admin}</li>`
      return
    }
    list.innerHTML = items.map((c, i) => `<li data-i="${i}" tabindex="0">
      <span class="as-addr">${esc(c.address)}</span>
      <span class="as-meta">${esc(LEVELS[c.level] || c.level)} · 置信度 ${Math.round(c.confidence * 100)}%</span>
    </li>`).join("")
  }

  async function pick(i) {
    const c = items[i]
    if (!c) { return }
    list.innerHTML = ""
    input.value = c.address
    const loc = (await request(`${model.api_base}/locate?lon=${c.lon}&lat=${c.lat}`)).data || {}
    const names = ["street", "community", "grid", "micro_grid", "police_grid"]
      .map((k) => loc[k]?.name).filter(Boolean)
    chain.innerHTML = names.length
      ? `<div class="as-chain-line">${names.map(esc).join(" › ")}</div>` +
        (loc.centre ? `<div class="as-chain-sub">责任中心：${esc(loc.centre.name)}</div>` : "")
      : `<div class="as-chain-sub">该点不在辖区内</div>`
    model.picked = { address: c.address, lon: c.lon, lat: c.lat, level: c.level,
                     micro_grid_id: loc.micro_grid?.id ?? null }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer)
    timer = setTimeout(() => search(input.value), 180)
  })
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && items.length) { pick(0) }
  })
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-i]")
    if (li) { pick(Number(li.dataset.i)) }
  })
  list.addEventListener("keydown", (e) => {
    const li = e.target.closest("li[data-i]")
    if (li && e.key === "Enter") { pick(Number(li.dataset.i)) }
  })
}
