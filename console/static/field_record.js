// The field page's 调解记录 (field.js imports mountRecords and refreshRecord): per task the 五步
// (听、查、议、调、定) as five buttons, a note for the chosen step, a camera input for photos, and a
// 延期 request. The complete record (sessions, agreement, 司法确认) is on the desk. One element
// per case survives the task list's redraws (a half-written note is not lost).
import { fetchJson, postJson } from "fq/lib/http.js"
import { LIMITS } from "fq/lib/limits.js"

const FR_STEPS = [["listen", "听"], ["check", "查"], ["discuss", "议"], ["mediate", "调"], ["settle", "定"]]
const FR_HINT = { listen: "了解情况", check: "摸清事实", discuss: "各方畅谈", mediate: "多元解纷", settle: "建档落实" }
const frPanels = new Map()

function frPanel(apiBase, id) {
  const base = `${apiBase}/incidents/${id}`
  const el = document.createElement("details")
  el.className = "fr-rec"
  el.dataset.id = id
  el.innerHTML = `<summary>调解记录 <span class="fr-sum"></span></summary>
    <div class="fr-steps">${FR_STEPS.map(([k, l]) => `<button type="button" class="fr-step" data-step="${k}">${l}</button>`).join("")}</div>
    <div class="fr-hint"></div>
    <textarea class="fr-note" rows="3" maxlength="${LIMITS.record_note}" placeholder="先选上面的步骤，再写记录"></textarea>
    <button type="button" class="fr-save">保存记录</button>
    <label class="fr-cam">拍照 / 上传附件<input type="file" accept="image/*,application/pdf" capture="environment" class="fr-file"></label>
    <div class="fr-ext"><select class="fr-days">${[1, 2, 3, 5, 7, 10, 15].map((n) => `<option value="${n}">${n} 天</option>`).join("")}</select>
      <input class="fr-reason" maxlength="${LIMITS.note}" placeholder="延期理由"><button type="button" class="fr-ask">申请延期</button></div>
    <div class="fr-msg" role="status"></div>`
  let step = null
  const q = (s) => el.querySelector(s)
  const say = (text, bad) => { const m = q(".fr-msg"); m.textContent = text; m.classList.toggle("bad", Boolean(bad)) }

  async function refresh() {
    try {
      const rec = await fetchJson(`${base}/record`)
      const done = new Set(rec.steps.filter((s) => s.done).map((s) => s.step))
      for (const b of el.querySelectorAll(".fr-step")) { b.classList.toggle("done", done.has(b.dataset.step)) }
      const pend = rec.pending_extension
      q(".fr-sum").textContent = `${FR_STEPS.map(([k, l]) => (done.has(k) ? l : "·")).join("")} · 附件 ${rec.attachments.length}${pend ? " · 延期待批" : ""}`
    } catch (err) { say(err.message, true) }
  }
  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button")
    if (!b) { return }
    if (b.classList.contains("fr-step")) {
      step = b.dataset.step
      for (const x of el.querySelectorAll(".fr-step")) { x.classList.toggle("on", x === b) }
      q(".fr-hint").textContent = `「${b.textContent}」${FR_HINT[step]}`
      q(".fr-note").focus()
    } else if (b.classList.contains("fr-save")) {
      if (!step) { say("请先选择步骤（听、查、议、调、定）", true); return }
      const note = q(".fr-note").value.trim()
      if (!note) { say("请填写记录内容", true); return }
      try {
        await postJson(`${base}/steps`, { step, note })
        q(".fr-note").value = ""
        say("已保存")
        refresh()
      } catch (err) { say(err.message, true) }
    } else if (b.classList.contains("fr-ask")) {
      try {
        await postJson(`${base}/extensions`,
          { days: Number(q(".fr-days").value), reason: q(".fr-reason").value.trim() })
        q(".fr-reason").value = ""
        say("延期申请已提交，等待上级审批")
        refresh()
      } catch (err) { say(err.message, true) }
    }
  })
  q(".fr-file").addEventListener("change", async (e) => {
    const f = e.target.files[0]
    if (!f) { return }
    const form = new FormData()
    form.append("file", f, f.name)
    say("正在上传…")
    try {
      await fetchJson(`${base}/attachments`, { method: "POST", body: form })
      say("附件已上传")
      refresh()
    } catch (err) { say(err.message, true) }
    e.target.value = ""
  })
  return { el, refresh }
}

// After the task list is drawn: put each case's record panel into its card's slot.
export function mountRecords(root, apiBase) {
  for (const slot of root.querySelectorAll(".fr-slot[data-id]")) {
    const id = slot.dataset.id
    let p = frPanels.get(id)
    if (!p) { p = frPanel(apiBase, id); frPanels.set(id, p); p.refresh() }
    slot.appendChild(p.el)
  }
}

export function refreshRecord(id) { const p = frPanels.get(String(id)); if (p) { p.refresh() } }
