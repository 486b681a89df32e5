// Requests to the console's own API: same-origin cookies, JSON in and out, and the API's Chinese
// error ({"error": {"message", "field"}}) carried to the page. Nothing here talks to another host.

export const NETWORK_ERROR = "网络异常，请检查网络后重试"

export function statusError(status) { return `请求未成功（${status}），请稍后重试` }

// request(url, {method, json, body, headers, signal, cache}) -> {ok, status, data, error}; never
// throws. `json` is sent as application/json (the API refuses cookie-authenticated writes of
// other types from another site); `body` (FormData, a Blob) is sent as it is; an aborted
// request answers {ok: false, status: 0, aborted: true}.
export async function request(url, { method = "GET", json, body, headers, signal, cache } = {}) {
  const init = { method, credentials: "same-origin",
                 headers: { Accept: "application/json", ...(headers || {}) } }
  if (signal) { init.signal = signal }
  if (cache) { init.cache = cache }
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json"
    init.body = JSON.stringify(json)
  } else if (body !== undefined) {
    init.body = body
  }
  let resp
  try {
    resp = await globalThis.fetch(url, init)
  } catch {
    if (signal && signal.aborted) { return { ok: false, status: 0, data: null, aborted: true, error: { message: "已取消" } } }
    return { ok: false, status: 0, data: null, error: { message: NETWORK_ERROR } }
  }
  let data = null
  try { data = await resp.json() } catch { data = null }
  if (!resp.ok) {
    const given = data && typeof data.error === "object" && data.error !== null ? data.error : {}
    return { ok: false, status: resp.status, data,
             error: { ...given, message: given.message || statusError(resp.status) } }
  }
  return { ok: true, status: resp.status, data, error: null }
}

// The Error a failed request() throws from fetchJson: its message is the API's own reason;
// `status`, `field` (the field the API names) and `body` (the answer) ride along.
export function requestError(result) {
  const err = new Error(result.error.message)
  err.status = result.status
  err.field = result.error.field
  err.body = result.data ?? {}
  return err
}

// fetchJson(url, options) -> the answer's JSON, or throws requestError(...).
export async function fetchJson(url, options) {
  const result = await request(url, options)
  if (!result.ok) { throw requestError(result) }
  return result.data
}

// postJson(url, payload) -> fetchJson with a JSON POST.
export function postJson(url, payload) {
  return fetchJson(url, { method: "POST", json: payload })
}

// fetchFile(url) -> {ok: true, blob, filename} for a download (CSV, Excel), or the same
// {ok: false, status, error} as request() when the API refuses it (its Chinese reason).
export async function fetchFile(url, { signal } = {}) {
  let resp
  try {
    resp = await globalThis.fetch(url, { credentials: "same-origin", signal })
  } catch {
    return { ok: false, status: 0, error: { message: NETWORK_ERROR } }
  }
  if (!resp.ok) {
    let data = null
    try { data = await resp.json() } catch { data = null }
    const given = data && typeof data.error === "object" && data.error !== null ? data.error : {}
    return { ok: false, status: resp.status, error: { ...given, message: given.message || statusError(resp.status) } }
  }
  const cd = resp.headers.get("Content-Disposition") || ""
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd)
  const plain = /filename="([^"]+)"/i.exec(cd)
  const filename = star ? decodeURIComponent(star[1]) : plain ? plain[1] : "download"
  return { ok: true, status: resp.status, blob: await resp.blob(), filename }
}
