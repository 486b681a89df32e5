// /report: a resident's report (扫码说事) — category, what happened, where (our map, the phone's
// position on HTTPS, or an address and the geocoder's candidates), optional name, phone and
// photos; the proof of work is solved here before the form is sent.
import { fetchJson } from "../lib/http.js"
import { solve } from "./pow.js"

const config = JSON.parse(document.getElementById("fq-config").textContent)
const $ = (id) => document.getElementById(id)
const L = window.L
const API = "/api/v1/resident"
let point = null
let marker = null

function fail(message) {
  $("error").textContent = message
  $("error").hidden = !message
}

for (const [code, label] of Object.entries(config.categories)) {
  $("category").append(new Option(label, code))
}
$("category").value = "neighbour"
$("description").maxLength = config.limits.description
$("name").maxLength = config.limits.name
$("phone").maxLength = config.limits.phone
$("address").maxLength = config.limits.address

// the phone check: a code by SMS where the centre has a gateway; otherwise the page says the
// phone is kept unverified (the server decides either way)
if (config.sms) {
  $("send-code").hidden = false
  $("phone_code").hidden = false
  $("phone_code").maxLength = config.limits.phone_code
  $("phone-note").textContent = "可获取短信验证码以验证手机号（不验证也可提交）"
  $("send-code").addEventListener("click", async () => {
    fail("")
    if (!$("phone").value.trim()) { fail("请先填写手机号"); return }
    $("send-code").disabled = true
    try {
      const out = await fetchJson(`${API}/phone-code`, { method: "POST", json: { phone: $("phone").value.trim() } })
      $("phone-note").textContent = out.note
    } catch (err) { fail(err.message) } finally {
      setTimeout(() => { $("send-code").disabled = false }, 30000)
    }
  })
} else {
  $("phone-note").textContent = "本平台未配置短信网关，手机号不作验证，将作为“未验证”号码记录。"
}

const map = L.map("map", { zoomControl: true, attributionControl: false })
const shiyi = document.createElement("div")
shiyi.className = "shiyi"
shiyi.textContent = "示意"
$("map").append(shiyi)
map.setView([45.6, 84.87], 12)

function place(lon, lat, label) {
  point = { lon, lat }
  if (marker) { marker.setLatLng([lat, lon]) } else {
    marker = L.circleMarker([lat, lon], { radius: 9, color: "#c0392b", weight: 3, fillOpacity: 0.5 })
      .addTo(map)
  }
  $("where").textContent = `位置：${label}`
}

fetchJson(`${API}/basemap`).then((fc) => {
  const layer = L.geoJSON(fc, {
    style: (f) => f.properties.kind === "community"
      ? { color: "#7a8ca3", weight: 1, fillColor: "#dfe7f0", fillOpacity: 0.35 }
      : { color: "#b9a98f", weight: 1.5 },
  }).addTo(map)
  if (!config.place && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()) }
}).catch(() => { shiyi.textContent = "示意（底图暂不可用）" })

if (config.place) {
  const p = config.place
  map.setView([p.lat, p.lon], 15)
  place(p.lon, p.lat, `${p.parent ? p.parent + " " : ""}${p.name}（可在地图上点选调整）`)
  $("place-note").textContent = `来自二维码：${p.name}`
}

map.on("click", (e) => {
  place(e.latlng.lng, e.latlng.lat, `已在地图上点选（${e.latlng.lat.toFixed(5)}, ${e.latlng.lng.toFixed(5)}）`)
})

if (!window.isSecureContext || !navigator.geolocation) {
  $("locate").disabled = true
  $("locate-note").textContent = "当前页面不是 HTTPS 加密连接，浏览器不提供手机定位；请在地图上点选或填写地址。"
} else {
  $("locate").addEventListener("click", () => {
    $("locate-note").textContent = "正在定位…"
    navigator.geolocation.getCurrentPosition((pos) => {
      const { longitude: lon, latitude: lat, accuracy } = pos.coords
      map.setView([lat, lon], 16)
      place(lon, lat, `手机定位（精度约 ${Math.round(accuracy)} 米）`)
      $("locate-note").textContent = ""
    }, (err) => { $("locate-note").textContent = `定位失败：${err.message}；请在地图上点选或填写地址。` },
    { enableHighAccuracy: true, timeout: 15000 })
  })
}

$("find").addEventListener("click", async () => {
  const q = $("address").value.trim()
  $("candidates").replaceChildren()
  if (!q) { fail("请先填写地址"); return }
  fail("")
  try {
    const found = await fetchJson(`${API}/geocode?q=${encodeURIComponent(q)}`)
    if (!found.candidates.length) {
      $("candidates").append(Object.assign(document.createElement("li"),
        { textContent: "未找到该地址，可直接提交（工作人员会核实），或在地图上点选。" }))
    }
    for (const c of found.candidates) {
      const b = Object.assign(document.createElement("button"), { type: "button", textContent: c.address })
      b.addEventListener("click", () => {
        $("address").value = c.address
        map.setView([c.lat, c.lon], 16)
        place(c.lon, c.lat, c.address)
        $("candidates").replaceChildren()
      })
      const li = document.createElement("li")
      li.append(b)
      $("candidates").append(li)
    }
  } catch (err) { fail(err.message) }
})

$("photo").addEventListener("change", () => {
  const n = $("photo").files.length
  $("photo-note").textContent = n > config.limits.photos
    ? `照片最多 ${config.limits.photos} 张，请重新选择` : n ? `已选 ${n} 张照片` : ""
})

$("report").addEventListener("submit", async (e) => {
  e.preventDefault()
  fail("")
  if (!$("description").value.trim()) { fail("请填写发生了什么"); return }
  if (!point && !$("address").value.trim()) { fail("请在地图上点选位置、使用手机定位或填写地址"); return }
  if ($("photo").files.length > config.limits.photos) { fail(`照片最多 ${config.limits.photos} 张`); return }
  $("submit").disabled = true
  $("progress").textContent = "正在提交…"
  try {
    const ch = await fetchJson(`${API}/challenge`, { method: "POST" })
    const solution = await solve(ch.nonce, ch.bits)
    const form = new FormData()
    for (const k of ["category", "description", "address", "name", "phone", "phone_code"]) {
      form.append(k, $(k).value)
    }
    if (point) { form.append("lon", String(point.lon)); form.append("lat", String(point.lat)) }
    if (config.place) { form.append("place", config.place.at) }
    form.append("nonce", ch.nonce)
    form.append("answer", solution)
    for (const f of $("photo").files) { form.append("photo", f, f.name) }
    const out = await fetchJson(`${API}/reports`, { method: "POST", body: form })
    $("report").hidden = true
    $("done").hidden = false
    $("done-title").textContent = out.message + ($("phone").value.trim()
      ? (out.phone_verified ? "（手机号已验证）" : "（手机号未验证）") : "")
    if (out.tracking_code) {
      $("code").textContent = out.tracking_code
      $("qr").src = `${API}/qr/${out.tracking_code}.svg`
      $("track-link").href = `/track/${out.tracking_code}`
    } else {
      $("code").textContent = "（请使用您首次提交时的查询码）"
      $("qr").hidden = true
      $("track-link").href = "/track"
    }
  } catch (err) {
    fail(err.message)
  } finally {
    $("submit").disabled = false
    $("progress").textContent = ""
  }
})
