"""Live updates: the process's one LISTEN, the desk and stats hubs, SSE, diffs and the wire format."""
