"""The receiving end of the domain's ``NOTIFY``: one autocommit connection that LISTENs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Listening(Protocol):
    def payloads(self, timeout: float) -> Iterator[str]:
        """The payloads that arrive within ``timeout`` seconds (fewer when none come)."""
        ...


class _Connection:
    def __init__(self, conn: object) -> None:
        self._conn = conn

    def payloads(self, timeout: float) -> Iterator[str]:
        for note in self._conn.notifies(timeout=timeout):  # type: ignore[attr-defined]
            yield note.payload


@contextmanager
def listening(conninfo: str, channel: str, *, connect_timeout: int = 5) -> Iterator[Listening]:
    """A connection listening on ``channel`` for as long as the block runs; raises when the
    database cannot be reached or goes away (the caller reconnects)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True, connect_timeout=connect_timeout) as conn:
        conn.execute(f"LISTEN {channel}")  # the process's own channel name, never user input
        yield _Connection(conn)
