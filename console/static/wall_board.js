// WallBoard: the map wall's panels (Panel JSComponent ESM; Python side in console/pages/wall.py).
//
// Each part ("top", "left", "right": wall/top.js, left.js, right.js) builds its DOM once and then
// updates text and attributes in place whenever `data` changes: a fixed number of elements, so a
// wall can run for days without its page growing. Clicks on the breadcrumb and ranking rows go
// back to Python as drill requests. Only aggregate figures and area names arrive here: nothing
// personal is ever sent to the wall.

import { make } from "fq/wall/dom.js"
import { buildLeft } from "fq/wall/left.js"
import { buildRight } from "fq/wall/right.js"
import { buildTop } from "fq/wall/top.js"

export function render({ model, el }) {
  const box = make("div", `wb wb-${model.part}`)
  el.appendChild(box)
  const build = { top: buildTop, left: buildLeft, right: buildRight }[model.part] || buildTop
  const update = build(box, model)
  const apply = () => {
    const t0 = performance.now()
    try { update(model.data || {}) } catch (err) { console.error("大屏更新失败：", err) }
    if (Array.isArray(window.__lmTiming)) {  // see leaflet_map.js: what long tasks are made of
      window.__lmTiming.push([t0, performance.now() - t0, "board", model.part, 0])
    }
  }
  model.on("change:data", apply)
  apply()
}
