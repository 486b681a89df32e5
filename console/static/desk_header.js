// DeskHeader: the desk's title bar — navigation, the signed-in officer (the audit's actor, not editable),
// the live-link status and the Beijing clock; DeskTabs (same file, part="tabs"): the work column's
// switch between intake and the open case.
import { TZ, h } from "fq/desk_common.js"

const CLOCK = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, year: "numeric", month: "2-digit",
  day: "2-digit", weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })
const LIVE = { live: ["实时", "ok"], connecting: ["连接中", "warn"], error: ["数据暂不可用", "bad"] }

function header(model, el) {
  // Who acts is the signed-in account the audit records: shown, not editable.
  const actor = h("span", { class: "dk-actor", title: "当前登录账号（审计记录的操作人）" }, model.actor)
  const live = h("span", { class: "dk-live" })
  const clock = h("span", { class: "dk-hd-clock" })
  el.appendChild(h("header", { class: "dk-hd" },
    h("div", { class: "dk-hd-mark", "aria-hidden": "true" }, "枫"),
    h("div", { class: "dk-hd-text" }, h("h1", { class: "dk-hd-title" }, "矛盾纠纷调处 · 值班台"),
      h("div", { class: "dk-hd-sub" }, "受理 → 分派 → 处置 → 回访")),
    h("nav", { class: "dk-hd-nav" },
      h("a", { class: "dk-hd-tab", href: "./" }, "指挥一张图"),
      h("span", { class: "dk-hd-tab on" }, "值班台"),
      h("a", { class: "dk-hd-tab", href: "./cases" }, "案件查询"),
      h("a", { class: "dk-hd-tab", href: "/triage", target: "_blank" }, "居民反映待审核"),
      h("a", { class: "dk-hd-tab", href: "./wall" }, "大屏"),
      h("a", { class: "dk-hd-tab", href: "./analysis" }, "研判")),
    h("div", { class: "dk-hd-right" }, live, h("span", { class: "dk-hd-actor" }, "值班员", actor,
      h("form", { method: "post", action: "/logout", class: "dk-hd-logout-form" },
        h("button", { type: "submit", class: "dk-hd-logout" }, "退出"))), clock)))
  function showLive() {
    const [text, cls] = LIVE[model.live] || LIVE.connecting
    live.textContent = text
    live.dataset.state = cls
    live.title = model.live_detail || ""
  }
  function tick() { clock.textContent = CLOCK.format(new Date()) }
  model.on("change:live", showLive)
  model.on("change:actor", () => { actor.textContent = model.actor })
  showLive()
  tick()
  const iv = setInterval(tick, 1000)
  model.on("remove", () => clearInterval(iv))
}

function tabs(model, el) {
  const intake = h("button", { type: "button", class: "dk-wtab", dataset: { tab: "intake" },
    onclick: () => { model.active = "intake" } }, "受理登记")
  const kase = h("button", { type: "button", class: "dk-wtab", dataset: { tab: "case" },
    onclick: () => { if (model.case_label) { model.active = "case" } } })
  el.appendChild(h("div", { class: "dk-wtabs", role: "tablist" }, intake, kase))
  function show() {
    intake.classList.toggle("on", model.active === "intake")
    kase.classList.toggle("on", model.active === "case")
    kase.textContent = model.case_label ? `案件 ${model.case_label}` : "案件详情"
    kase.disabled = !model.case_label
  }
  model.on("change:active", show)
  model.on("change:case_label", show)
  show()
}

export function render({ model, el }) {
  if (model.part === "tabs") { tabs(model, el) } else { header(model, el) }
}
