// The case's 调解档案 on the desk (desk_case.js imports recordSection): the 五步
// checklist (听、查、议、调、定) with who and when, mediation sessions with a room booking (the server
// refuses an overlap and names who booked it), the versioned 调解协议书 and its PDF, 司法确认,
// attachments and 延期. It reads GET /incidents/{id}/record and writes by POSTs; the server decides.
// One element per case is kept across the case page's redraws, so a half-filled form survives.
import { api, append, clear, fmtFull, h, notice } from "fq/desk_common.js"
import { request } from "fq/lib/http.js"
import { LIMITS } from "fq/lib/limits.js"

const REC_STEPS = [["listen", "听", "了解情况"], ["check", "查", "摸清事实"], ["discuss", "议", "各方畅谈"],
  ["mediate", "调", "多元解纷"], ["settle", "定", "建档落实"]]
const REC_KINDS = { party: "当事人", mediator: "调解员", police: "民警", judge: "法官", procurator: "检察官",
  lawyer: "律师", psychologist: "心理咨询师", other: "其他" }
const REC_JUDICIAL = { applied: "已申请司法确认", confirmed: "法院已确认", refused: "法院不予确认" }
const REC_EXT = { pending: "待审批", approved: "已批准", refused: "已驳回" }
const recordPanels = new Map()

function recTime(v) { return v ? fmtFull(new Date(v).getTime()) : "—" }
function recLocalInput(ms) {  // a datetime-local value in Beijing time
  const d = new Date(ms + 8 * 3600 * 1000)
  return d.toISOString().slice(0, 16)
}
function recIso(local) { return local ? `${local}:00+08:00` : null }

export function recordSection(opts) {
  const { apiBase, kase, actor } = opts
  let panel = recordPanels.get(kase.id)
  if (!panel) {
    panel = buildRecord(apiBase, kase.id, actor)
    recordPanels.set(kase.id, panel)
    if (recordPanels.size > 20) { recordPanels.delete(recordPanels.keys().next().value) }
  }
  panel.setCase(kase)
  panel.refresh()
  return panel.el
}

