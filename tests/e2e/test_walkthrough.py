"""The README's walkthrough, end to end: an empty database, a centre's own files, a case by address.

The territory is not the generator's: four street offices drawn by hand over the real Chengdu
roads of ../shared/data (ODbL), an address library made from those roads' names, facilities and a
roster by names. Everything goes through ``./run import`` (the CLI in process), accounts through
``./run create-admin`` and the account store, then the running console's API registers a case by
its address text and dispatches it.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from console.ops import cli
from tests import chengdu_files as cd
from tests.conftest import _copy_db, serve_console

pytestmark = pytest.mark.skipif(not cd.ROADS.exists(), reason="../shared/data is missing")


def _call(method: str, url: str, body: object = None, *, token: str | None = None,
          files: dict[str, tuple[str, bytes]] | None = None, form: dict[str, str] | None = None
          ) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if files is not None:
        boundary = "fqwalkthrough"
        parts = []
        for name, value in (form or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         f"{value}\r\n".encode())
        for name, (filename, blob) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                         .encode() + blob + b"\r\n")
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _run(*argv: str) -> int:
    return cli.main(list(argv))


def test_empty_database_to_a_dispatched_case(settings, base_db, tmp_path: Path, monkeypatch,
                                             capsys):
    import uuid

    from geo import db

    name = f"{base_db}_walk{uuid.uuid4().hex[:6]}"
    url = _copy_db(settings, base_db, name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FQ_DB_NAME", name)  # ./run names its database by this, not by the URL
    try:
        areas = cd.make_areas(tmp_path)
        rows = cd.address_rows(tmp_path, compounds=40)
        addresses = cd.write_addresses(rows, tmp_path / "标准地址库.csv")
        facilities = cd.write_facilities(tmp_path, tmp_path / "服务场所.csv")
        roster = cd.write_roster(tmp_path, tmp_path / "力量名册.csv", shift="24小时值守")

        # 1. areas, 2. roads — then the geocoder already answers by road names
        assert _run("import", "areas", "--district-code", "510107", "--district-name", "武侯区",
                    *[a for level, p in areas.items()
                      for a in (f"--{level.replace('_', '-')}", str(p))]) == 0
        assert _run("import", "roads", str(cd.ROADS)) == 0
        from dispatch.adapters.accounts import create_account

        engine = db.make_engine(url)
        with engine.begin() as conn:  # an account to ask the geocoder with, before step 6
            create_account(conn, username="probe", password="Probe-pass-2026", role="duty",
                           display_name="试用", actor="test")
        with serve_console(settings, url) as base:
            # the console runs before the library exists: a door answers at road level only
            _, anon = _call("POST", f"{base}/api/v1/auth/token",
                            {"username": "probe", "password": "Probe-pass-2026"})
            door = next(r for r in rows if r.get("road") == "玉林北路" and "door" in r)
            said = f"武侯区玉林北路{door['door']}号"
            _, first = _call("GET", f"{base}/api/v1/geocode?q={quote(said)}",
                             token=anon["access_token"])
            assert first["approximate"] and first["candidates"][0]["level"] == "road", first
            # 3. the address library: first checked (nothing written), then imported
            assert _run("import", "addresses", str(addresses), "--dry-run") == 0
            assert "nothing written" in capsys.readouterr().out
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM buildings")) == 0
            assert _run("import", "addresses", str(addresses)) == 0
            # the same running console now answers from the library, without a restart
            _, second = _call("GET", f"{base}/api/v1/geocode?q={quote(said)}",
                              token=anon["access_token"])
            top = second["candidates"][0]
            assert top["level"] == "door" and not second["approximate"], second
            # 4. facilities, 5. units (grids and communities by name)
            assert _run("import", "facilities", str(facilities)) == 0
            assert _run("import", "units", str(roster)) == 0
            # 6. accounts: the first administrator from the CLI, a duty officer by the store
            monkeypatch.setattr("sys.stdin", io.StringIO("Admin-pass-2026\n"))
            assert _run("create-admin", "chief") == 0
            with engine.begin() as conn:
                create_account(conn, username="duty7", password="Duty-pass-2026", role="duty",
                               display_name="值班长", actor="chief")
                audited = conn.execute(text(
                    "SELECT detail->>'kind', detail->>'result' FROM audit_log "
                    "WHERE action LIKE 'import%' ORDER BY id")).all()
                counts = dict(conn.execute(text(
                    "SELECT 'units', count(*) FROM units UNION ALL "
                    "SELECT 'facilities', count(*) FROM facilities UNION ALL "
                    "SELECT 'buildings', count(*) FROM buildings")).all())
            assert audited == [("areas", "imported"), ("roads", "imported"),
                               ("addresses", "valid"), ("addresses", "imported"),
                               ("facilities", "imported"), ("units", "imported")]
            assert counts["units"] == 72 and counts["facilities"] == 33 and counts["buildings"] > 100

            _, tok = _call("POST", f"{base}/api/v1/auth/token",
                           {"username": "duty7", "password": "Duty-pass-2026"})
            token = tok["access_token"]
            status, units = _call("GET", f"{base}/api/v1/units", token=token)
            assert status == 200 and len(units["items"]) == 72
            for u in units["items"]:  # each unit reports where it is (near the case's road)
                status, _ = _call("POST", f"{base}/api/v1/units/{u['id']}/position", {
                    "lon": float(door["lon"]) + 0.0005 * (u["id"] % 7),  # type: ignore[arg-type]
                    "lat": float(door["lat"]), "crs": "wgs84"}, token=token)  # type: ignore[arg-type]
                assert status == 200
            # the case, by the address a caller gives (no coordinates)
            said = f"武侯区玉林北路{door['door']}号门口"
            status, reg = _call("POST", f"{base}/api/v1/incidents", {
                "category": "neighbour", "channel": "hotline", "priority": "normal",
                "title": "门口堆物纠纷", "address": said, "auto_dispatch": False,
                "parties": [{"name": "张三", "phone": "13900001111"}]}, token=token)
            assert status == 201, reg
            assert reg["state"] == "located"
            with engine.connect() as conn:
                want = conn.execute(text(
                    "SELECT g.id, c.name FROM grids g JOIN communities c ON c.id = g.community_id "
                    "WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                    {"x": door["lon"], "y": door["lat"]}).one()
            assert reg["location"]["grid"]["id"] == want[0]
            assert reg["location"]["community"]["name"] == want[1]
            status, rec = _call("GET", f"{base}/api/v1/incidents/{reg['id']}/recommendations",
                                token=token)
            assert status == 200 and rec["items"], rec
            first = rec["items"][0]
            status, asg = _call("POST", f"{base}/api/v1/incidents/{reg['id']}/assign",
                                {"unit_ids": [first["id"]]}, token=token)
            assert status == 200, asg
            status, detail = _call("GET", f"{base}/api/v1/incidents/{reg['id']}", token=token)
            assert detail["state"] == "assigned"

            # the admin's 仅校验 over HTTP writes nothing, and is audited under its name
            _, adm = _call("POST", f"{base}/api/v1/auth/token",
                           {"username": "chief", "password": "Admin-pass-2026"})
            status, out = _call("POST", f"{base}/api/v1/admin/import/facilities",
                                token=adm["access_token"], form={"dry_run": "1"},
                                files={"file": ("服务场所.csv", facilities.read_bytes())})
            assert status == 200 and out["dry_run"] and out["counts"]["facilities"] == 33, out
            with engine.connect() as conn:
                who = conn.execute(text("SELECT actor, action, detail->'files'->0->>'name' "
                                        "FROM audit_log WHERE action LIKE 'import%' "
                                        "ORDER BY id DESC LIMIT 1")).one()
            assert who == ("chief", "import_validate", "服务场所.csv")
        engine.dispose()
    finally:
        db.drop_database(settings, name)
