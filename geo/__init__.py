"""Spatial ground: coordinates, locating, geocoding, routing, PostGIS, territory."""
