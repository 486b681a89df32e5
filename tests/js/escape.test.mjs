// console/static/lib/escape.js: what the pages put into markup.
import assert from "node:assert/strict"
import { test } from "node:test"

import { escapeHtml, optionsHtml } from "../../console/static/lib/escape.js"

test("markup characters become entities, in the right order", () => {
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
})

test("nothing becomes the empty string, numbers their text, Chinese stays", () => {
  assert.equal(escapeHtml(null), "")
  assert.equal(escapeHtml(undefined), "")
  assert.equal(escapeHtml(0), "0")
  assert.equal(escapeHtml("天山路128号"), "天山路128号")
})

test("options escape values and labels and mark the chosen one", () => {
  const html = optionsHtml({ a: "甲", "b\"": "<乙>" }, "a", "全部")
  assert.equal(html, `<option value="">全部</option><option value="a" selected>甲</option>` +
    `<option value="b&quot;">&lt;乙&gt;</option>`)
  assert.equal(optionsHtml({ 1: "一" }, 1), `<option value="1" selected>一</option>`)
})
