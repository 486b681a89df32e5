"""Read a centre's list (CSV, XLSX, GeoJSON, GeoPackage) into text columns, its points as lon/lat."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geo.errors import Problem

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")


def header_key(header: object) -> str:
    """A header as compared: without a trailing * or （必填）, trimmed, lower case."""
    return re.sub(r"[*＊]|[（(]必填[）)]", "", str(header)).strip().lower()


def read_table(path: Path, *, label: str, problems: list[Problem],
               layer: str | None = None) -> tuple[pd.DataFrame | None, str]:
    """The file's rows as text (missing = ""), plus how a row is named in messages ("行"/"个要素").

    A point layer's geometry becomes ``_lon``/``_lat`` columns (as the file stores them: a
    declared projected CRS is turned to longitude/latitude first). Row *n* of a table is the
    spreadsheet's row n + 2 (the header is row 1), so messages point where a clerk looks.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl"), "行"
        if suffix == ".csv":
            try:
                return pd.read_csv(path, dtype=str, keep_default_na=False,
                                   encoding="utf-8-sig"), "行"
            except UnicodeDecodeError:  # Excel on Chinese Windows saves CSV as GBK
                return pd.read_csv(path, dtype=str, keep_default_na=False,
                                   encoding="gb18030"), "行"
        if suffix in VECTOR_SUFFIXES:
            import geopandas as gpd

            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
            if frame.crs is not None and frame.crs.to_epsg() != 4326:
                frame = frame.to_crs(4326)
            out = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(str).replace(
                {"None": "", "nan": ""})
            geoms = frame.geometry.values
            is_point = [g is not None and not g.is_empty and g.geom_type == "Point" for g in geoms]
            out["_lon"] = [f"{g.x!r}" if ok else "" for g, ok in zip(geoms, is_point, strict=True)]
            out["_lat"] = [f"{g.y!r}" if ok else "" for g, ok in zip(geoms, is_point, strict=True)]
            return out, "个要素"
    except Exception as exc:  # any reader's fault is the file's: say so, name the file
        problems.append(Problem("unreadable", f"无法读取文件 {path.name}：{exc}", label))
        return None, "行"
    problems.append(Problem("unreadable", f"不支持的文件类型 {suffix or '（无扩展名）'}，请使用 "
                            "CSV、XLSX、GeoJSON 或 GeoPackage", label))
    return None, "行"


def map_columns(frame: pd.DataFrame, headers: dict[str, tuple[str, ...]], *, label: str,
                problems: list[Problem]) -> dict[str, str]:
    """field -> the file's column; a column no field accepts is reported, not ignored."""
    out: dict[str, str] = {}
    for col in frame.columns:
        if str(col) in ("_lon", "_lat"):
            continue
        h = header_key(col)
        field = next((f for f, names in headers.items() if h in (n.lower() for n in names)),
                     None)
        if field is None:
            known = "、".join(names[0] for names in headers.values())
            problems.append(Problem("unknown_column", f"未知的列 “{col}”（可用的列：{known}）",
                                    label))
        elif field in out:
            problems.append(Problem("duplicate_column", f"列 “{col}” 与 “{out[field]}” 重复",
                                    label))
        else:
            out[field] = str(col)
    return out


def row_label(i: int, unit: str) -> str:
    """The i-th data row (0-based) as a person finds it: 第 i+2 行, or 第 i+1 个要素."""
    return f"第{i + 2}行" if unit == "行" else f"第{i + 1}{unit}"
