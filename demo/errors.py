"""The demo's refusals, each a clear message in Chinese with its English beside it."""

from __future__ import annotations


class DemoRefused(RuntimeError):
    """The demo was not loaded, and the database was left as it was."""
