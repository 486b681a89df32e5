// The wall's DOM helpers: elements made once, then written only where the text or attribute
// changed. Even an equal write invalidates style and layout, and a wall updates all day beside a
// busy map. (Reads of textContent/attributes never force a layout.)

export function make(tag, cls, text) {
  const node = document.createElement(tag)
  if (cls) { node.className = cls }
  if (text !== undefined) { node.textContent = text }
  return node
}

// setText(node, value) -> whether the text changed.
export function setText(node, value) {
  const text = String(value ?? "")
  if (node.textContent === text) { return false }
  node.textContent = text
  return true
}

export function setAttr(node, name, value) {
  const text = String(value)
  if (node.getAttribute(name) !== text) { node.setAttribute(name, text) }
}

export function setData(node, key, value) {
  const text = String(value ?? "")
  if (node.dataset[key] !== text) { node.dataset[key] = text }
}

export function show(node, on) {
  const value = on ? "" : "none"
  if (node.style.display !== value) { node.style.display = value }
}

export function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag)
  for (const [k, v] of Object.entries(attrs || {})) { node.setAttribute(k, v) }
  return node
}