function buildRecord(apiBase, id, actor) {
  const base = `${apiBase}/incidents/${id}`
  let kase = null
  let rec = null
  const el = h("div", { class: "rc-record", dataset: { id } })
  const flash = h("div", { class: "rc-flash", "aria-live": "polite" })
  const lists = {
    steps: h("div", { class: "rc-steps" }), sessions: h("div", { class: "rc-list" }),
    agreements: h("div", { class: "rc-list" }), judicial: h("div", { class: "rc-list" }),
    files: h("div", { class: "rc-files" }), ext: h("div", { class: "rc-list" }),
  }

  async function send(path, body, okText) {
    clear(flash).appendChild(notice("info", "正在提交…"))
    const r = await api(`${base}/${path}`, { method: "POST", body })
    clear(flash)
    if (!r.ok) {
      flash.appendChild(notice("error", r.status === 409 ? "未执行（冲突）" : "未执行", [r.error.message]))
      return false
    }
    flash.appendChild(notice("ok", okText, []))
    await refresh()
    return true
  }

  // ---- 五步 -----------------------------------------------------------------------------------
  const stepSel = h("select", { class: "dk-input", name: "step" },
    REC_STEPS.map(([k, l, hint]) => h("option", { value: k }, `${l}（${hint}）`)))
  const stepNote = h("textarea", { class: "dk-input", name: "step_note", rows: 2, maxlength: LIMITS.record_note,
    placeholder: "本步骤的记录：听取了谁、查明了什么、各方意见、调解经过或落实安排（必填）" })
  const stepWhen = h("input", { class: "dk-input", type: "datetime-local", name: "happened_at", title: "发生时间（不填为现在）" })
  const stepForm = h("div", { class: "rc-form" }, h("div", { class: "dk-row" }, stepSel, stepWhen), stepNote,
    h("button", { type: "button", class: "dk-btn dk-btn-primary dk-btn-sm rc-save-step", onclick: async () => {
      if (await send("steps", { step: stepSel.value, note: stepNote.value.trim(), happened_at: recIso(stepWhen.value) },
        "步骤已记录")) { stepNote.value = ""; stepWhen.value = "" }
    } }, "记录此步骤"))

  function drawSteps() {
    clear(lists.steps)
    for (const s of rec.steps) {
      lists.steps.appendChild(h("div", { class: `rc-step ${s.done ? "done" : ""}`, dataset: { step: s.step } },
        h("div", { class: "rc-step-head" }, h("span", { class: "rc-step-mark" }, s.done ? "✓" : "○"),
          h("b", {}, s.label), h("span", { class: "dk-muted dk-small" }, ` ${s.hint}`)),
        s.entries.map((e) => h("div", { class: "rc-entry" }, h("div", {}, e.note),
          h("div", { class: "dk-muted dk-small" }, `${recTime(e.happened_at)} · ${e.recorded_by}${e.unit_name ? " · " + e.unit_name : ""}`)))))
    }
  }

  // ---- sessions ----------------------------------------------------------------------------------
  const start = h("input", { class: "dk-input", type: "datetime-local", name: "starts_at" })
  const hours = h("select", { class: "dk-input", name: "hours" },
    [0.5, 1, 1.5, 2, 3, 4].map((n) => h("option", { value: n, selected: n === 1 }, `${n} 小时`)))
  const room = h("select", { class: "dk-input", name: "facility_id" })
  const place = h("input", { class: "dk-input", name: "place", maxlength: LIMITS.place, placeholder: "或填写地点（如：当事人家中）" })
  const mode = h("select", { class: "dk-input", name: "mode" },
    h("option", { value: "joint" }, "面对面（联合调解）"), h("option", { value: "separate" }, "背对背"))
  const partiesBox = h("div", { class: "rc-people" })
  const mediators = h("input", { class: "dk-input", name: "mediators", maxlength: LIMITS.name * 4, placeholder: "调解员姓名，多人以、分隔" })
  const officials = h("div", { class: "rc-people" })
  function officialRow() {
    const kind = h("select", { class: "dk-input", name: "official_kind" },
      ["police", "judge", "procurator", "lawyer", "psychologist", "other"].map((k) => h("option", { value: k }, REC_KINDS[k])))
    const name = h("input", { class: "dk-input", name: "official_name", maxlength: LIMITS.name, placeholder: "姓名" })
    officials.appendChild(h("div", { class: "dk-row rc-official" }, kind, name))
  }
  const sessionForm = h("div", { class: "rc-form" },
    h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "时间"), start, hours, mode),
    h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "场所"), room, place),
    h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "当事人"), partiesBox),
    h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "调解员"), mediators),
    h("div", { class: "dk-row" }, h("span", { class: "dk-label" }, "三官一律"), officials,
      h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-btn-sm", onclick: officialRow }, "＋邀请")),
    h("button", { type: "button", class: "dk-btn dk-btn-primary dk-btn-sm rc-book", onclick: bookSession }, "预订并安排调解"))

  async function bookSession() {
    if (!start.value) { clear(flash).appendChild(notice("error", "未执行", ["请填写开始时间（starts_at）"])); return }
    const begin = new Date(recIso(start.value)).getTime()
    const people = []
    for (const c of partiesBox.querySelectorAll("input:checked")) { people.push({ name: c.value, kind: "party" }) }
    for (const n of mediators.value.split(/[、,，\s]+/).filter(Boolean)) { people.push({ name: n, kind: "mediator" }) }
    for (const row of officials.querySelectorAll(".rc-official")) {
      const n = row.querySelector("input").value.trim()
      if (n) { people.push({ name: n, kind: row.querySelector("select").value }) }
    }
    const ok = await send("sessions", { starts_at: recIso(start.value),
      ends_at: new Date(begin + Number(hours.value) * 3600e3).toISOString(), mode: mode.value,
      facility_id: room.value ? Number(room.value) : null, place: place.value.trim() || null,
      participants: people }, "调解已安排")
    if (ok) { clear(officials) }
  }

  function drawSessions() {
    clear(lists.sessions)
    if (!rec.sessions.length) { lists.sessions.appendChild(h("div", { class: "dk-muted" }, "尚未安排调解")) }
    for (const s of rec.sessions) {
      const who = s.participants.map((p) => `${p.kind_label || REC_KINDS[p.kind] || ""}${p.name}`).join("、")
      lists.sessions.appendChild(h("div", { class: `rc-item ${s.cancelled_at ? "dk-dim" : ""}`, dataset: { session: s.id } },
        h("div", {}, h("b", {}, `${recTime(s.starts_at)} – ${recTime(s.ends_at).slice(-8)}`), ` ${s.place} · ${s.mode_label}`,
          s.cancelled_at ? h("span", { class: "dk-muted" }, `（已取消 · ${s.cancelled_by}）`) : null),
        h("div", { class: "dk-muted dk-small" }, `参加：${who} · 安排人 ${s.booked_by}`),
        s.cancelled_at ? null : h("button", { type: "button", class: "dk-btn dk-btn-ghost dk-btn-sm", onclick: () => {
          const reason = window.prompt("取消理由")
          if (reason) { send(`sessions/${s.id}/cancel`, { reason }, "已取消") }
        } }, "取消")))
    }
  }

  // ---- 调解协议书 ---------------------------------------------------------------------------------
  const committee = h("input", { class: "dk-input", name: "committee", maxlength: LIMITS.body_name, placeholder: "调解委员会名称" })
  const facts = h("textarea", { class: "dk-input", name: "facts", rows: 3, maxlength: LIMITS.record_note, placeholder: "纠纷主要事实、争议事项" })
  const terms = h("textarea", { class: "dk-input", name: "terms", rows: 3, maxlength: LIMITS.record_note, placeholder: "协议内容（逐条）" })
  const perform = h("textarea", { class: "dk-input", name: "performance", rows: 2, maxlength: LIMITS.performance, placeholder: "履行方式和期限" })
  const correction = h("input", { class: "dk-input", name: "correction", maxlength: LIMITS.reason, placeholder: "更正理由（制作新版本时必填）" })
  const agreementForm = h("div", { class: "rc-form" }, committee, facts, terms, perform, correction,
    h("button", { type: "button", class: "dk-btn dk-btn-good dk-btn-sm rc-agree", onclick: () => send("agreement", {
      committee: committee.value.trim(), facts: facts.value.trim(), terms: terms.value.trim(),
      performance: perform.value.trim(), correction: correction.value.trim() || null }, "调解协议书已生成") }, "生成协议书"))

  function drawAgreements() {
    clear(lists.agreements)
    if (!rec.agreements.length) { lists.agreements.appendChild(h("div", { class: "dk-muted" }, "尚无书面调解协议")) }
    for (const a of [...rec.agreements].reverse()) {
      lists.agreements.appendChild(h("div", { class: "rc-item", dataset: { version: a.version } },
        h("a", { class: "dk-link rc-pdf", target: "_blank", rel: "noopener", href: `${base}/agreement.pdf?version=${a.version}` },
          `第${a.version}版 PDF`), ` ${a.number} · ${recTime(a.created_at)} · ${a.created_by}`,
        a.correction ? h("div", { class: "dk-muted dk-small" }, `更正：${a.correction}`) : null))
    }
    correction.hidden = !rec.agreements.length
  }

  // ---- 司法确认 -----------------------------------------------------------------------------------
  const jStatus = h("select", { class: "dk-input", name: "judicial_status" },
    Object.entries(REC_JUDICIAL).map(([k, v]) => h("option", { value: k }, v)))
  const court = h("input", { class: "dk-input", name: "court", maxlength: LIMITS.body_name, placeholder: "法院" })
  const jDate = h("input", { class: "dk-input", type: "date", name: "on_date" })
  const judicialForm = h("div", { class: "dk-row rc-form" }, jStatus, court, jDate,
    h("button", { type: "button", class: "dk-btn dk-btn-secondary dk-btn-sm", onclick: () => send("judicial", {
      status: jStatus.value, court: court.value.trim(), on_date: jDate.value || null }, "司法确认已记录") }, "记录"))

  function drawJudicial() {
    clear(lists.judicial)
    for (const j of rec.judicial) {
      lists.judicial.appendChild(h("div", { class: "rc-item" }, h("b", {}, j.status_label), ` ${j.court} · ${j.on_date} · ${j.recorded_by}`))
    }
    if (!rec.judicial.length) { lists.judicial.appendChild(h("div", { class: "dk-muted" }, "未申请司法确认")) }
  }

  // ---- attachments ---------------------------------------------------------------------------------
  const fileInput = h("input", { type: "file", name: "file", accept: "image/jpeg,image/png,image/webp,application/pdf" })
  const fileForm = h("div", { class: "dk-row rc-form" }, fileInput,
    h("button", { type: "button", class: "dk-btn dk-btn-secondary dk-btn-sm", onclick: upload }, "上传附件"))
  async function upload() {
    const f = fileInput.files[0]
    if (!f) { return }
    const form = new FormData()
    form.append("file", f, f.name)
    clear(flash).appendChild(notice("info", "正在上传…"))
    const r = await request(`${base}/attachments`, { method: "POST", body: form })
    clear(flash)
    if (!r.ok) { flash.appendChild(notice("error", "上传未成功", [r.error.message])); return }
    fileInput.value = ""
    flash.appendChild(notice("ok", "附件已上传", []))
    await refresh()
  }

  function drawFiles() {
    clear(lists.files)
    if (!rec.attachments.length) { lists.files.appendChild(h("div", { class: "dk-muted" }, "暂无附件")) }
    for (const f of rec.attachments) {
      const label = `${f.type_label} · ${(f.size / 1024).toFixed(0)} KB · ${f.uploaded_by} · ${recTime(f.uploaded_at)}`
      lists.files.appendChild(h("div", { class: "rc-item", dataset: { attachment: f.id } },
        rec.masked ? h("span", {}, `${label}（个人信息已遮蔽，不可查看）`)
          : h("a", { class: "dk-link", target: "_blank", rel: "noopener", href: `${apiBase}/attachments/${f.id}` }, `${f.filename} · ${label}`)))
    }
  }

  // ---- 延期 ----------------------------------------------------------------------------------------
  const days = h("input", { class: "dk-input dk-num", type: "number", min: 1, max: 30, name: "days", placeholder: "天" })
  const reason = h("input", { class: "dk-input", name: "ext_reason", maxlength: LIMITS.note, placeholder: "延期理由" })
  const extForm = h("div", { class: "dk-row rc-form" }, days, reason,
    h("button", { type: "button", class: "dk-btn dk-btn-secondary dk-btn-sm", onclick: () => send("extensions",
      { days: Number(days.value), reason: reason.value.trim() }, "延期申请已提交") }, "申请延期"))

  function drawExt() {
    clear(lists.ext)
    for (const e of rec.extensions) {
      const decide = e.status === "pending" ? h("span", {},
        h("button", { type: "button", class: "dk-btn dk-btn-good dk-btn-sm rc-approve", onclick: () =>
          send(`extensions/${e.id}/decision`, { approve: true }, "已批准延期") }, "批准"),
        h("button", { type: "button", class: "dk-btn dk-btn-danger dk-btn-sm", onclick: () => {
          const note = window.prompt("驳回理由")
          if (note) { send(`extensions/${e.id}/decision`, { approve: false, note }, "已驳回") }
        } }, "驳回")) : null
      lists.ext.appendChild(h("div", { class: "rc-item", dataset: { extension: e.id } },
        h("b", {}, `${REC_EXT[e.status]} · ${e.days} 天`), ` ${e.reason} · ${e.requested_by} ${recTime(e.requested_at)}`,
        e.decided_by ? h("div", { class: "dk-muted dk-small" }, `${e.decided_by} ${recTime(e.decided_at)}${e.deadline_after ? " · 办结时限延至 " + recTime(e.deadline_after) : ""}${e.decision_note ? " · " + e.decision_note : ""}`) : null,
        decide))
    }
    if (!rec.extensions.length) { lists.ext.appendChild(h("div", { class: "dk-muted" }, "无延期申请")) }
  }

  const sub = (title, ...kids) => h("div", { class: "rc-sub" }, h("div", { class: "rc-sub-title" }, title), ...kids)
  append(el, [flash,
    sub("五步调解记录（听、查、议、调、定）", lists.steps, stepForm),
    sub("调解安排", lists.sessions, sessionForm),
    sub("调解协议书", lists.agreements, agreementForm),
    sub("司法确认", lists.judicial, judicialForm),
    sub("附件（照片、文书）", lists.files, fileForm),
    sub("延期", lists.ext, extForm)])

  function fillRooms() {
    if (room.options.length) { return }
    room.appendChild(h("option", { value: "" }, "不预订调解室"))
    for (const r of rec.rooms || []) { room.appendChild(h("option", { value: r.id }, r.name)) }
  }

  function fillParties() {
    clear(partiesBox)
    for (const p of kase.parties || []) {
      partiesBox.appendChild(h("label", { class: "dk-check" }, h("input", { type: "checkbox", value: p.name, checked: true }), p.name))
    }
  }

  async function refresh() {
    const r = await api(`${base}/record`)
    if (!r.ok) { clear(flash).appendChild(notice("error", "调解档案加载失败", [r.error.message])); return }
    rec = r.data
    fillRooms()
    drawSteps(); drawSessions(); drawAgreements(); drawJudicial(); drawFiles(); drawExt()
    el.dataset.loaded = "1"
  }

  function setCase(c) {
    const first = kase === null
    kase = c
    if (first) {
      fillParties()
      if (c.community_name && !committee.value) { committee.placeholder = `如：${c.community_name}人民调解委员会` }
      start.value = start.value || recLocalInput(Date.now() + 86400e3 - (Date.now() % 3600e3))
    }
  }
  return { el, refresh, setCase }
}
