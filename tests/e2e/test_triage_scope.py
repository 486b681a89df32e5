"""Issue 17's gap closed: the desk's triage queue of resident reports is cut to the reader's
jurisdiction (a street's dispatcher reads and decides its own street's reports only, refused
and audited elsewhere; a city duty officer reads all) and masked for roles that read cases
masked."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from console.api.resident import WINDOWS
from tests.e2e.sec_http import call
from tests.resident_client import report

T = "/api/v1/triage/reports"


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(autouse=True)
def fresh_limits():
    WINDOWS.clear()  # the resident API's per-address limits (the server runs in this process)
    yield
    WINDOWS.clear()


def point_in(base: str, street: int) -> tuple[float, float, int]:
    """A point of ``street`` (a unit's position the locator puts there) and its community."""
    _, units, _ = call("GET", f"{base}/api/v1/units")
    for u in units["items"]:
        if u["lon"] is None or u["street_id"] != street:
            continue
        _, loc, _ = call("GET", f"{base}/api/v1/locate?lon={u['lon']}&lat={u['lat']}")
        if loc.get("inside") and (loc.get("street") or {}).get("id") == street:
            return u["lon"], u["lat"], loc["community"]["id"]
    raise AssertionError(f"no point found in street {street}")


def submitted(base: str, **fields: Any) -> int:
    resp = report(base, None, **fields)
    assert resp.status_code == 201, resp.text
    assert resp.json()["duplicate"] is False
    return int(resp.json()["id"])


@pytest.fixture(scope="module")
def two(base: str) -> dict:
    s1 = call("GET", f"{base}/api/v1/auth/me", user="dispatcher1")[1]["street_id"]
    s2 = call("GET", f"{base}/api/v1/auth/me", user="dispatcher2")[1]["street_id"]
    lon1, lat1, c1 = point_in(base, s1)
    lon2, lat2, _ = point_in(base, s2)
    WINDOWS.clear()
    r1 = submitted(base, lon=str(lon1), lat=str(lat1), name="欧阳春晓",
                   phone="13766660001", description="街道一：楼道堆物占用消防通道")
    r2 = submitted(base, lon=str(lon2), lat=str(lat2), name="慕容秋水",
                   phone="13766660002", description="街道二：广场舞音响太吵")
    # no point: the poster's community (street 1) places it
    r3 = submitted(base, place=f"community-{c1}", address="小区门口",
                   description="街道一海报：停车纠纷", phone="13766660003")
    # no point, no place: nowhere in the territory, the city's only
    r4 = submitted(base, address="说不清的地方", description="无处可定的反映",
                   phone="13766660004")
    return {"s1": s1, "s2": s2, "r1": r1, "r2": r2, "r3": r3, "r4": r4}


def queue(base: str, user: str) -> tuple[dict[int, dict], str]:
    status, out, body = call("GET", f"{base}{T}", user=user)
    assert status == 200, body
    return {int(r["id"]): r for r in out["items"]}, body


def test_a_street_dispatcher_reads_only_its_streets_reports(base: str, two: dict) -> None:
    mine, body = queue(base, "dispatcher1")
    assert two["r1"] in mine and two["r3"] in mine
    assert two["r2"] not in mine and two["r4"] not in mine
    assert "慕容秋水" not in body and "13766660002" not in body and "13766660004" not in body
    assert mine[two["r1"]]["street_id"] == two["s1"] and mine[two["r1"]]["masked"] is False
    assert mine[two["r1"]]["name"] == "欧阳春晓"  # its own street's resident, in clear
    theirs, body2 = queue(base, "dispatcher2")
    assert two["r2"] in theirs and not {two["r1"], two["r3"], two["r4"]} & set(theirs)
    assert "欧阳春晓" not in body2 and "13766660001" not in body2


def test_the_city_duty_officer_reads_every_report_in_clear(base: str, two: dict) -> None:
    rows, _ = queue(base, "duty")
    assert {two["r1"], two["r2"], two["r3"], two["r4"]} <= set(rows)
    assert rows[two["r2"]]["phone"] == "13766660002" and rows[two["r2"]]["masked"] is False
    assert rows[two["r4"]]["street_id"] is None


def test_an_administrator_reads_the_residents_masked(base: str, two: dict) -> None:
    rows, body = queue(base, "admin")
    assert {two["r1"], two["r2"]} <= set(rows)
    assert rows[two["r1"]]["masked"] is True
    assert rows[two["r1"]]["name"] == "欧**" and rows[two["r1"]]["phone"] == "137****0001"
    for secret in ("欧阳春晓", "慕容秋水", "13766660001", "13766660002"):
        assert secret not in body


def test_deciding_another_streets_report_is_refused_audited_and_changes_nothing(
        base: str, two: dict) -> None:
    from tests.conftest import SERVED

    r2 = two["r2"]
    status, accept, body = call("POST", f"{base}{T}/{r2}/accept", {}, user="dispatcher1")
    assert status == 403, body
    assert "不在您的辖区" in accept["error"]["message"]
    status, _, body = call("POST", f"{base}{T}/{r2}/reject", {"reason": "重复"},
                           user="dispatcher1")
    assert status == 403, body
    engine = create_engine(SERVED[base])
    try:
        with engine.connect() as conn:
            refused = conn.execute(text(
                "SELECT count(*) FROM audit_log WHERE actor = 'dispatcher1' AND "
                "action = 'permission_denied' AND entity = 'resident_report' "
                "AND entity_id = :i"), {"i": r2}).scalar()
            state = conn.execute(text("SELECT status FROM resident_reports WHERE id = :i"),
                                  {"i": r2}).scalar()
    finally:
        engine.dispose()
    assert refused == 2 and state == "pending"
    # the report's own street decides it
    status, _, body = call("POST", f"{base}{T}/{r2}/reject", {"reason": "不属于调解范围"},
                           user="dispatcher2")
    assert status == 200, body


def test_the_triage_stream_pushes_the_readers_own_reports(base: str, two: dict) -> None:
    """/triage's live list: the first line is the reader's pending reports, and a new report of
    its street arrives as the next line (pushed by the desk hub, no polling)."""
    import json
    import urllib.request

    from tests.conftest import as_user

    req = urllib.request.Request(f"{base}/api/v1/triage/stream", headers=as_user("dispatcher1"))
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")

        def items() -> dict[int, dict]:
            while True:
                line = resp.readline().decode()
                if line.startswith("data: "):
                    return {int(r["id"]): r for r in json.loads(line[6:])["items"]}
        first = items()
        assert two["r1"] in first and two["r2"] not in first and two["r4"] not in first
        # the stream holds its street's part hub, not the whole territory's
        hubs = call("GET", f"{base}/api/v1/desk/hub", user="duty")[1]
        assert hubs["subscribers"] == 0 and hubs["part_hubs"] >= 1, hubs
        lon, lat, _ = point_in(base, two["s1"])
        WINDOWS.clear()
        new = submitted(base, lon=str(lon), lat=str(lat), phone="13766660009",
                        description="街道一：新的反映，推送到审核页")
        while new not in (got := items()):
            pass
        assert got[new]["street_id"] == two["s1"] and two["r2"] not in got
