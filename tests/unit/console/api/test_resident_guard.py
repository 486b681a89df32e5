"""The resident page's door: sliding windows, the client address behind a trusted proxy only."""

from __future__ import annotations

from types import SimpleNamespace

from console.api.resident_guard import THROTTLED, Windows, client_address


def test_a_window_allows_n_then_says_how_long_to_wait():
    w = Windows()
    assert [w.hit("a", (3, 60), now=100.0) for _ in range(3)] == [0, 0, 0]
    wait = w.hit("a", (3, 60), now=110.0)
    assert 0 < wait <= 51
    assert w.hit("b", (3, 60), now=110.0) == 0  # another key has its own count
    assert w.hit("a", (3, 60), now=160.5) == 0  # the first hit left the window
    assert "频繁" in THROTTLED.format(wait=5)


def test_the_window_table_is_bounded():
    w = Windows(max_keys=10)
    for i in range(100):
        w.hit(str(i), (1, 60), now=0.0)
    assert len(w._hits) <= 10


def _req(peer: str, xff: str | None = None) -> SimpleNamespace:
    headers = {"X-Forwarded-For": xff} if xff else {}
    return SimpleNamespace(request=SimpleNamespace(remote_ip=peer, headers=headers))


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    assert client_address(_req("203.0.113.9", "1.2.3.4"), ()) == "203.0.113.9"
    assert client_address(_req("203.0.113.9", "1.2.3.4"), ("10.0.0.1",)) == "203.0.113.9"
    # behind the proxy: the address it appended, not what the client claimed before it
    assert client_address(_req("10.0.0.1", "6.6.6.6, 198.51.100.7"), ("10.0.0.1",)) \
        == "198.51.100.7"
    assert client_address(_req("10.0.0.1"), ("10.0.0.1",)) == "10.0.0.1"
