"""Back up, destroy, restore onto an empty cluster: the same rows, the same audit trail, the same files."""

from __future__ import annotations

import hashlib
import os
import tarfile

import pytest
from sqlalchemy import text

from console.ops.backup import BackupError, backup, restore
from dispatch.bootstrap import bootstrap
from dispatch.commands import AssignUnits, ChangeState, Party, RegisterIncident
from dispatch.eta import StraightLineEta
from geo import db
from geo.db_admin import table_counts
from tests.conftest import demo_copy
from tests.private_cluster import private_cluster


def _trail(engine, incident_id):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, at, actor, action, entity, entity_id, from_state, to_state, reason, "
            "detail::text FROM audit_log WHERE entity = 'incident' AND entity_id = :i ORDER BY id"),
            {"i": incident_id})]


def test_backup_destroy_restore_keeps_rows_audit_and_files(settings, base_db, demo_territory,
                                                          tmp_path_factory):
    work = tmp_path_factory.mktemp("backup")
    files, tls = work / "attachments", work / "tls"
    photo = os.urandom(300_000)
    (files / "2026" / "12").mkdir(parents=True)
    (files / "2026" / "12" / "现场照片.jpg").write_bytes(photo)
    tls.mkdir()
    (tls / "ca.crt").write_text("not a real certificate, but a file that must come back\n")
    archive = work / "out" / "fq.tar"

    with demo_copy(settings, base_db, demo_territory, tag="bk") as (url, engine):
        app = bootstrap(engine, eta=StraightLineEta(), policy_check_s=0)
        with engine.connect() as conn:
            lon, lat = conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT "
                                         "ST_PointOnSurface(geom) p FROM grids ORDER BY id "
                                         "LIMIT 1) g")).one()
        reg = app.handle(RegisterIncident(category="neighbour", channel="walk_in", actor="值班员",
                                          lon=lon, lat=lat, address="备份路1号",
                                          auto_dispatch=False, parties=(Party("甲", "13700000001"),)))
        unit = app.recommend(reg.incident_id).candidates[0].unit.id
        app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(unit,), actor="值班员"))
        app.handle(ChangeState(incident_id=reg.incident_id, to="acknowledged", actor="网格员"))
        trail = _trail(engine, reg.incident_id)
        assert len(trail) >= 3
        with engine.connect() as conn:
            counts = table_counts(conn)
        manifest = backup(url, archive, files=files, config=tls, say=lambda m: None)
        assert manifest["tables"] == counts and counts["incidents"] > 1000
    # destroyed: the database is dropped (demo_copy's exit) and the files deleted
    for p in (files / "2026" / "12" / "现场照片.jpg", tls / "ca.crt"):
        p.unlink()
    assert oct(archive.stat().st_mode & 0o777) == oct(0o600)
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "database.dump", "files/2026/12/现场照片.jpg",
                "config/ca.crt"} <= set(tar.getnames())

    with private_cluster(work / "empty-cluster") as (cluster, _):
        url2 = cluster.url("fq_restored")
        files2, tls2 = work / "restored" / "attachments", work / "restored" / "tls"
        restore(archive, url2, files=files2, config=tls2, say=lambda m: None)
        engine2 = db.make_engine(url2)
        try:
            with engine2.connect() as conn:
                assert table_counts(conn) == counts
            assert _trail(engine2, reg.incident_id) == trail
            got = (files2 / "2026" / "12" / "现场照片.jpg").read_bytes()
            assert hashlib.sha256(got).hexdigest() == hashlib.sha256(photo).hexdigest()
            assert (tls2 / "ca.crt").read_text().startswith("not a real certificate")
            # the restored database is the console's: migrations have nothing left to do,
            # the audit log still refuses edits, the domain works on it
            db.migrate(url2)
            with engine2.connect() as conn, pytest.raises(Exception, match="append-only"):
                conn.execute(text("DELETE FROM audit_log WHERE entity_id = :i"),
                             {"i": reg.incident_id})
            app2 = bootstrap(engine2, eta=StraightLineEta(), policy_check_s=0)
            app2.handle(ChangeState(incident_id=reg.incident_id, to="on_scene", actor="网格员"))
            assert len(_trail(engine2, reg.incident_id)) == len(trail) + 1
            # a second restore onto a database that now holds data is refused, nothing changed
            with pytest.raises(BackupError, match="--replace"):
                restore(archive, url2, files=work / "other", say=lambda m: None)
            assert len(_trail(engine2, reg.incident_id)) == len(trail) + 1
        finally:
            engine2.dispose()
