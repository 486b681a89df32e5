// /track/{code}: a resident's view of the report's progress (受理 → 分派 → 处置 → 办结 → 回访),
// adding information or rating the result once done.
import { fetchJson, postJson } from "../lib/http.js"

const config = JSON.parse(document.getElementById("fq-config").textContent)
const $ = (id) => document.getElementById(id)
const API = "/api/v1/resident/track"
let code = config.code
let rating = 0

function fail(message) {
  $("error").textContent = message
  $("error").hidden = !message
}

function fact(term, value) {
  if (value === null || value === undefined || value === "") { return }
  const dt = Object.assign(document.createElement("dt"), { textContent: term })
  const dd = Object.assign(document.createElement("dd"), { textContent: String(value) })
  $("facts").append(dt, dd)
}

async function show() {
  fail("")
  $("view").hidden = true
  if (!code) { return }
  try {
    const v = await fetchJson(`${API}/${encodeURIComponent(code)}`)
    $("code").textContent = v.tracking_code
    $("steps").replaceChildren(...v.steps.map((s, i) => {
      const li = Object.assign(document.createElement("li"), { textContent: s })
      if (v.step !== null && i < v.step) { li.className = "done" }
      if (v.step !== null && i === v.step) { li.className = "now" }
      return li
    }))
    $("summary").textContent = `${v.label}：${v.summary}`
    $("facts").replaceChildren()
    fact("纠纷类别", v.category)
    fact("所在区域", v.area)
    fact("提交时间", v.submitted_at ? new Date(v.submitted_at).toLocaleString("zh-CN") : "")
    fact("不予受理理由", v.reason)
    fact("办结结果", v.outcome)
    fact("我的评价", v.rating ? "★".repeat(v.rating) : "")
    $("info").hidden = !v.can_add
    $("rate").hidden = !v.can_rate
    $("view").hidden = false
  } catch (err) { fail(err.message) }
}

$("code-in").value = code
$("lookup").addEventListener("submit", (e) => {
  e.preventDefault()
  code = $("code-in").value.trim()
  history.replaceState(null, "", `/track/${encodeURIComponent(code)}`)
  show()
})

$("info-text").maxLength = config.limits.info
$("info").addEventListener("submit", async (e) => {
  e.preventDefault()
  try {
    await postJson(`${API}/${encodeURIComponent(code)}/info`, { text: $("info-text").value })
    $("info-text").value = ""
    $("said").textContent = "补充情况已提交，工作人员将一并处理。"
  } catch (err) { fail(err.message) }
})

for (let i = 1; i <= 5; i++) {
  const b = Object.assign(document.createElement("button"), { type: "button", textContent: `${i}★` })
  b.addEventListener("click", () => {
    rating = i
    for (const [j, s] of [...$("stars").children].entries()) { s.classList.toggle("on", j < i) }
  })
  $("stars").append(b)
}
$("rate").addEventListener("submit", async (e) => {
  e.preventDefault()
  if (!rating) { fail("请选择星级"); return }
  try {
    await postJson(`${API}/${encodeURIComponent(code)}/rating`,
      { rating, note: $("rate-note").value || null })
    $("said").textContent = "感谢您的评价。"
    show()
  } catch (err) { fail(err.message) }
})

show()
