"""A backup's members are written out as regular files only, whatever Python's tarfile offers."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from console.ops.backup import BackupError, _extract


def _archive(tmp_path: Path, *members: tarfile.TarInfo, data: bytes = b"x") -> Path:
    path = tmp_path / "b.tar"
    with tarfile.open(path, "w") as tar:
        for m in members:
            tar.addfile(m, io.BytesIO(data) if m.isfile() else None)
    return path


def _file(name: str, data: bytes = b"x") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info


def test_a_regular_member_is_written_under_the_destination(tmp_path: Path) -> None:
    path = _archive(tmp_path, _file("files/a/b.jpg", b"photo"), data=b"photo")
    with tarfile.open(path) as tar:
        got = _extract(tar, tar.getmember("files/a/b.jpg"), tmp_path / "out")
    assert got == tmp_path / "out" / "files" / "a" / "b.jpg"
    assert got.read_bytes() == b"photo"


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "device"])
def test_unsafe_members_are_refused_and_nothing_written(tmp_path: Path, kind: str) -> None:
    if kind == "dotdot":
        member = _file("files/../../evil")
    elif kind == "absolute":
        member = _file("/tmp/evil")
    elif kind == "symlink":
        member = tarfile.TarInfo("files/link")
        member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
    else:
        member = tarfile.TarInfo("files/dev")
        member.type = tarfile.CHRTYPE
    path = _archive(tmp_path, member)
    out = tmp_path / "out"
    with tarfile.open(path) as tar, pytest.raises(BackupError, match="不安全"):
        _extract(tar, tar.getmembers()[0], out)
    assert not out.exists()
