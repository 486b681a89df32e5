"""A centre's service points (综治中心, 调解室, 警务室, 法官工作室 …): read, check, add or update by code.

Each facility becomes a named place of the gazetteer too, so "玉林社区调解室" geocodes. Facilities
not in the file stay (lists arrive in parts); a governance centre's level (市/区/街道/社区) comes
from its ``层级`` column or its name, and its area from where it stands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo.address_library import CRS_WORDS, check_points, clean_text, parse_number
from geo.coords import CRS_NAMES
from geo.errors import ImportRejected, Problem
from geo.schema import FACILITY_KINDS
from geo.tabular import map_columns, read_table, row_label

LABEL = "服务场所"
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("编号", "编码", "code"),
    "kind": ("类型", "场所类型", "设施类型", "type", "kind"),
    "name": ("名称", "name"),
    "address": ("地址", "address"),
    "lon": ("经度", "lon", "lng", "x"),
    "lat": ("纬度", "lat", "y"),
    "crs": ("坐标系", "crs"),
    "hours": ("开放时间", "办公时间", "hours"),
    "contact": ("联系方式", "联系电话", "电话", "contact", "phone"),
    "level": ("层级", "级别", "level"),
}
LABELS = {f: h[0] for f, h in HEADERS.items()}
KIND_WORDS = {
    "综治中心": "governance_centre", "矛调中心": "governance_centre",
    "综治中心(矛调中心)": "governance_centre", "矛盾纠纷调处化解中心": "governance_centre",
    "社会治理中心": "governance_centre", "调解室": "mediation_room",
    "人民调解室": "mediation_room", "社区调解室": "mediation_room",
    "调解工作室": "mediation_studio", "个人调解工作室": "mediation_studio",
    "警务室": "police_office", "社区警务室": "police_office", "派出所": "police_station",
    "法官工作室": "judge_workstation", "巡回审判点": "circuit_court",
    "法律援助工作站": "legal_aid", **{k: k for k in FACILITY_KINDS},
}
LEVEL_WORDS = {"市": "city", "区": "district", "县": "district", "区县": "district",
               "街道": "street", "乡镇": "street", "镇": "street", "社区": "community",
               "村": "community", "city": "city", "district": "district", "street": "street",
               "community": "community"}


def _level_of(name: str) -> str:
    for word, level in (("社区", "community"), ("村", "community"), ("街道", "street"),
                        ("镇", "street"), ("乡", "street"), ("区", "district"),
                        ("县", "district")):
        if word in name:
            return level
    return "city"


def read_facilities(path: Path, *, crs: str | None,
                    inside: Callable[[np.ndarray, np.ndarray], np.ndarray],
                    layer: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows (code, kind, name, address, lon/lat WGS-84, hours, contact, level) and problems."""
    problems: list[Problem] = []
    raw, unit = read_table(path, label=LABEL, problems=problems, layer=layer)
    if raw is None or raw.empty:
        if raw is not None:
            problems.append(Problem("empty", f"文件 {path.name} 没有任何场所", LABEL))
        return pd.DataFrame(), problems
    cols = map_columns(raw, HEADERS, label=LABEL, problems=problems)
    if "_lon" in raw and "lon" not in cols:
        cols["lon"], cols["lat"] = "_lon", "_lat"
    for need in ("kind", "name", "lon", "lat"):
        if need not in cols:
            problems.append(Problem("missing_field", f"缺少必填列 {LABELS[need]}", LABEL))
    if any(p.kind in ("missing_field", "duplicate_column") for p in problems):
        return pd.DataFrame(), problems

    def col(f: str) -> list[str]:
        return [str(v).strip() for v in raw[cols[f]]] if f in cols else [""] * len(raw)

    data = {f: col(f) for f in HEADERS}
    recs: list[dict[str, object]] = []
    for i in range(len(raw)):
        where = row_label(i, unit)
        name = data["name"][i]
        if not name:
            problems.append(Problem("missing_field", f"{where} 缺少 {LABELS['name']}", LABEL))
            continue
        kind = KIND_WORDS.get(clean_text(data["kind"][i]))
        if kind is None:
            problems.append(Problem("unknown_category", f"{where} {LABELS['kind']} “{data['kind'][i]}” "
                                    "不是已知的场所类型（综治中心、矛调中心、调解室、调解工作室、警务室、"
                                    "派出所、法官工作室、巡回审判点、法律援助工作站）", LABEL, name))
            continue
        x, y = parse_number(data["lon"][i]), parse_number(data["lat"][i])
        if x is None or y is None:
            bad = "lon" if x is None else "lat"
            problems.append(Problem("bad_value", f"{where} {LABELS[bad]} “{data[bad][i]}” 不是数字",
                                    LABEL, name))
            continue
        row_crs = CRS_WORDS.get(data["crs"][i].lower(), data["crs"][i].lower()) \
            if data["crs"][i] else (crs or "wgs84")
        if row_crs not in CRS_NAMES:
            problems.append(Problem("bad_value", f"{where} {LABELS['crs']} “{data['crs'][i]}” 无法识别",
                                    LABEL, name))
            continue
        level = LEVEL_WORDS.get(data["level"][i]) if data["level"][i] else None
        if data["level"][i] and level is None:
            problems.append(Problem("bad_value", f"{where} {LABELS['level']} “{data['level'][i]}” 应为"
                                    "市、区县、街道或社区", LABEL, name))
            continue
        code = data["code"][i] or "F" + hashlib.sha1(f"{kind}|{name}".encode()).hexdigest()[:10]
        recs.append({"row": where, "code": code, "kind": kind, "name": name,
                     "address": name, "text": data["address"][i] or None,
                     "raw_lon": x, "raw_lat": y, "crs": row_crs,
                     "hours": data["hours"][i] or None, "contact": data["contact"][i] or None,
                     "level": level or (_level_of(name) if kind == "governance_centre" else None)})
    rows = pd.DataFrame(recs)
    if rows.empty:
        return rows, problems
    check_points(rows, inside, problems)
    seen: dict[str, str] = {}
    for i, (code, where) in enumerate(zip(rows.code, rows.row, strict=True)):
        if code in seen:
            problems.append(Problem("duplicate_code", f"{where} {LABELS['code']} “{code}” 与{seen[code]}"
                                    "重复", LABEL, code))
            rows.iat[i, int(rows.columns.get_loc("ok"))] = False  # type: ignore[arg-type]
        seen.setdefault(code, where)
    return rows[rows.ok].reset_index(drop=True), problems


