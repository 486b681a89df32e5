// Text into HTML markup: the one escaper every page uses when it builds markup from strings
// (user-supplied values never become markup). Pure: runs in the browser and in node's tests.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }

// escapeHtml(value) -> the text safe inside an element or a quoted attribute; null/undefined -> "".
export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c])
}

// <option>s of a {value: label} map, `chosen` selected, with an optional blank first option.
export function optionsHtml(map, chosen, blank) {
  const head = blank ? `<option value="">${escapeHtml(blank)}</option>` : ""
  return head + Object.entries(map).map(([k, v]) =>
    `<option value="${escapeHtml(k)}"${String(chosen) === k ? " selected" : ""}>${escapeHtml(v)}</option>`,
  ).join("")
}
