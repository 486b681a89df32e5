// DeskIntake: the 受理登记 form (Python side: console/desk_views.py). Where: an address with live
// candidates, a click on the map (Python sets `point`), or coordinates in a chosen CRS; each is
// located through /api/v1/locate and checked for duplicates and risk through /api/v1/desk/precheck
// before saving. Saving POSTs /api/v1/incidents; the result shows the chain, warnings, deadlines
// and the recommendation list with one-click assignment.
import { addressPicker, api, badge, clear, fmtFull, h, notice, priorityBadge, recommendPanel, riskBadge } from "fq/desk_common.js"
import { LIMITS } from "fq/lib/limits.js"

const ROLES = { applicant: "申请人", respondent: "被申请人", third_party: "第三人" }
const CRS = { wgs84: "WGS-84（GPS）", gcj02: "GCJ-02（国测局）", bd09: "BD-09（百度）" }
const CHAIN = [["community", "社区"], ["grid", "网格"], ["micro_grid", "微网格"], ["police_grid", "警格"]]

export function render({ model, el }) {
  const V = model.vocab
  const root = h("div", { class: "dk-panel dk-intake" })
  el.appendChild(root)
  let loc = null         // {lon, lat (WGS-84), label, source, located: /locate answer}
  let check = null       // /desk/precheck answer
  let mode = "address"
  let checkSeq = 0
  let checkTimer = null

  // ---- fields ----------------------------------------------------------------------------------
  function segmented(name, options, value) {
    const wrap = h("div", { class: "dk-seg", role: "radiogroup", dataset: { name } })
    for (const [k, label] of Object.entries(options)) {
      const b = h("button", { type: "button", class: "dk-seg-btn", role: "radio",
        dataset: { value: k }, onclick: () => set(k) }, label)
      wrap.appendChild(b)
    }
    function set(k) {
      wrap.dataset.value = k
      for (const b of wrap.children) {
        const on = b.dataset.value === k
        b.classList.toggle("on", on)
        b.setAttribute("aria-checked", on ? "true" : "false")
      }
    }
    set(value)
    return wrap
  }
  function select(name, options, value, extra) {
    const s = h("select", { class: "dk-input", name, ...(extra || {}) })
    for (const [k, label] of Object.entries(options)) {
      const o = h("option", { value: k }, label)
      if (k === value) { o.selected = true }
      s.appendChild(o)
    }
    return s
  }
  const field = (label, control, cls) => h("label", { class: `dk-field ${cls || ""}` },
    h("span", { class: "dk-label" }, label), control)

  const channel = segmented("channel", V.channels, "hotline")
  const category = select("category", { "": "请选择纠纷类别", ...V.categories }, "")
  const priority = segmented("priority", V.priorities, "normal")
  const difficulty = segmented("difficulty", V.difficulties, "normal")
  const title = h("input", { class: "dk-input", name: "title", maxlength: LIMITS.title,
    placeholder: "一句话概括，如：楼上漏水引发邻里纠纷" })
  const description = h("textarea", { class: "dk-input", name: "description", rows: 3,
    maxlength: LIMITS.description, placeholder: "事情经过、诉求、涉及金额与人数等", oninput: () => schedCheck() })
  const dispatchMode = select("dispatch", {
    policy: "按策略（紧急、较急案件系统自动派单）", manual: "人工选派", auto: "系统自动派单" }, "policy")

  // parties: the first row is the caller / visitor
  const partyBox = h("div", { class: "dk-parties" })
  function partyRow(role, first) {
    const row = h("div", { class: "dk-party" },
      h("input", { class: "dk-input", name: "party_name", maxlength: LIMITS.name,
        placeholder: first ? "来电/来访人姓名" : "当事人姓名", oninput: () => schedCheck() }),
      h("input", { class: "dk-input", name: "party_phone", maxlength: LIMITS.phone, inputmode: "tel",
        placeholder: "联系电话", oninput: () => schedCheck() }),
      select("party_role", ROLES, role),
      select("party_language", { "": "语言：普通话", ...V.languages_other }, ""),
      first ? h("span", { class: "dk-party-tag" }, "来电人")
        : h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-btn-sm", title: "移除",
          onclick: () => { row.remove(); schedCheck() } }, "移除"))
    return row
  }
  partyBox.appendChild(partyRow("applicant", true))
  const addParty = h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-btn-sm",
    onclick: () => partyBox.appendChild(partyRow("respondent", false)) }, "＋ 添加当事人")

  // ---- where ----------------------------------------------------------------------------------
  const picker = addressPicker(model.api_base, (c) => locate(c.lon, c.lat, "wgs84", "address", c.address))
  const address = picker.querySelector("input")
  address.name = "address"
  address.setAttribute("aria-label", "事发地址")
  address.addEventListener("input", () => { if (loc && loc.source === "address") { setLoc(null) } })
  const lon = h("input", { class: "dk-input", name: "lon", inputmode: "decimal", placeholder: "经度 如 84.8734" })
  const lat = h("input", { class: "dk-input", name: "lat", inputmode: "decimal", placeholder: "纬度 如 45.5960" })
  const crs = select("crs", CRS, "wgs84")
  const pickBtn = h("button", { type: "button", class: "dk-btn dk-btn-primary dk-btn-sm",
    onclick: () => { model.send_msg({ type: "pick" }); pickHint.textContent = "请在地图上点击事发位置…" } },
    "在地图上点选")
  const pickHint = h("span", { class: "dk-muted dk-small" }, "点击按钮后，在地图上单击事发位置")
  const paneAddress = h("div", { class: "dk-where-pane", dataset: { mode: "address" } }, picker)
  const paneMap = h("div", { class: "dk-where-pane", dataset: { mode: "map" } },
    h("div", { class: "dk-row" }, pickBtn, pickHint))
  const paneCoords = h("div", { class: "dk-where-pane", dataset: { mode: "coords" } },
    h("div", { class: "dk-row" }, lon, lat, crs,
      h("button", { type: "button", class: "dk-btn dk-btn-primary dk-btn-sm", onclick: () => locateCoords() }, "定位")))
  const modes = segmented("where", { address: "地址", map: "地图点选", coords: "坐标" }, "address")
  modes.addEventListener("click", () => { mode = modes.dataset.value; showMode() })
  function showMode() {
    for (const p of [paneAddress, paneMap, paneCoords]) { p.hidden = p.dataset.mode !== mode }
  }
  showMode()
  const chainBox = h("div", { class: "dk-chain", "aria-live": "polite" })
  const checkBox = h("div", { class: "dk-precheck", "aria-live": "polite" })
  const formMsg = h("div", { class: "dk-form-msg" })
  const saveBtn = h("button", { type: "submit", class: "dk-btn dk-btn-primary dk-btn-lg dk-save" }, "保存受理")
  const resetBtn = h("button", { type: "button", class: "dk-btn dk-btn-ghost", onclick: () => reset() }, "清空")

  const form = h("form", { class: "dk-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); save() } },
    h("div", { class: "dk-section" }, h("div", { class: "dk-section-title" }, "受理渠道"), channel),
    h("div", { class: "dk-section" }, h("div", { class: "dk-section-title" }, "来电人与当事人"),
      partyBox, addParty),
    h("div", { class: "dk-section" }, h("div", { class: "dk-section-title" }, "纠纷情况"),
      h("div", { class: "dk-grid2" }, field("纠纷类别", category), field("事件标题", title)),
      field("紧急程度", priority), field("难易程度", difficulty), field("情况描述", description)),
    h("div", { class: "dk-section" }, h("div", { class: "dk-section-title" }, "事发地点"),
      modes, paneAddress, paneMap, paneCoords, chainBox),
    checkBox,
    h("div", { class: "dk-section dk-submit" }, field("派单方式", dispatchMode),
      h("div", { class: "dk-row dk-actions" }, saveBtn, resetBtn), formMsg))
  const resultBox = h("div", { class: "dk-result", hidden: true })
  root.append(h("div", { class: "dk-panel-head" }, h("span", {}, "受理登记"),
    h("span", { class: "dk-muted dk-small" }, "只进一扇门 · 最多跑一地")), form, resultBox)

  function locateCoords() {
    const x = Number(lon.value), y = Number(lat.value)
    if (!lon.value || !lat.value || !Number.isFinite(x) || !Number.isFinite(y)) {
      setLoc(null, "请填写有效的经度和纬度")
      return
    }
    locate(x, y, crs.value, "coords", `${x}, ${y}（${CRS[crs.value]}）`)
  }

  async function locate(x, y, crsName, source, label) {
    clear(chainBox).appendChild(h("div", { class: "dk-muted" }, "正在定位…"))
    const r = await api(`${model.api_base}/locate?lon=${x}&lat=${y}&crs=${crsName}`)
    if (!r.ok) { setLoc(null, r.error.message); return }
    setLoc({ lon: r.data.lon, lat: r.data.lat, label, source, located: r.data })
    if (source !== "map") { model.send_msg({ type: "fly", lon: r.data.lon, lat: r.data.lat, label }) }
  }

  function setLoc(value, error) {
    loc = value
    clear(chainBox)
    root.dataset.located = loc && loc.located.inside ? "1" : ""
    if (error) { chainBox.appendChild(notice("error", "定位失败", [error])) }
    if (loc) {
      const d = loc.located
      if (!d.inside) {
        const near = d.nearest_grid ? `最近网格：${d.nearest_grid.name}（约 ${Math.round(d.distance_m)} 米）` : ""
        chainBox.appendChild(notice("warn", "该点不在辖区内", [near]))
      } else {
        const parts = CHAIN.map(([k, label]) => h("span", { class: "dk-chain-part" },
          h("span", { class: "dk-chain-k" }, label), h("span", { class: "dk-chain-v" }, d[k] ? d[k].name : "—")))
        const line = h("div", { class: "dk-chain-line" })
        parts.forEach((p, i) => { if (i) { line.appendChild(h("span", { class: "dk-chain-sep" }, "›")) } line.appendChild(p) })
        chainBox.append(h("div", { class: "dk-chain-head" }, "定位结果",
          h("span", { class: "dk-muted dk-small" }, `${d.street ? d.street.name : ""} · ${d.lon.toFixed(5)}, ${d.lat.toFixed(5)}`)),
          line, d.centre ? h("div", { class: "dk-muted dk-small" }, `责任中心：${d.centre.name}`) : null)
      }
    }
    schedCheck()
  }

  model.on("change:point", () => {
    const p = model.point
    if (!p) { return }
    mode = "map"
    modes.dataset.value = "map"
    for (const b of modes.children) { b.classList.toggle("on", b.dataset.value === "map") }
    showMode()
    pickHint.textContent = "已在地图上选定位置"
    locate(p.lon, p.lat, "wgs84", "map", `地图点选 ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`)
  })

  // ---- before saving: duplicates and risk -----------------------------------------------------
  function parties() {
    return [...partyBox.querySelectorAll(".dk-party")].map((row) => ({
      name: row.querySelector("[name=party_name]").value.trim(),
      phone: row.querySelector("[name=party_phone]").value.trim() || null,
      role: row.querySelector("[name=party_role]").value,
      language: row.querySelector("[name=party_language]").value || null,
    })).filter((p) => p.name)
  }
  function schedCheck() { clearTimeout(checkTimer); checkTimer = setTimeout(precheck, 400) }
  async function precheck() {
    const mine = ++checkSeq
    const ps = parties()
    if (!loc && !ps.length) { check = null; clear(checkBox); return }
    const body = { parties: ps, description: description.value, address: address.value.trim() || null }
    if (loc && loc.located.inside) { Object.assign(body, { lon: loc.lon, lat: loc.lat, crs: "wgs84" }) }
    const r = await api(`${model.api_base}/desk/precheck`, { method: "POST", body })
    if (mine !== checkSeq || !r.ok) { return }
    check = r.data
    clear(checkBox).appendChild(warnings(check.duplicates, check.risk, "保存前核查", check.elsewhere))
  }

  function warnings(dups, risk, heading, elsewhere) {
    const box = h("div", { class: "dk-warnings" })
    if (elsewhere && elsewhere.length) {  // another street's match: whom to call, not what
      box.appendChild(notice("dup", `${heading}：其他街道有相关记录`, elsewhere.map((e) => e.message)))
    }
    if (dups && dups.length) {
      box.appendChild(notice("dup", `${heading}：疑似重复案件 ${dups.length} 件`,
        dups.map((d) => d.reasons.join("，"))))
    }
    if (risk && risk.level) {
      box.appendChild(notice(`risk${risk.level}`, `${heading}：${risk.label}风险${risk.one_case_plan ? "（须一事一策）" : ""}`,
        risk.reasons))
    }
    if (!box.children.length) { box.appendChild(h("div", { class: "dk-ok-line" }, `${heading}：未发现重复案件与风险`)) }
    return box
  }

  // ---- save -----------------------------------------------------------------------------------
  async function save() {
    clear(formMsg)
    const ps = parties()
    const body = {
      channel: channel.dataset.value, category: category.value, priority: priority.dataset.value,
      difficulty: difficulty.dataset.value, title: title.value.trim(), description: description.value.trim(),
      parties: ps, address: address.value.trim() || null,
      language: (ps.find((p) => p.language) || {}).language || null,
    }
    const problems = []
    if (!body.category) { problems.push("请选择纠纷类别") }
    if (!ps.length) { problems.push("请填写来电人或当事人姓名") }
    if (!body.description && !body.title) { problems.push("请填写事件标题或情况描述") }
    if (!loc && !body.address) { problems.push("请给出事发地点：地址、地图点选或坐标") }
    if (loc && !loc.located.inside) { problems.push("事发地点不在辖区内，请重新选择") }
    if (problems.length) { formMsg.appendChild(notice("error", "尚不能保存", problems)); return }
    if (loc) { Object.assign(body, { lon: loc.lon, lat: loc.lat, crs: "wgs84" }) }
    if (dispatchMode.value !== "policy") { body.auto_dispatch = dispatchMode.value === "auto" }
    saveBtn.disabled = true
    saveBtn.textContent = "保存中…"
    const r = await api(`${model.api_base}/incidents`, { method: "POST", body, actor: model.actor })
    saveBtn.disabled = false
    saveBtn.textContent = "保存受理"
    if (!r.ok) { formMsg.appendChild(notice("error", "保存失败", [r.error.message])); return }
    showResult(r.data)
  }

  function showResult(d) {
    form.hidden = true
    clear(resultBox).hidden = false
    root.dataset.incident = d.id
    const chain = d.location && d.location.inside
      ? CHAIN.map(([k, label]) => `${label}：${d.location[k] ? d.location[k].name : "—"}`).join("　")
      : "未定位（地址未能唯一确定，请在案件页核实）"
    const state = V.states[d.state] || d.state
    resultBox.append(
      h("div", { class: "dk-result-head" },
        h("div", {}, h("div", { class: "dk-muted dk-small" }, "受理成功 · 案件编号"),
          h("div", { class: "dk-code" }, d.code)),
        h("div", { class: "dk-result-badges" }, badge(state, "dk-state"),
          priorityBadge(d.priority, V.priority_labels[d.priority]), riskBadge(d.risk.level, d.risk.label))),
      h("div", { class: "dk-chain-line dk-result-chain" }, chain),
      warnings(d.duplicates.map((x) => ({ ...x, reasons: x.reasons })), d.risk, "系统研判", d.elsewhere),
      h("div", { class: "dk-deadlines" },
        h("span", {}, `签收时限 ${fmtFull(Date.parse(d.sign_deadline))}`),
        h("span", {}, `办结时限 ${fmtFull(Date.parse(d.close_deadline))}`)))
    if (d.proposed_priority) {  // shown, never applied silently: the officer decides
      const want = V.priority_labels[d.proposed_priority]
      const keep = V.priority_labels[d.priority]
      const decide = (code, text) => api(`${model.api_base}/incidents/${d.id}/priority`,
        { method: "POST", body: { priority: code } }).then((r) => {
        clear(pri).appendChild(r.ok ? notice("ok", text, []) : notice("error", "未能确认", [r.error.message]))
      })
      const pri = h("div", { class: "dk-priority-proposal" },
        notice("warn", `风险研判建议紧急程度：${want}（原定 ${keep}）`, d.risk.reasons || []),
        h("div", { class: "dk-row" },
          h("button", { type: "button", class: "dk-btn dk-btn-warn", dataset: { choice: "accept" },
            onclick: () => decide({ 1: "urgent", 2: "high", 3: "normal", 4: "low" }[d.proposed_priority], `已采纳：${want}`) }, `采纳：${want}`),
          h("button", { type: "button", class: "dk-btn dk-btn-secondary", dataset: { choice: "keep" },
            onclick: () => decide({ 1: "urgent", 2: "high", 3: "normal", 4: "low" }[d.priority], `已保持：${keep}`) }, `保持：${keep}`)))
      resultBox.appendChild(pri)
    }
    if (d.dispatched) {
      resultBox.appendChild(notice("ok", "系统已自动派单", (d.dispatched.reasons || []).slice(0, 4)))
    } else if (d.dispatch_error) {
      resultBox.appendChild(notice("warn", "系统自动派单未成，请人工选派", [d.dispatch_error]))
    }
    const recommend = () => recommendPanel({ api: model.api_base, actor: () => model.actor,
      incidentId: d.id, reassign: false, vocab: V,
      onAssigned: () => model.send_msg({ type: "assigned", id: d.id }) })
    if (d.state === "registered") {
      // the address was not precise enough to place alone: the officer picks, the domain locates
      const slot = h("div", { class: "dk-locate-later" })
      slot.append(notice("warn", "地址未能唯一定位，请选择准确地址后定位", []),
        addressPicker(model.api_base, async (cand) => {
          const r = await api(`${model.api_base}/incidents/${d.id}/locate`,
            { method: "POST", body: { lon: cand.lon, lat: cand.lat, crs: "wgs84" }, actor: model.actor })
          if (!r.ok) { slot.appendChild(notice("error", "定位失败", [r.error.message])); return }
          const loc = r.data.location
          clear(slot).append(h("div", { class: "dk-chain-line dk-result-chain" },
            CHAIN.map(([k, label]) => `${label}：${loc[k] ? loc[k].name : "—"}`).join("　")), recommend())
          model.send_msg({ type: "fly", lon: loc.lon, lat: loc.lat, label: d.code })
        }, (d.geocode && d.geocode.candidates) || []))
      resultBox.appendChild(slot)
    }
    if (d.state === "located") { resultBox.appendChild(recommend()) }
    resultBox.appendChild(h("div", { class: "dk-row dk-actions" },
      h("button", { type: "button", class: "dk-btn dk-btn-primary dk-open-case",
        onclick: () => model.send_msg({ type: "open", id: d.id }) }, "查看案件详情"),
      h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-new",
        onclick: () => reset() }, "继续受理新案件")))
    if (d.location && d.location.inside) {
      model.send_msg({ type: "fly", lon: d.location.lon, lat: d.location.lat, label: d.code })
    }
  }

  function reset() {
    form.reset()
    channel.querySelector("[data-value=hotline]").click()
    priority.querySelector("[data-value=normal]").click()
    difficulty.querySelector("[data-value=normal]").click()
    clear(partyBox).appendChild(partyRow("applicant", true))
    clear(picker.querySelector(".dk-cands"))
    clear(formMsg)
    clear(checkBox)
    address.value = ""
    setLoc(null)
    check = null
    form.hidden = false
    clear(resultBox).hidden = true
    delete root.dataset.incident
  }
}