_UPSERT = text("""
    INSERT INTO facilities (id, code, name, kind, level, district_id, street_id, community_id,
                            address, phone, hours, contact, illustrative, geom)
    SELECT coalesce(f.id, (SELECT coalesce(max(id), 0) FROM facilities) + 1), :code, :name,
           :kind, :level, s.district_id, s.id, c.id, :address, :phone, :hours, :contact, false,
           ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
    FROM (SELECT 1) one
    LEFT JOIN facilities f ON f.code = :code
    LEFT JOIN LATERAL (SELECT id, district_id FROM streets
                       WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
                       ORDER BY id LIMIT 1) s ON true
    LEFT JOIN LATERAL (SELECT id FROM communities
                       WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
                       ORDER BY id LIMIT 1) c ON true
    ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
        level = EXCLUDED.level, district_id = EXCLUDED.district_id,
        street_id = EXCLUDED.street_id, community_id = EXCLUDED.community_id,
        address = EXCLUDED.address, phone = EXCLUDED.phone, hours = EXCLUDED.hours,
        contact = EXCLUDED.contact, illustrative = false, geom = EXCLUDED.geom
    RETURNING id, (xmax = 0) AS inserted""")


def _text(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def write_facilities(conn: Connection, rows: pd.DataFrame) -> dict[str, int]:
    """Add or update ``rows`` by code, each with its gazetteer place; rebuilds the search."""
    added = 0
    ids = []
    r: Any
    for r in rows.itertuples():
        contact = _text(r.contact)
        phone = contact[:30] if contact and any(ch.isdigit() for ch in contact) else None
        fid, inserted = conn.execute(_UPSERT, {
            "code": r.code, "name": r.name, "kind": r.kind, "level": _text(r.level),
            "address": _text(r.text), "phone": phone, "hours": _text(r.hours),
            "contact": contact,
            "lon": float(r.lon), "lat": float(r.lat)}).one()
        added += int(bool(inserted))
        ids.append(int(str(fid)))
    conn.execute(text("DELETE FROM places WHERE facility_id = ANY(:ids)"), {"ids": ids})
    conn.execute(text("""
        INSERT INTO places (id, name, kind, aliases, address, facility_id, geom)
        SELECT (SELECT coalesce(max(id), 0) FROM places) + row_number() OVER (ORDER BY f.id),
               f.name, f.kind, '{}', f.address, f.id, f.geom
        FROM facilities f WHERE f.id = ANY(:ids)"""), {"ids": ids})
    conn.execute(text("""
        INSERT INTO addresses (id, full_address, level, place_id, street_id, community_id,
                               grid_id, micro_grid_id, geom)
        SELECT (SELECT coalesce(max(id), 0) FROM addresses) + row_number() OVER (ORDER BY p.id),
               coalesce(s.name, '') || p.name, 'place', p.id, f.street_id, f.community_id,
               (SELECT id FROM grids g WHERE ST_Covers(g.geom, p.geom) ORDER BY id LIMIT 1),
               (SELECT id FROM micro_grids m WHERE ST_Covers(m.geom, p.geom) ORDER BY id LIMIT 1),
               p.geom
        FROM places p JOIN facilities f ON f.id = p.facility_id
        LEFT JOIN streets s ON s.id = f.street_id
        WHERE f.id = ANY(:ids)"""), {"ids": ids})
    from geo.geocoder import rebuild_search

    rebuild_search(conn)
    return {"facilities_added": added, "facilities_updated": len(rows) - added}


def import_facilities(conn: Connection, path: Path, *, crs: str | None = None,
                      inside: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      dry_run: bool = False) -> dict[str, int]:
    rows, problems = read_facilities(path, crs=crs, inside=inside)
    if problems:
        raise ImportRejected(problems, source=path.name)
    if dry_run:
        return {"facilities": len(rows)}
    return write_facilities(conn, rows)
