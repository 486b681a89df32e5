"""Exports for briefings and records: HTML maps, the wall PNG, the agreement PDF, the audit CSV."""
