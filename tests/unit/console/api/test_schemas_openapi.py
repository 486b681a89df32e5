"""Boundary models (Chinese errors naming the field) and the OpenAPI document built from them."""

from __future__ import annotations

import pytest
import schemathesis

from console.api.docs import render
from console.api.openapi import OPERATIONS, document
from console.api.schemas import AssignIn, FollowUpIn, IncidentIn, PositionIn, TransitionIn, parse_body
from dispatch.errors import InvalidCommand

OK = {"category": "family", "channel": "hotline"}


def refused(model: type, body: object) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as info:
        parse_body(model, body)
    return info.value


def test_a_minimal_case_is_accepted_with_defaults() -> None:
    body = parse_body(IncidentIn, {**OK, "actor": "ignored", "address": "  草市街1号 "})
    assert body.priority == "normal" and body.crs == "wgs84" and body.lon is None
    assert body.address == "草市街1号"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"channel": "hotline"}, "category", "缺少必填字段"),
    ({**OK, "category": "murder"}, "category", "纠纷类别"),
    ({**OK, "priority": "asap"}, "priority", "可选"),
    ({**OK, "lon": "东经104"}, "lon", "须为数字"),
    ({**OK, "lon": 181}, "lon", "不大于 180"),
    ({**OK, "lat": float("nan")}, "lat", "有限数字"),
    ({**OK, "description": "纠" * 4001}, "description", "上限 4000"),
    ({**OK, "parties": [{"name": ""}]}, "parties", "parties.0.name"),
    ({**OK, "parties": "张三"}, "parties", "须为列表"),
    ({**OK, "parties": [{"name": "甲"}] * 21}, "parties", "上限 20"),
    ({**OK, "auto_dispatch": "maybe"}, "auto_dispatch", "true 或 false"),
])
def test_bad_incident_bodies_name_the_field_in_chinese(body: dict, field: str, words: str) -> None:
    err = refused(IncidentIn, body)
    assert err.detail["field"] == field
    assert words in err.message
    assert f"（{field}" in err.message and not err.message.startswith(field)  # named in Chinese


def test_non_objects_are_refused_as_the_body() -> None:
    for raw in ([1, 2], "x", None, 3):
        assert refused(IncidentIn, raw).detail["field"] == "body"


def test_other_bodies() -> None:
    assert parse_body(AssignIn, {"unit_ids": [3, "4"]}).unit_ids == [3, 4]
    assert refused(AssignIn, {"unit_ids": []}).detail["field"] == "unit_ids"
    assert refused(TransitionIn, {"to": "teleported"}).detail["field"] == "to"
    assert refused(FollowUpIn, {"satisfaction": 6}).detail["field"] == "satisfaction"
    assert refused(PositionIn, {"lon": 104.0}).detail["field"] == "lat"


def test_the_document_loads_in_schemathesis_and_covers_every_operation() -> None:
    doc = document()
    schema = schemathesis.openapi.from_dict(doc)
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) == len(OPERATIONS)
    ids = [op["operationId"] for methods in doc["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))


def test_body_models_are_components_with_their_vocabularies() -> None:
    comps = document()["components"]["schemas"]
    assert comps["IncidentIn"]["properties"]["category"]["enum"][0] == "neighbour"
    assert "PartyIn" in comps
    assert set(comps["IncidentIn"]["required"]) == {"category", "channel"}


def test_docs_page_is_offline_and_escaped() -> None:
    page = render(document())
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "/api/v1/incidents/{incident_id}/assign" in page
    assert "纠纷类别" in page and "公开" in page


def test_every_api_route_is_documented_and_every_documented_path_is_routed() -> None:
    """No drift: the server's Tornado routes and the document describe the same API."""
    import re
    from types import SimpleNamespace

    from console.api.openapi import sample_path
    from console.server import http_routes

    app = SimpleNamespace(engine=None, settings=None)
    hub = SimpleNamespace(context=lambda *_: None)
    patterns = [p for p, *_ in http_routes(app, hub=hub)  # type: ignore[arg-type]
                if p.startswith(("/api/v1/", "/open311/"))]
    documented = {sample_path(path) for path in document()["paths"]}
    undocumented = [p for p in patterns
                    if not any(re.fullmatch(p, path) for path in documented)]
    assert undocumented == []
    unrouted = [path for path in documented
                if not any(re.fullmatch(p, path) for p in patterns)]
    assert unrouted == []
