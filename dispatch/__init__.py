"""The domain: incidents, units, recommendation, assignment, clocks, audit."""
