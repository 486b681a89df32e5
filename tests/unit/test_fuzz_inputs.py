"""Hostile input, fuzzed: the address parser, the area and roster importers, the API bodies.

Each either answers or refuses with its own error type (Chinese, field named); none crashes
with anything else.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from console.api.schemas import IncidentIn, PositionIn, parse_body
from dispatch.errors import InvalidCommand
from dispatch.unit_import import read_units
from geo.address import convert_numerals, key, normalise, parse
from geo.errors import ImportRejected
from geo.geocode_lexicon import Entry, Lexicon
from geo.geocode_search import name_keys
from geo.importer import read_areas

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
ADDRESSY = st.text(alphabet=st.one_of(
    CJK, st.sampled_from(list("路街巷号栋单元室楼期区社区小区附近对面旁边一二三四五六七八九十百零〇两"
                              "（）()#-—·,，、 \t\n")),
    st.characters(codec="utf-8")), max_size=120)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    names = [("street", 1, "草市街街道"), ("community", 1, "草市街社区"), ("road", 1, "草市街"),
             ("road", 2, "人民中路二段"), ("compound", 1, "锦江花园"), ("place", 1, "市第一人民医院")]
    items = []
    for kind, ref, name in names:
        entry = Entry(kind, ref, name, 1, 1, None)
        items += [(k, entry, v) for k, v in name_keys(kind, name, [])]
    return Lexicon(items)


@FUZZ
@given(text=ADDRESSY)
def test_address_parser_answers_any_text(lex: Lexicon, text: str) -> None:
    parsed = parse(text, lex)
    assert parsed is not None
    norm = normalise(text)
    assert isinstance(norm.text, str)
    assert isinstance(key(text), str)
    assert convert_numerals(convert_numerals(text)) == convert_numerals(text)


@FUZZ
@given(feature=st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["type", "coordinates", "geometry", "properties", "code", "name",
                                 "features", "street_code", "crs"]), inner, max_size=5)),
    max_leaves=25))
@example(feature={"type": "Feature", "properties": {"code": "510105001", "name": "示例街道"},
                  "geometry": {"type": "Polygon", "coordinates": [[
                      [104.0, 30.0], [104.01, 30.0], [104.01, 30.01], [104.0, 30.0]]]}})
def test_area_import_refuses_garbage_as_import_rejected(tmp_path: Path, feature: object) -> None:
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    try:
        territory, problems = read_areas({"streets": path}, district=("510105", "青羊区"))
    except ImportRejected as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert all(p.message for p in problems)  # each finding says what, in Chinese
    if not problems:  # taken as it stands: then it is one street with its code, name and area
        streets = territory["streets"]
        geom = streets.geom.iloc[0]
        assert len(streets) == 1 and streets.code.iloc[0] and streets.name.iloc[0]
        assert geom.geom_type == "MultiPolygon" and geom.is_valid and not geom.is_empty, geom


ROW = st.lists(st.text(alphabet=string.printable + "张王李网格员调解员白班、", max_size=12),
               min_size=0, max_size=12)


@FUZZ
@given(rows=st.lists(ROW, max_size=6))
def test_roster_import_refuses_garbage_as_import_rejected(tmp_path: Path,
                                                          rows: list[list[str]]) -> None:
    path = tmp_path / "units.csv"
    header = "编号,姓名,类型,电话,专长,语言,所属网格,所属警格,所属街道,班次,容量"
    body = "\n".join(",".join(c.replace(",", " ").replace("\n", " ") for c in r) for r in rows)
    path.write_text(header + "\n" + body + "\n", encoding="utf-8")
    try:
        frame = read_units(path, territory_codes={"grids": {"G1": 1}, "police_grids": {},
                                                  "streets": {"S1": 1}})
    except ImportRejected as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert len(frame) <= len(rows)


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                 st.text(max_size=30)),
                       lambda inner: st.one_of(st.lists(inner, max_size=3),
                                               st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4)), max_leaves=12)


@FUZZ
@given(body=st.one_of(JSONISH, st.fixed_dictionaries(
    {"category": JSONISH, "channel": JSONISH},
    optional={"lon": JSONISH, "lat": JSONISH, "parties": JSONISH, "priority": JSONISH,
              "description": JSONISH, "crs": JSONISH})))
def test_api_bodies_validate_or_name_a_field(body: object) -> None:
    for model in (IncidentIn, PositionIn):
        try:
            parse_body(model, body)
        except InvalidCommand as exc:
            assert exc.detail.get("field") and exc.message
