"""Adapters from the pure domain to PostgreSQL."""
