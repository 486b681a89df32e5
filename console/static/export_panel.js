// Export links of the home page: a street's self-contained HTML map and the wall as a PNG
// (console/api_export.py). Streets come from the layer API; nothing leaves the console.
import { fetchJson } from "fq/lib/http.js"

export async function render({ model, el }) {
  const base = model.api_base.replace(/\/$/, "")
  const box = document.createElement("div")
  box.className = "ts-box ex-panel"
  box.innerHTML = `<div class="ts-title">导出</div>
    <div class="ex-row"><select class="ex-street" aria-label="街道"><option value="">选择街道…</option></select>
      <a class="ex-go" target="_blank" rel="noopener">街道地图</a></div>
    <div class="ex-row"><a class="ex-wall" href="${base}/export/wall.png" target="_blank" rel="noopener">大屏截图 PNG</a></div>
    <div class="ex-note">HTML 地图可离线打开；地图左上角“导出视图”导出当前范围。</div>`
  el.appendChild(box)
  const select = box.querySelector(".ex-street")
  const go = box.querySelector(".ex-go")
  const sync = () => {
    if (select.value) { go.href = `${base}/export/street/${select.value}.html`; go.removeAttribute("aria-disabled") }
    else { go.removeAttribute("href"); go.setAttribute("aria-disabled", "true") }
  }
  select.addEventListener("change", sync)
  sync()
  try {
    const data = await fetchJson(`${base}/layers/streets.geojson`)
    for (const f of data.features || []) {
      const o = document.createElement("option")
      o.value = String(f.properties.id)
      o.textContent = f.properties.name || f.properties.code
      select.appendChild(o)
    }
  } catch (err) { console.error("街道列表加载失败：", err) }
}
