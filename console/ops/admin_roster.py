"""Admin helpers over the existing import paths: uploaded files to disk, one unit's roster edit.

A roster edit (capacity, skills, languages) goes through the same ``./run import units`` path
as a whole roster: the unit's current row is written as a one-row CSV with the edits applied
and imported, so every check of :func:`dispatch.unit_import.read_units` applies unchanged.
"""

from __future__ import annotations

import csv
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from console.ops.importing import import_units
from dispatch.adapters.roster_import import roster_row
from dispatch.errors import NotFound
from geo.errors import ImportRejected, Problem

GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")
AREA_NAMES = {  # file stems (English or Chinese) -> the area level they hold
    "districts": "districts", "streets": "streets", "communities": "communities",
    "grids": "grids", "micro_grids": "micro_grids", "micro-grids": "micro_grids",
    "police_grids": "police_grids", "police-grids": "police_grids",
    "区县": "districts", "街道": "streets", "社区": "communities", "网格": "grids",
    "微网格": "micro_grids", "警格": "police_grids",
}


def rejected(message: str, field: str) -> ImportRejected:
    return ImportRejected([Problem("bad_value", message, field)], source="上传文件")


@contextmanager
def upload_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fq-admin-") as tmp:
        yield Path(tmp)


def save_upload(folder: Path, field: str, filename: str, body: bytes,
                suffixes: tuple[str, ...]) -> list[Path]:
    """Write one uploaded file under ``folder``; a zip is unpacked. Returns the data files in it
    (by suffix), or raises :class:`ImportRejected` naming the field."""
    name = Path(filename or "upload").name
    target = folder / field
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    path.write_bytes(body)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                zf.extractall(target / "unzipped")  # member names are sanitised by zipfile
        except zipfile.BadZipFile:
            raise rejected(f"{name} 不是有效的 zip 压缩包", field) from None
        found = sorted(p for p in (target / "unzipped").rglob("*")
                       if p.suffix.lower() in suffixes and not p.name.startswith("."))
    elif path.suffix.lower() in suffixes:
        found = [path]
    else:
        raise rejected(f"{name} 的类型不受支持，请上传 {'、'.join(suffixes)} 或 zip", field)
    if not found:
        raise rejected(f"{name} 中没有 {'、'.join(suffixes)} 文件", field)
    return found


def area_files(paths_by_field: dict[str, list[Path]]) -> dict[str, Path]:
    """Level -> file: a field named by its level holds that level; a ``bundle`` zip holds
    several files named by level (streets.geojson, 网格.shp …)."""
    files: dict[str, Path] = {}
    for field, paths in paths_by_field.items():
        if field == "bundle":
            for p in paths:
                level = AREA_NAMES.get(p.stem.lower())
                if level is None:
                    raise rejected(f"压缩包中的 {p.name} 无法对应到层级（应命名为 streets、"
                                   "communities、grids、micro_grids、police_grids 或 街道、社区、"
                                   "网格、微网格、警格）", "bundle")
                files[level] = p
        else:
            files[field] = paths[0]
    return files


def edit_roster(conn: Connection, unit_id: int, changes: dict[str, Any],
                folder: Path) -> dict[str, int]:
    """Apply ``changes`` (capacity, skills, languages, shift …) to one unit through the roster
    import; raises :class:`ImportRejected` with the importer's located reasons."""
    rec = roster_row(conn, unit_id)
    if rec is None:
        raise NotFound(f"处置单位 {unit_id} 不存在", unit_id=unit_id)
    rec.update(changes)
    out: dict[str, str] = {}
    for key, value in rec.items():
        if isinstance(value, list | tuple):
            out[key] = "、".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[key] = "是" if value else "否"
        else:
            out[key] = "" if value is None else str(value)
    path = folder / f"unit-{unit_id}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(out))
        writer.writeheader()
        writer.writerow(out)
    return import_units(conn, path)
