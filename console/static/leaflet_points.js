// Point layers drawn as DOM markers for the live map (console/static/leaflet_map.js): clustering
// where points crowd (the vendored leaflet.markercluster, given our own Leaflet) and a CSS pulse
// on features whose `due` time has passed. Canvas circle markers cannot animate, so only layers
// that ask for "cluster" or "pulse" pay for DOM markers.

let clusterClass = null

// leaflet.markercluster is a UMD script that extends a global `L`; our Leaflet is an ES module
// whose namespace cannot be extended. Run the script with an extensible copy of that namespace
// as its `L` (same classes, so markers and maps are shared) and no module system in sight.
export function markerClusterGroup(L, prefix) {
  if (!clusterClass) {
    const url = new URL(`${prefix}/vendor/leaflet.markercluster/leaflet.markercluster.js`,
                        document.baseURI).href
    clusterClass = fetch(url, { credentials: "same-origin" }).then((resp) => {
      if (!resp.ok) { throw new Error(`HTTP ${resp.status}`) }
      return resp.text()
    }).then((src) => {
      const scope = { ...L }
      // eslint-disable-next-line no-new-func
      new Function("L", "exports", "module", "define", src).call({}, scope)
      return scope.MarkerClusterGroup
    })
  }
  return clusterClass
}

const SAFE_COLOUR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)$/

function colour(value, fallback) {
  return SAFE_COLOUR.test(String(value || "")) ? value : fallback
}

// A case is overdue once its running deadline (`due`, set by the server per state) has passed.
export function isOverdue(feature, now) {
  const due = feature && feature.properties ? feature.properties.due : null
  if (!due) { return false }
  const t = Date.parse(due)
  return Number.isFinite(t) && t < now
}

export function pointIcon(L, feature, style, pulse, now) {
  const over = pulse && isOverdue(feature, now)
  const fill = colour(style.fillColor, "#555555")
  const ring = colour(style.color, "#ffffff")
  return L.divIcon({
    className: over ? "lm-pt lm-pulse" : "lm-pt",
    iconSize: [14, 14],
    iconAnchor: [7, 7],
    html: `<span class="lm-pt-dot" style="background:${fill};border-color:${ring}"></span>`,
  })
}

// Cluster bubbles count their cases; a bubble holding an overdue case pulses too, so nothing
// overdue hides inside a cluster.
export function clusterOptions(L, paneName) {
  return {
    clusterPane: paneName,
    maxClusterRadius: 50,
    spiderfyOnMaxZoom: true,
    showCoverageOnHover: false,
    chunkedLoading: true,
    iconCreateFunction: (cluster) => {
      const kids = cluster.getAllChildMarkers()
      const over = kids.some((m) => m._lmOverdue)
      const n = kids.length
      const size = n < 10 ? "small" : n < 100 ? "medium" : "large"
      return L.divIcon({
        html: `<div><span>${n}</span></div>`,
        className: `marker-cluster marker-cluster-${size}${over ? " lm-cluster-overdue" : ""}`,
        iconSize: L.point(40, 40),
      })
    },
  }
}

export function legendItems(config, escapeHtml) {
  const out = []
  if (config.pulse) {
    out.push(`<div class="lm-legend-item lm-legend-sub"><span class="lm-swatch lm-swatch-pulse"></span>` +
             `<span>超时未签收/未办结（闪烁）</span></div>`)
  }
  if (config.cluster) {
    out.push(`<div class="lm-legend-item lm-legend-sub"><span class="lm-swatch lm-swatch-cluster">3</span>` +
             `<span>${escapeHtml("聚合：数字为事件数，点击展开")}</span></div>`)
  }
  return out.join("")
}
