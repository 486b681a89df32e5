// DeskCase: one case's page — its facts, parties, units, deadlines, warnings, the whole audit
// timeline, and the actions its state allows (listed by console/desk_state.py). Every action is a
// POST to the API; the server decides and its Chinese answer is shown as is.
import { addressPicker, api, append, badge, blink, clear, clockOffset, countdown, fmtDT, fmtFull, h, notice, priorityBadge, recommendPanel, riskBadge } from "fq/desk_common.js"
import { recordSection } from "fq/case_record.js"
import { LIMITS } from "fq/lib/limits.js"

const CHAIN = [["community_name", "社区"], ["grid_name", "网格"], ["micro_grid_name", "微网格"],
               ["police_grid_name", "警格"]]
const ROLE = { lead: "主办", pair: "协办（联动）", support: "协助" }
const A_STATE = { active: "在办", released: "已释放", declined: "已退回" }
const SUP = { yellow: "黄牌督办", red: "红牌督办" }
const SUP_KIND = { sign: "签收", close: "办结", followup: "回访", whistle: "报到" }
const LINK = { probable: "疑似重复", duplicate: "确认重复", related: "关联", merged: "已合并", elsewhere: "他街道" }
const PCODE = { 1: "urgent", 2: "high", 3: "normal", 4: "low" }
const BASIS = { on_scene: "处置单位到场", on_the_spot: "当场化解" }
const AGREEMENT = { written: "书面调解协议书", oral: "口头协议" }

