"""Map layers: territory and live state as styled GeoJSON."""
