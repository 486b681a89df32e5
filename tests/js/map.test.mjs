// console/static/map/geometry.js and style.js: the live map's pure parts.
import assert from "node:assert/strict"
import { test } from "node:test"

import { bboxOf, featureId, geometryContains } from "../../console/static/map/geometry.js"
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
