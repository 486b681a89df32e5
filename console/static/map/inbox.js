// The live map's inbox: the server's pushed diffs, heard from before the map's first await (a
// cold browser can render the map after the page's load event: the server is told "listening"
// and sends its live layers again) and queued until the layers exist, then each applied. With
// `window.__lmTiming = []` set (benchmarks, support staff), each handled message leaves
// [start, ms, type, layer, count] there: what a long task on a busy wall was made of.
// No Leaflet, no DOM: tested under node (tests/js) with a stand-in model.

// openInbox(model) -> {start(apply), close()}: `start` applies what queued, then each new message.
export function openInbox(model) {
  const pending = []
  let handle = (msg) => pending.push(msg)
  // Upserts come as one JSON text (console/wire.py): the browser's own parser decodes it.
  const listener = (msg) => handle(typeof msg === "string" ? JSON.parse(msg) : msg)
  model.on("msg:custom", listener)
  model.send_msg({ type: "listening" })
  return {
    start(apply) {
      handle = (msg) => timedApply(apply, msg)
      for (const msg of pending.splice(0)) { handle(msg) }
    },
    close() { model.off("msg:custom", listener) },
  }
}

// timedApply(apply, msg): apply one message (objects only), timed when __lmTiming is a list.
export function timedApply(apply, msg) {
  if (!msg || typeof msg !== "object") { return }
  const timing = globalThis.__lmTiming
  if (!Array.isArray(timing)) { apply(msg); return }
  const t0 = performance.now()
  apply(msg)
  timing.push([t0, performance.now() - t0, msg.type, msg.layer ?? "",
               (msg.features || msg.ids || []).length])
}
