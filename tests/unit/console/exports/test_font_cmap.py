"""The reduced CJK face's character map is kept beside it: read back equal, ignored once stale."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from console.exports import agreement_pdf as ap

SOURCE = Path("/usr/share/fonts/truetype/arphic/uming.ttc")


@pytest.mark.skipif(not SOURCE.exists(), reason="fonts-arphic-uming not installed")
def test_the_sidecar_equals_the_faces_map_and_a_newer_face_ignores_it(tmp_path: Path,
                                                                      monkeypatch) -> None:
    face = tmp_path / ap.REDUCED
    shutil.copy(SOURCE, face)  # any face serves: the map is read from whatever file it is
    monkeypatch.setattr(ap, "_cmaps", {})
    first = ap._cmap(str(face), 0)
    side = Path(f"{face}.cmap")
    assert side.exists() and ap._sidecar(str(face)) == first and len(first) > 20_000
    monkeypatch.setattr(ap, "_cmaps", {})
    assert ap._cmap(str(face), 0) == first  # from the sidecar this time
    side.write_text("4e00 4e01")
    os.utime(side, (face.stat().st_mtime - 10, face.stat().st_mtime - 10))
    assert ap._sidecar(str(face)) is None  # the face was rebuilt after: stale, not trusted
    os.utime(side, None)
    assert ap._sidecar(str(face)) == frozenset({0x4E00, 0x4E01})
    assert ap._sidecar(str(tmp_path / "other.ttf")) is None  # only the reduced face has one
