"""The console's pages: each ``create_*`` function builds a fresh page for one browser session."""

from console.pages.home import create_home

__all__ = ["create_home"]
