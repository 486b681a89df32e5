"""The deployment's key for party identities: made once, private, the same on every read."""

from __future__ import annotations

import stat
from pathlib import Path

from console.api.analysis import _KEYS, party_key


def test_the_key_is_made_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = party_key(tmp_path)
    _KEYS.clear()  # another process reading the same state folder
    assert party_key(tmp_path) == first and len(first) == 32
    mode = stat.S_IMODE((tmp_path / "analysis.key").stat().st_mode)
    assert mode == 0o600
    assert party_key(tmp_path / "elsewhere") != first
