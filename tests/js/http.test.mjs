// console/static/lib/http.js: requests to the console's API, with a stand-in fetch.
import assert from "node:assert/strict"
import { afterEach, test } from "node:test"

import { NETWORK_ERROR, fetchJson, postJson, request } from "../../console/static/lib/http.js"

const realFetch = globalThis.fetch
let calls = []
afterEach(() => { globalThis.fetch = realFetch; calls = [] })

function answer(status, body) {
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init })
    return new Response(body === undefined ? "" : JSON.stringify(body),
                        { status, headers: { "Content-Type": "application/json" } })
  }
}

test("a JSON body goes as application/json with the page's cookies", async () => {
  answer(200, { id: 7 })
  const r = await request("/api/v1/incidents", { method: "POST", json: { title: "噪音" } })
  assert.deepEqual(r, { ok: true, status: 200, data: { id: 7 }, error: null })
  const { url, init } = calls[0]
  assert.equal(url, "/api/v1/incidents")
  assert.equal(init.method, "POST")
  assert.equal(init.credentials, "same-origin")
  assert.equal(init.headers["Content-Type"], "application/json")
  assert.equal(init.headers.Accept, "application/json")
  assert.equal(init.body, JSON.stringify({ title: "噪音" }))
})

test("a form body is sent as it is, with no JSON type", async () => {
  answer(201, { ok: true })
  const form = new FormData()
  form.append("file", new Blob(["x"]), "a.txt")
  await request("/up", { method: "POST", body: form })
  assert.equal(calls[0].init.body, form)
  assert.equal(calls[0].init.headers["Content-Type"], undefined)
})

test("a refusal carries the API's Chinese reason and field", async () => {
  answer(409, { error: { message: "案件已被他人签收", field: "expected_state" } })
  const r = await request("/x")
  assert.equal(r.ok, false)
  assert.equal(r.status, 409)
  assert.deepEqual(r.error, { message: "案件已被他人签收", field: "expected_state" })
  await assert.rejects(fetchJson("/x"), (err) => {
    assert.equal(err.message, "案件已被他人签收")
    assert.equal(err.status, 409)
    assert.equal(err.field, "expected_state")
    assert.deepEqual(err.body, { error: { message: "案件已被他人签收", field: "expected_state" } })
    return true
  })
})

test("an answer that is not JSON says the status", async () => {
  globalThis.fetch = async () => new Response("<html>bad gateway</html>", { status: 502 })
  const r = await request("/x")
  assert.equal(r.error.message, "请求未成功（502），请稍后重试")
  assert.equal(r.data, null)
})

test("a network failure is an answer, not an exception (fetchJson throws it)", async () => {
  globalThis.fetch = async () => { throw new TypeError("Failed to fetch") }
  assert.deepEqual(await request("/x"), { ok: false, status: 0, data: null,
                                          error: { message: NETWORK_ERROR } })
  await assert.rejects(postJson("/x", {}), { message: NETWORK_ERROR })
})

test("an aborted request says so instead of blaming the network", async () => {
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init })
    throw new DOMException("The operation was aborted.", "AbortError")
  }
  const controller = new AbortController()
  controller.abort()
  const r = await request("/x", { signal: controller.signal, cache: "no-store" })
  assert.equal(r.aborted, true)
  assert.equal(r.ok, false)
  assert.equal(calls[0].init.signal, controller.signal)
  assert.equal(calls[0].init.cache, "no-store")
})

test("a download comes back as a blob with the server's (Chinese) file name", async () => {
  const { fetchFile } = await import("../../console/static/lib/http.js")
  globalThis.fetch = async () => new Response("\ufeff案件编号\r\n", { status: 200, headers: {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": "attachment; filename=\"cases-1.csv\"; filename*=UTF-8''%E6%A1%88%E4%BB%B6.csv" } })
  const r = await fetchFile("/api/v1/export/incidents.csv")
  assert.equal(r.ok, true)
  assert.equal(r.filename, "案件.csv")
  assert.match(await r.blob.text(), /案件编号/)
})

test("a refused download carries the API's reason and field", async () => {
  const { fetchFile } = await import("../../console/static/lib/http.js")
  answer(400, { error: { code: "too_many_rows", message: "超过单次导出上限", field: "from" } })
  const r = await fetchFile("/api/v1/export/incidents.xlsx")
  assert.equal(r.ok, false)
  assert.equal(r.status, 400)
  assert.equal(r.error.field, "from")
  assert.equal(r.error.message, "超过单次导出上限")
})
