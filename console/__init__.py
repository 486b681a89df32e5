"""The Panel web console and its HTTP API."""
