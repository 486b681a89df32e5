// /posters (admin): a link per community and mediation room to its printable A4 QR poster.
import { fetchJson } from "../lib/http.js"

const list = document.getElementById("places")
fetchJson("/api/v1/admin/posters").then(({ items }) => {
  list.replaceChildren(...items.map((p) => {
    const a = Object.assign(document.createElement("a"), {
      href: `/api/v1/admin/posters/${p.at}`, target: "_blank",
      textContent: `${p.kind === "room" ? "调解室" : "社区"} · ${p.parent || ""} ${p.name}`,
    })
    const li = document.createElement("li")
    li.append(a)
    return li
  }))
}).catch((err) => { list.textContent = err.message })
