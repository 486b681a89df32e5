// The live map's frame: the root element with the map's own div and the 示意 notice (the badge
// always shown on top of the map), and the focus ring drawn for keyboard users only (see
// leaflet_map.css). DOM only, no Leaflet.

// mapFrame(el) -> {root, mapDiv, badge}, already inside `el`.
export function mapFrame(el) {
  const root = document.createElement("div")
  root.className = "lm-root"
  const mapDiv = document.createElement("div")
  mapDiv.className = "lm-map"
  root.appendChild(mapDiv)
  const badge = document.createElement("div")
  badge.className = "lm-badge"
  root.appendChild(badge)
  el.appendChild(root)
  mapDiv.addEventListener("keyup", (e) => {
    if (e.key === "Tab") { mapDiv.classList.add("lm-kbd-focus") }
  })
  mapDiv.addEventListener("mousedown", () => mapDiv.classList.remove("lm-kbd-focus"))
  return { root, mapDiv, badge }
}

// showBadge(badge, text): the notice's text; hidden when there is none.
export function showBadge(badge, text) {
  badge.textContent = text || ""
  badge.style.display = text ? "" : "none"
}
