"""A reader's masked desk rows kept between snapshots (console.api.auth_scope.MaskMemo): an
administrator's desk masks only the rows a patch changed, keeps the others as the same objects,
and shows exactly what masking the whole snapshot again shows; a fact that changed under an
unchanged row (a party's name) is masked anew. No database."""

from __future__ import annotations

from typing import Any

import pytest

from console.api import auth_scope
from console.api.auth_scope import MaskMemo, filter_snapshot
from console.live.desk_patch import Changes, patch_snapshot
from dispatch.access import Principal
from tests.unit.console.live.test_desk_patch import CASES, POLICY, UNITS, case, full

ADMIN = Principal(name="admin", role="admin")
DUTY = Principal(name="duty", role="duty")


def named(snap: dict[str, Any]) -> dict[str, Any]:
    """Each case's facts with a party's name, as the hub's area index holds them."""
    facts = {i: {**f, "names": ["张三"]} for i, f in snap["areas"]["incidents"].items()}
    return {**snap, "areas": {**snap["areas"], "incidents": facts}}


def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = auth_scope.mask_fields

    def mask_fields(record: dict[str, Any], *args: Any) -> dict[str, Any]:
        calls.append(int(record["id"]))
        return original(record, *args)

    monkeypatch.setattr(auth_scope, "mask_fields", mask_fields)
    return calls


def test_an_administrator_masks_only_what_a_patch_changed(monkeypatch: pytest.MonkeyPatch):
    base = named(full(CASES, UNITS, 1))
    memo = MaskMemo()
    first = filter_snapshot(ADMIN, base, memo=memo)
    assert first == filter_snapshot(ADMIN, base)  # the same as masking it all
    assert all(r["masked"] for r in first["queue"])
    patch = Changes({2, 9}, set(), incidents=[case(2, priority=1), case(9)],
                    areas={"incidents": {2: {"id": 2, "names": ["张三"]},
                                         9: {"id": 9, "names": ["李四"]}}})
    new = patch_snapshot(base, patch, policy=POLICY, version=2)
    calls = counted(monkeypatch)
    second = filter_snapshot(ADMIN, new, memo=memo)
    assert sorted(set(calls)) == [2, 9]  # the row and the marker of each changed case only
    assert second == filter_snapshot(ADMIN, new)
    before = {r["id"]: r for r in first["queue"]}
    for row in second["queue"]:
        assert (row is before.get(row["id"])) == (row["id"] not in (2, 9))
    assert second["case_features"]["5"] is first["case_features"]["5"]


def test_a_changed_fact_under_an_unchanged_row_is_masked_again():
    base = named(full(CASES, UNITS, 1))
    for row in base["queue"]:
        row["title"] = f"张三与王五纠纷{row['id']}"
    memo = MaskMemo()
    first = filter_snapshot(ADMIN, base, memo=memo)
    assert all("王五" in r["title"] for r in first["queue"])  # not a party (yet)
    facts = dict(base["areas"]["incidents"])
    facts[3] = {**facts[3], "names": ["张三", "王五"]}  # a party added to case 3
    renamed = {**base, "version": 2, "areas": {**base["areas"], "incidents": facts}}
    second = filter_snapshot(ADMIN, renamed, memo=memo)
    assert second == filter_snapshot(ADMIN, renamed)
    shown = {r["id"]: r for r in second["queue"]}
    assert "王五" not in shown[3]["title"] and "王五" in shown[4]["title"]


def test_a_reader_who_never_masks_keeps_the_hubs_snapshot():
    base = named(full(CASES, UNITS, 1))
    memo = MaskMemo()
    assert filter_snapshot(DUTY, base, memo=memo) is base
    assert filter_snapshot(DUTY, base, memo=memo) is base
