// The live map's layer states read out: the machine-readable load state put on the map's root
// (`data-layers`, for tests and for support staff poking at a wall display) and which pulsing
// markers' deadlines have passed since they were drawn. Pure: tested under node (tests/js).

// layerStatus(states) -> {name: {status, active, features[, overdue, clustered]}}.
export function layerStatus(states) {
  const status = {}
  for (const [name, state] of states) {
    status[name] = { status: state.status, active: state.active, features: state.features.size }
    if (state.markers) {
      let overdue = 0
      for (const entry of state.features.values()) { if (entry.layer._lmOverdue) { overdue++ } }
      status[name].overdue = overdue
      status[name].clustered = Boolean(state.geo.refreshClusters)
    }
  }
  return status
}

// staleOverdue(states, isOverdue, now) -> [[state, entry]] whose drawn overdue mark is out of date
// (deadlines pass while the page stays open).
export function staleOverdue(states, isOverdue, now) {
  const stale = []
  for (const state of states.values()) {
    if (!state.config.pulse || !state.markers) { continue }
    for (const entry of state.features.values()) {
      if (isOverdue(entry.feature, now) !== Boolean(entry.layer._lmOverdue)) {
        stale.push([state, entry])
      }
    }
  }
  return stale
}
