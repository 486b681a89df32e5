// console/static/map/geometry.js and style.js: the live map's pure parts.
import assert from "node:assert/strict"
import { test } from "node:test"

import { bboxOf, featureId, geometryContains } from "../../console/static/map/geometry.js"
import { legendEntry, legendNote } from "../../console/static/map/legend.js"
import { areaPopupHtml, featurePopupHtml } from "../../console/static/map/popups.js"
import { illustrativeTag, styleFor, swatch } from "../../console/static/map/style.js"

const SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
const HOLE = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]

test("a point is in a polygon, not in its hole, and in any part of a multipolygon", () => {
  const poly = { type: "Polygon", coordinates: [SQUARE, HOLE] }
  assert.equal(geometryContains(poly, 2, 2), true)
  assert.equal(geometryContains(poly, 5, 5), false)  // the hole
  assert.equal(geometryContains(poly, 11, 5), false)
  const multi = { type: "MultiPolygon",
                  coordinates: [[SQUARE], [[[20, 0], [30, 0], [30, 10], [20, 0]]]] }
  assert.equal(geometryContains(multi, 28, 5), true)
  assert.equal(geometryContains(multi, 15, 5), false)
  assert.equal(geometryContains({ type: "Point", coordinates: [2, 2] }, 2, 2), false)
  assert.equal(geometryContains(null, 2, 2), false)
})

test("bounds walk every nesting level", () => {
  assert.deepEqual(bboxOf({ type: "Polygon", coordinates: [SQUARE, HOLE] }), [0, 0, 10, 10])
  assert.deepEqual(bboxOf({ type: "Point", coordinates: [3, -2] }), [3, -2, 3, -2])
  assert.deepEqual(bboxOf(null), [Infinity, Infinity, -Infinity, -Infinity])
})

test("a feature's id is its own id, else its properties' id, as text", () => {
  assert.equal(featureId({ id: 7, properties: { id: 8 } }), "7")
  assert.equal(featureId({ id: 0 }), "0")
  assert.equal(featureId({ properties: { id: 8 } }), "8")
  assert.equal(featureId({ properties: {} }), undefined)
  assert.equal(featureId(null), undefined)
})

test("a layer's style takes its class's overrides and drops what Leaflet does not know", () => {
  const config = { style: { color: "#111", weight: 2, by: "kind", label: "设施",
                            classes: { police_station: { label: "派出所", fillColor: "#00f" } } } }
  assert.deepEqual(styleFor(config, { properties: { kind: "police_station" } }),
    { color: "#111", weight: 2, fillColor: "#00f" })
  assert.deepEqual(styleFor(config, { properties: { kind: "other" } }), { color: "#111", weight: 2 })
  assert.deepEqual(styleFor({}, null), {})
})

test("swatches escape their colours; the 示意 tag shows only on illustrative data", () => {
  assert.match(swatch("point", { color: "#f00" }), /background:#f00;border-color:#f00/)
  assert.match(swatch("area", { color: "red\"><script>", dashArray: "4" }),
    /border-color:red&quot;&gt;&lt;script&gt;;border-style:dashed/)
  assert.equal(illustrativeTag({ illustrative: true }), `<span class="lm-tag">示意</span>`)
  assert.equal(illustrativeTag({}), "")
})

test("a point's popup says its deadline in Beijing time and whether it is late", () => {
  const config = { label: "在办事件", style: { by: "priority", classes: { 1: { label: "紧急" } } } }
  const feature = { id: 5, properties: { name: "<噪音>", priority: 1, clock: "sign",
                                         due: "2026-03-01T23:00:00Z", address: "天山路1号" } }
  const late = featurePopupHtml(config, feature, Date.parse("2026-03-02T00:00:00Z"))
  assert.match(late, /&lt;噪音&gt;/)
  assert.match(late, /<th>类型<\/th><td>紧急<\/td>/)
  assert.match(late, /<th>编码<\/th><td class="lm-code">5<\/td>/)
  assert.match(late, /<th>签收时限<\/th><td class="lm-late">2026\/03\/02 07:00:00（已超时）/)
  const early = featurePopupHtml(config, feature, Date.parse("2026-03-01T22:00:00Z"))
  assert.match(early, /<td>2026\/03\/02 07:00:00<\/td>/)
})

test("the area popup lists the areas and the spot", () => {
  const html = areaPopupHtml([{ label: "网格", name: "一网格", code: "G1", illustrative: true },
                              { label: "社区", name: null, id: "9" }], 84.873, 45.59)
  assert.match(html, /<th>网格<\/th><td><div class="lm-name">一网格<span class="lm-tag">示意<\/span>/)
  assert.match(html, /（未命名）<\/div><div class="lm-code">9</)
  assert.match(html, /45\.59000, 84\.87300/)
})

test("a legend entry: one swatch, or a group with its labelled classes; greyed when off", () => {
  const plain = { label: "道路", kind: "line", style: { color: "#999" } }
  assert.equal(legendEntry(plain, true, "", null),
    `<div class="lm-legend-item"><span class="lm-swatch lm-swatch-line" ` +
    `style="border-top-color:#999"></span><span>道路</span></div>`)
  assert.equal(legendEntry({ ...plain, legend: false }, true, "", null), "")
  const grouped = { label: "设施", kind: "point", style: { color: "#111", by: "kind",
    classes: { a: { label: "派出所", fillColor: "#00f" }, b: { fillColor: "#0f0" } } } }
  const html = legendEntry(grouped, false, "", (c) => `<i>${c.label}</i>`)
  assert.match(html, /^<div class="lm-legend-item lm-off lm-legend-group">设施<\/div><i>设施<\/i>/)
  assert.match(html, /data-value="a">.*background:#00f;border-color:#111.*派出所/)
  assert.doesNotMatch(html, /data-value="b"/)  // a class without a label is not listed
})

test("a legend note says failed, zoom in, or loading, in that order", () => {
  assert.match(legendNote("error", true, false, 15), /加载失败/)
  assert.match(legendNote("loading", true, false, 15), /放大至15级显示/)
  assert.match(legendNote("loading", true, true, 15), /加载中…/)
  assert.equal(legendNote("ready", false, false, 15), "")
})
