"""Issue 14 item 2: masking decided at one place on the way out, for every text derived from
parties — the admin's desk case view and snapshot, duplicate-link reasons, 督办 reasons, audit
details, exports — tested by scanning whole responses for planted names, phones and doors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine

from tests.e2e.sec_http import call
from tests.e2e.sec_plant import A_SECRETS, leaks, plant


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def planted(base: str) -> dict:
    return plant(base)


def test_the_duty_officer_reads_the_planted_parties(base: str, planted: dict) -> None:
    """The control: the secrets are there for those who handle the case."""
    status, case, text = call("GET", f"{base}/api/v1/incidents/{planted['a']}", user="duty")
    assert status == 200 and case["masked"] is False
    assert set(leaks(text, A_SECRETS)) >= {"司马青衫", "13755550001", "909室"}
    link = next(k for k in call("GET", f"{base}/api/v1/incidents/{planted['b']}")[1]["links"])
    assert "当事人相同：司马青衫、诸葛云裳" in link["reasons"]


@pytest.mark.parametrize("user", ["admin", "leader"])
def test_case_detail_masks_links_supervisions_and_audit(base: str, planted: dict,
                                                        user: str) -> None:
    for case_id in (planted["a"], planted["b"]):
        status, case, text = call("GET", f"{base}/api/v1/incidents/{case_id}", user=user)
        assert status == 200 and case["masked"] is True
        assert leaks(text, A_SECRETS) == [], (user, case_id)
    _, a, _ = call("GET", f"{base}/api/v1/incidents/{planted['a']}", user=user)
    assert a["supervisions"][0]["reason"].startswith("请司**回电137****0001")
    _, b, _ = call("GET", f"{base}/api/v1/incidents/{planted['b']}", user=user)
    assert any("当事人相同：司**、诸**" in r for k in b["links"] for r in k["reasons"])


def test_admins_desk_snapshot_masks_titles_and_addresses(base: str, planted: dict) -> None:
    status, snap, text = call("GET", f"{base}/api/v1/desk/snapshot", user="admin")
    assert status == 200
    row = next(r for r in snap["queue"] if r["id"] == planted["a"])
    assert row["title"] == "司**与诸**噪音纠纷" and row["address"] == "示例路*号*栋*室"
    assert leaks(text, A_SECRETS) == []
    # the street's own dispatcher handles the case: it reads it whole
    _, own, _ = call("GET", f"{base}/api/v1/desk/snapshot", user="dispatcher1")
    assert next(r for r in own["queue"] if r["id"] == planted["a"])["title"].startswith("司马青衫")


def test_admins_desk_case_view_is_masked(base: str, planted: dict) -> None:
    """The desk's case panel (``console.pages.desk``) reads ``case_view`` through the same
    ``case_for`` as the API: the admin's was unmasked."""
    from console.api.auth_scope import case_for, check_incident
    from console.api.desk import case_view
    from dispatch.access import Principal
    from tests.conftest import SERVED

    engine = create_engine(SERVED[base])
    try:
        with engine.connect() as conn:
            for role in ("admin", "leader"):
                who = Principal(name=role, role=role)
                units = check_incident(conn, who, planted["a"])[1]
                view = case_for(conn, who, case_view(conn, planted["a"]), units)
                assert view["masked"] is True
                assert leaks(json.dumps(view, ensure_ascii=False, default=str), A_SECRETS) == []
            duty = Principal(name="duty", role="duty")
            view = case_for(conn, duty, case_view(conn, planted["a"]), [])
            assert view["caller_name"] == "司马青衫" and view["masked"] is False
    finally:
        engine.dispose()


def test_audit_search_csv_and_exports_carry_no_party_text(base: str, planted: dict) -> None:
    for path in (f"/api/v1/admin/audit?code={planted['a_code']}",
                 f"/api/v1/admin/audit.csv?code={planted['a_code']}",
                 "/api/v1/admin/audit?q=13755550001",
                 f"/api/v1/export/case/{planted['a']}.html",
                 f"/api/v1/export/street/{planted['s1']}.html"):
        status, _, text = call("GET", f"{base}{path}", user="admin")
        assert status == 200, (path, text[:200])
        assert leaks(text, A_SECRETS) == [], path


def test_unmasking_stays_an_explicit_audited_action(base: str, planted: dict) -> None:
    status, out, _ = call("POST", f"{base}/api/v1/incidents/{planted['a']}/unmask",
                          {"reason": "核实当事人身份"}, user="leader")
    assert status == 200 and out["parties"][0]["name"] == "司马青衫"
    status, audit, _ = call("GET", f"{base}/api/v1/admin/audit?code={planted['a_code']}"
                            "&action=unmask", user="admin")
    assert status == 200 and any(r["actor"] == "leader" for r in audit["items"])