export function render({ model, el }) {
  const V = model.vocab
  const root = h("div", { class: "dk-panel dk-case" })
  const flash = h("div", { class: "dk-flash", "aria-live": "polite" })
  const body = h("div", { class: "dk-case-body" })
  root.append(h("div", { class: "dk-panel-head" }, h("span", {}, "案件详情"),
    h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-btn-sm dk-close", title: "关闭",
      onclick: () => model.send_msg({ type: "close" }) }, "关闭 ✕")), body)
  el.appendChild(root)
  let offset = 0
  let clocks = []
  let openAction = null
  let shownId = null

  function kv(label, value) {
    return h("div", { class: "dk-kv" }, h("span", { class: "dk-kv-k" }, label),
      h("span", { class: "dk-kv-v" }, value === null || value === undefined || value === "" ? "—" : value))
  }

  function section(title, ...children) {
    return h("section", { class: "dk-case-sec" }, h("div", { class: "dk-section-title" }, title), ...children)
  }

  async function post(path, payload, okText) {
    clear(flash).appendChild(notice("info", "正在提交…"))
    const r = await api(`${model.api_base}/incidents/${model.case.id}/${path}`,
      { method: "POST", body: payload, actor: model.actor })
    clear(flash)
    if (!r.ok) {
      const title = r.status === 409 ? "操作未执行（状态冲突）" : "操作未执行"
      flash.appendChild(notice("error", title, [r.error.message]))
      return false
    }
    flash.appendChild(notice("ok", okText, []))
    openAction = null
    model.send_msg({ type: "reload" })
    return true
  }

  function actionForm(a) {
    const c = model.case
    const box = h("div", { class: "dk-action-form", dataset: { action: a.key } })
    const note = h("textarea", { class: "dk-input", name: "note", rows: 2, maxlength: LIMITS.reason,
      placeholder: a.note === "required" ? "说明理由（必填）" : "备注（可选）" })
    if (a.kind === "assign") {
      box.appendChild(recommendPanel({ api: model.api_base, actor: () => model.actor, incidentId: c.id,
        reassign: a.reassign, vocab: V, onAssigned: () => { openAction = null; model.send_msg({ type: "reload" }) } }))
      return box
    }
    if (a.kind === "locate") {
      box.append(h("div", { class: "dk-muted dk-small" }, "输入地址并选择候选，案件将定位到网格后方可派单"),
        addressPicker(model.api_base, (cand) => post("locate", { lon: cand.lon, lat: cand.lat, crs: "wgs84" },
          `已定位：${cand.address}`)))
      return box
    }
    if (a.kind === "supervise") {
      const level = h("select", { class: "dk-input", name: "level" },
        h("option", { value: "yellow" }, "黄牌督办"), h("option", { value: "red" }, "红牌督办"))
      box.append(h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "督办级别"), level), note,
        h("button", { type: "button", class: "dk-btn dk-btn-warn dk-confirm", onclick: () =>
          post("supervise", { level: level.value, reason: note.value.trim() }, `已${SUP[level.value]}`) }, "确认督办"))
      return box
    }
    if (a.kind === "followup") {
      // every answer is the visitor's own: nothing is preselected, the server refuses gaps
      const pick = (name, options) => h("select", { class: "dk-input", name },
        h("option", { value: "" }, "请选择"), options.map(([v, t]) => h("option", { value: v }, t)))
      const sat = pick("satisfaction", [5, 4, 3, 2, 1].map((n) => [n, `${n} 分 ${["", "很不满意", "不满意", "一般", "满意", "非常满意"][n]}`]))
      const holds = pick("agreement_holds", [["true", "协议仍在履行"], ["false", "协议未履行"]])
      const method = pick("method", Object.entries(V.followup_methods || { phone: "电话", visit: "上门", sms: "短信" }))
      const visited = h("input", { class: "dk-input dk-num", type: "number", min: 0, max: 20, name: "neighbours", placeholder: "户数" })
      // the resident's own rating on /track, shown as context: it answers none of the questions
      for (const r of c.resident_ratings || []) {
        box.append(h("div", { class: "dk-row dk-resident-rating" }, h("span", { class: "dk-label" }, "居民评价"),
          `${"★".repeat(r.rating)}${"☆".repeat(5 - r.rating)}（${r.rating} 星，居民在查询页自评，仅供参考，回访结论请按本次回访填写）`,
          r.note ? h("div", { class: "dk-muted dk-small" }, `居民留言：${r.note}`) : ""))
      }
      box.append(h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "满意度"), sat,
        h("span", { class: "dk-label" }, "协议履行"), holds),
      h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "回访方式"), method,
        h("span", { class: "dk-label" }, "走访邻里"), visited, "户"), note,
      h("button", { type: "button", class: "dk-btn dk-btn-good dk-confirm", onclick: () =>
        post("followup", { satisfaction: sat.value ? Number(sat.value) : null,
          agreement_holds: holds.value === "" ? null : holds.value === "true",
          method: method.value || null,
          neighbours_visited: visited.value === "" ? null : Number(visited.value),
          note: note.value.trim() || null }, "回访已记录") }, "记录回访"))
      return box
    }
    if (a.kind === "priority") {
      const reason = h("input", { class: "dk-input", name: "reason", maxlength: LIMITS.reason, placeholder: "理由（可选）" })
      const send = (code, text) => post("priority", { priority: code, reason: reason.value.trim() || null }, text)
      box.append(h("div", { class: "dk-muted dk-small" }, `风险研判建议：${c.proposed_priority_label}（原定 ${c.priority_label}）`),
        h("div", { class: "dk-muted dk-small" }, (c.risk_reasons || []).join("；")), reason,
        h("div", { class: "dk-row" },
          h("button", { type: "button", class: "dk-btn dk-btn-warn dk-confirm", dataset: { choice: "accept" },
            onclick: () => send(PCODE[c.proposed_priority], "已采纳建议的紧急程度") }, `采纳：${c.proposed_priority_label}`),
          h("button", { type: "button", class: "dk-btn dk-btn-secondary dk-confirm", dataset: { choice: "keep" },
            onclick: () => send(PCODE[c.priority], "已保持原定紧急程度") }, `保持：${c.priority_label}`)))
      return box
    }
    if (a.kind === "link") {
      const other = h("select", { class: "dk-input", name: "other_id" },
        h("option", { value: "" }, "请选择案件"), c.links.map((l) => h("option", { value: l.other_id }, `${l.other_code} ${LINK[l.kind] || ""}`)))
      const merging = a.name === "merge"
      const kind = merging ? null : h("select", { class: "dk-input", name: "kind" },
        h("option", { value: "duplicate" }, "确认重复"), h("option", { value: "related" }, "关联案件"))
      box.append(h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, merging ? "并入案件" : "关联案件"), other, kind),
        note, h("button", { type: "button", class: `dk-btn dk-btn-${merging ? "danger" : "primary"} dk-confirm`, onclick: () =>
          post("links", { other_id: other.value ? Number(other.value) : null, kind: merging ? "merged" : kind.value,
            reason: note.value.trim() || null }, merging ? "已合并" : "已关联") }, merging ? "确认合并" : "确认关联"))
      return box
    }
    const extra = {}
    if (a.outcome) {
      // no outcome is preselected: the person closing the case chooses it
      const outcome = h("select", { class: "dk-input", name: "outcome" }, h("option", { value: "" }, "请选择办结结果"),
        Object.entries(V.outcomes).map(([k, v]) => h("option", { value: k }, v)))
      const oral = h("textarea", { class: "dk-input", name: "oral_terms", rows: 2, maxlength: LIMITS.oral_terms,
        placeholder: "口头协议内容（调解成功且无书面协议书时必填：谁、做什么、何时前）" })
      const body = h("input", { class: "dk-input", name: "referred_to", maxlength: LIMITS.referred_to, placeholder: "接收机关（受理法院或仲裁机构）" })
      const oralRow = h("div", { class: "dk-row", hidden: true }, oral)
      const bodyRow = h("div", { class: "dk-row", hidden: true }, body)
      outcome.addEventListener("change", () => {
        const needs = (a.needs_by_outcome || {})[outcome.value] || []
        oralRow.hidden = !needs.includes("agreement")
        bodyRow.hidden = !needs.includes("referred_to")
      })
      box.append(h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "办结结果"), outcome), oralRow, bodyRow)
      Object.assign(extra, { outcome: () => outcome.value || null, oral_terms: () => (oralRow.hidden ? null : oral.value.trim() || null),
        referred_to: () => (bodyRow.hidden ? null : body.value.trim() || null) })
    }
    if (a.on_the_spot) {
      const why = h("input", { class: "dk-input", name: "spot_reason", maxlength: LIMITS.reason, placeholder: "当场化解理由（必填：双方在场、已当面达成一致等）" })
      box.append(h("div", { class: "dk-muted dk-small" }, `当场化解：由 ${model.actor} 作为调解人记录`), why)
      Object.assign(extra, { on_the_spot: () => true, spot_reason: () => why.value.trim() || null })
    }
    if (a.outcome) { note.placeholder = "办结说明（必填：处理经过与结果）" }
    box.append(note, h("button", { type: "button", class: `dk-btn dk-btn-${a.tone || "primary"} dk-confirm`,
      onclick: () => {
        if (a.outcome && !window.confirm(`确认${a.label}？办结后案件将进入回访。`)) { return }
        const payload = { to: a.to, note: note.value.trim() || null, expected_state: c.state }
        for (const [k, f] of Object.entries(extra)) { payload[k] = f() }
        post("transitions", payload, `已${a.label}`)
      } }, `确认${a.label}`))
    return box
  }

  function actions(c) {
    const bar = h("div", { class: "dk-action-bar" })
    const formBox = h("div", { class: "dk-action-box" })
    for (const a of c.actions) {
      const b = h("button", { type: "button", class: `dk-btn dk-btn-${a.tone || "secondary"} dk-act`,
        dataset: { action: a.key }, disabled: Boolean(a.disabled), title: a.disabled || "",
        onclick: () => { openAction = openAction === a.key ? null : a.key; drawAction() } }, a.label)
      bar.appendChild(b)
    }
    function drawAction() {
      clear(formBox)
      for (const b of bar.children) { b.classList.toggle("on", b.dataset.action === openAction) }
      const a = c.actions.find((x) => x.key === openAction)
      if (a) { formBox.appendChild(actionForm(a)) }
    }
    drawAction()
    if (!c.actions.length) { bar.appendChild(h("span", { class: "dk-muted" }, "案件已归档，无可用操作")) }
    return [bar, formBox]
  }

  function timeline(c) {
    const list = h("ol", { class: "dk-timeline" })
    const names = new Map(c.assignments.map((a) => [a.unit_id, `${a.unit_type_label}${a.unit_name || ""}`]))
    const unit = (id) => names.get(id) || `#${id}`
    for (const a of [...c.audit].reverse()) {
      const move = a.to_label ? `${a.from_label ? a.from_label + " → " : ""}${a.to_label}` : ""
      const d = a.detail || {}
      const extra = []
      if (d.unit_ids) { extra.push(`派往 ${d.unit_ids.map(unit).join("、")}`) }
      if (d.released && d.released.length) { extra.push(`释放 ${d.released.map(unit).join("、")}`) }
      if (d.outcome) { extra.push(`结果：${V.outcomes[d.outcome] || d.outcome}`) }
      if (d.satisfaction) { extra.push(`满意度 ${d.satisfaction} 分`) }
      if (d.missing) { extra.push(`尚缺：${d.missing.join("；")}`) }
      if (d.basis) { extra.push(BASIS[d.basis] || d.basis) }
      if (d.level && a.action.startsWith("supervise")) { extra.push(SUP[d.level] || d.level) }
      const tone = a.action.startsWith("supervise") || a.action === "deadline_warn" || a.action === "refused" ? "warn"
        : a.action === "reopen" || a.to_state === "escalated" ? "danger" : ""
      list.appendChild(h("li", { class: `dk-tl-item ${tone}`, dataset: { action: a.action } },
        h("div", { class: "dk-tl-time" }, fmtFull(a.at_ms)),
        h("div", { class: "dk-tl-body" },
          h("div", { class: "dk-tl-head" }, h("b", {}, a.action_label), move ? h("span", { class: "dk-tl-move" }, move) : null,
            h("span", { class: "dk-muted" }, ` · ${a.actor}`)),
          a.reason ? h("div", { class: "dk-tl-reason" }, a.reason) : null,
          extra.length ? h("div", { class: "dk-muted dk-small" }, extra.join("；")) : null)))
    }
    if (!c.audit.length) { list.appendChild(h("li", { class: "dk-muted" }, "暂无记录（历史导入案件）")) }
    return list
  }

  function draw() {
    const c = model.case
    clear(body)
    clocks = []
    root.dataset.id = c ? c.id : ""
    root.dataset.state = c ? c.state : ""
    if (!c) {
      body.appendChild(model.error ? notice("error", "无法打开案件", [model.error])
        : h("div", { class: "dk-placeholder" }, model.loading ? "正在加载案件…"
          : "从案件队列选择案件，或在地图上点击案件标记"))
      return
    }
    if (shownId !== c.id) { clear(flash); openAction = null; shownId = c.id }
    const sups = c.supervisions.filter((s) => !s.closed_ms)
    const clockBox = h("div", { class: "dk-case-clocks" }, c.clocks.map((m) => {
      const e = h("span", { class: "dk-clock dk-clock-lg", dataset: { kind: m.kind } })
      clocks.push([e, m])
      return e
    }))
    const head = h("div", { class: "dk-case-head" },
      h("div", { class: "dk-case-code" }, c.code,
        c.street_name ? h("a", { class: "dk-link dk-export", style: "margin-left:12px;font-size:13px", target: "_blank", rel: "noopener",
          href: `${model.api_base}/export/case/${c.id}.html` }, "导出地图") : null),
      h("div", { class: "dk-case-badges" }, badge(c.state_label, `dk-state s-${c.state}`),
        priorityBadge(c.priority, c.priority_label), riskBadge(c.risk_level, c.risk_label),
        badge(c.level_label, "dk-level"), sups.map((s) => badge(SUP[s.level], `dk-sup ${s.level}`))),
      h("div", { class: "dk-case-title" }, h("b", {}, c.category_label), " ", c.title), clockBox)
    const chain = CHAIN.map(([k, label]) => `${label} ${c[k] || "—"}`).join(" › ")
    const info = h("div", { class: "dk-kvs" },
      kv("受理时间", fmtFull(c.reported_at_ms)), kv("受理渠道", c.channel_label),
      kv("登记人", c.created_by), kv("难易程度", c.difficulty_label),
      kv("事发地址", c.address), kv("定位", c.street_name ? `${c.street_name} › ${chain}` : "未定位"),
      kv("语言", c.language_label || "普通话"), c.outcome ? kv("办结结果", c.outcome_label) : null)
    const warn = []
    if (c.risk_level) {
      warn.push(notice(`risk${c.risk_level}`, `${c.risk_label}风险${c.one_case_plan ? " · 一事一策" : ""}`, c.risk_reasons || []))
    }
    if (c.proposed_priority) {
      warn.push(notice("warn", `风险研判建议紧急程度：${c.proposed_priority_label}（原定 ${c.priority_label}），待值班员确认`, []))
    }
    const dups = c.links.filter((l) => l.kind === "probable" || l.kind === "duplicate" || l.kind === "elsewhere")
    if (dups.length) {
      warn.push(h("div", { class: "dk-notice dk-dup" }, h("div", { class: "dk-notice-title" }, `疑似重复 / 关联案件 ${c.links.length} 件`),
        c.links.map((l) => h("div", { class: "dk-notice-line" },
          l.other_id == null ? "" : h("button", { type: "button", class: "dk-link", onclick: () => model.send_msg({ type: "open", id: l.other_id }) }, l.other_code),
          ` ${LINK[l.kind] || l.kind}\u3000${(l.reasons || []).join("，")}`))))
    }
    const parties = h("table", { class: "dk-table" }, h("thead", {}, h("tr", {}, ["姓名", "电话", "角色", "语言"].map((t) => h("th", {}, t)))),
      h("tbody", {}, (c.parties || []).map((p) => h("tr", {}, h("td", {}, p.name), h("td", { class: "dk-mono" }, p.phone || "—"),
        h("td", {}, { applicant: "申请人", respondent: "被申请人", third_party: "第三人" }[p.role] || p.role || "—"),
        h("td", {}, V.languages[p.language] || "普通话")))))
    const units = h("table", { class: "dk-table" }, h("thead", {}, h("tr", {}, ["处置力量", "角色", "状态", "派单", "签收", "到场"].map((t) => h("th", {}, t)))),
      h("tbody", {}, c.assignments.map((a) => h("tr", { class: a.state === "active" ? "" : "dk-dim" },
        h("td", {}, h("b", {}, a.unit_name || `#${a.unit_id}`), h("div", { class: "dk-muted dk-small" }, `${a.unit_type_label} · ${a.unit_code || ""}`)),
        h("td", {}, ROLE[a.role] || a.role), h("td", {}, A_STATE[a.state] || a.state),
        h("td", {}, fmtDT(a.assigned_at_ms), h("div", { class: "dk-muted dk-small" }, a.assigned_by || "")),
        h("td", {}, fmtDT(a.acknowledged_at_ms)), h("td", {}, fmtDT(a.arrived_at_ms))))))
    const [bar, formBox] = actions(c)
    append(body, [head, warn,
      section("处置操作", bar, flash, formBox),
      section("基本信息", info),
      section("当事人", parties),
      c.description ? section("情况描述", h("p", { class: "dk-desc" }, c.description)) : null,
      section(`处置力量（${c.assignments.length}）`, c.assignments.length ? units : h("div", { class: "dk-muted" }, "尚未派单")),
      c.supervisions.length ? section("督办记录", c.supervisions.map((s) => h("div", { class: "dk-sup-line" },
        badge(SUP[s.level], `dk-sup ${s.level}`), ` ${SUP_KIND[s.kind] || s.kind} · ${fmtFull(s.opened_ms)} · ${s.opened_by} · ${s.reason || ""}`,
        s.closed_ms ? h("span", { class: "dk-muted" }, `（${fmtDT(s.closed_ms)} 已结束）`) : null))) : null,
      (c.closures || []).length ? section("办结依据", c.closures.map((z) => h("div", { class: "dk-sup-line dk-closure" },
        `${fmtFull(z.at_ms)} ${z.outcome_label} · ${BASIS[z.basis] || z.basis} · ${z.actor}`,
        z.mediator ? `（调解人 ${z.mediator}）` : "", h("div", { class: "dk-muted dk-small" },
          [z.note, z.spot_reason ? `当场化解理由：${z.spot_reason}` : "", z.agreement ? `${AGREEMENT[z.agreement]}${z.oral_terms ? `：${z.oral_terms}` : ""}` : "",
            z.referred_to ? `接收机关：${z.referred_to}` : ""].filter(Boolean).join("；"))))) : null,
      c.followups.length ? section("回访", c.followups.map((f) => h("div", { class: "dk-sup-line" },
        f.done_ms ? `${fmtFull(f.done_ms)} 已回访（${(V.followup_methods || {})[f.method] || "方式未记录"}，${f.actor || ""}）：满意度 ${f.satisfaction} 分，${f.agreement_holds ? "协议履行中" : "协议未履行"}，走访邻里 ${f.neighbours_visited} 户 ${f.note || ""}`
          : `应于 ${fmtFull(f.due_ms)} 前回访`))) : null,
      section("调解档案", recordSection({ apiBase: model.api_base, kase: c, actor: model.actor })),  // case_record.js
      section(`全程留痕（${c.audit.length}）`, timeline(c))])
    tick()
  }

  function tick() {
    const t = Date.now() + offset
    for (const [e, m] of clocks) {
      const cd = countdown(m, t)
      e.textContent = cd.text
      e.dataset.phase = cd.phase
      blink(e, cd.phase, t)
    }
  }

  model.on("change:case", draw)
  model.on("change:loading", draw)
  model.on("change:error", draw)
  model.on("change:server_ms", () => { offset = clockOffset(model.server_ms) })
  offset = clockOffset(model.server_ms)
  const iv = setInterval(tick, 1000)
  model.on("remove", () => clearInterval(iv))
  draw()
}
