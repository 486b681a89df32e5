// The people's part of the policy form on /admin: the star scheme (评星规则) and the 个案补贴
// amounts. Drawn inside the policy form and read back into its changes; the server validates
// (dispatch/policy.py) and audits the edit.
import { escapeHtml as esc } from "./lib/escape.js"

const GRADES = { simple: "简易", normal: "一般", complex: "疑难复杂" }
const OUTCOMES = { success: "调解成功（有据）", failed: "调解不成（有调解记录）" }
const WEIGHTS = { w_success: "调解成功率", w_satisfaction: "满意度", w_on_time: "按时办结率", w_sign: "按时签收率" }
const CUTS = { cut_5: "五星", cut_4: "四星", cut_3: "三星", cut_2: "二星" }
const RISKS = { 1: "黄色", 2: "橙色", 3: "红色" }

const num = (name, value, attrs = "") => `<input name="${name}" type="number" ${attrs} value="${esc(value)}">`

/** The two fieldsets for policy ``p`` (its ``stars`` and ``subsidy``). */
export function peopleFieldsets(p) {
  const s = p.subsidy, st = p.stars
  const rows = Object.entries(OUTCOMES).map(([o, label]) => `<tr><th>${esc(label)}</th>${Object.keys(GRADES).map((g) => (
    `<td>${num(`subsidy.${o}_${g}`, s[`${o}_${g}`], `min="0" max="100000" step="1" placeholder="未设置" aria-label="${esc(label)} ${esc(GRADES[g])}"`)} 元</td>`)).join("")}</tr>`).join("")
  const risks = Object.entries(RISKS).map(([k, v]) => `<option value="${k}"${Number(k) === s.risk_up ? " selected" : ""}>${esc(v)}</option>`).join("")
  return `<fieldset><legend>个案补贴（元/件，按补贴难度与结果；仅计有据案件）</legend>
      ${Object.values(s).some((v) => v == null) ? '<p role="note">补贴标准未设置：六项金额全部设置后，月度补贴明细才计金额。</p>' : ""}
      <table class="ad-table"><thead><tr><th>结果</th>${Object.values(GRADES).map((v) => `<th>${esc(v)}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>
      <div class="ad-row"><label>风险等级达到 <select name="subsidy.risk_up">${risks}</select> 升一档</label>
        <label>办结前调解 ${num("subsidy.sessions_up", s.sessions_up, 'min="1" step="1"')} 次及以上升一档</label></div></fieldset>
    <fieldset><legend>人员评星（办结不足最少件数的显示“样本不足”）</legend>
      <div class="ad-row"><label>最少办结 ${num("stars.min_cases", st.min_cases, 'min="1" step="1"')} 件</label>
        ${Object.entries(WEIGHTS).map(([k, v]) => `<label>${esc(v)}权重 ${num(`stars.${k}`, st[k], 'min="0" step="0.05"')}</label>`).join("")}</div>
      <div class="ad-row">${Object.entries(CUTS).map(([k, v]) => `<label>${esc(v)}分数线 ${num(`stars.${k}`, st[k], 'min="0" max="1" step="0.01"')}</label>`).join("")}</div></fieldset>`
}

/** The form's ``stars`` and ``subsidy`` changes; an empty box is left out (an amount nobody set
 * stays unset: ``Number("")`` would make it 0 yuan). */
export function peopleChanges(form) {
  const read = (prefix) => Object.fromEntries([...form.querySelectorAll(`[name^="${prefix}."]`)]
    .filter((i) => String(i.value).trim() !== "")
    .map((i) => [i.name.slice(prefix.length + 1), Number(i.value)]))
  return { stars: read("stars"), subsidy: read("subsidy") }
}
