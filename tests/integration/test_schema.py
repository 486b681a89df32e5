"""The migrated schema on real PostGIS: extensions, indexes, constraints, append-only audit."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from geo import db


def test_extensions_and_chinese_trigrams(empty_engine):
    with empty_engine.connect() as conn:
        ext = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
        assert {"postgis", "pg_trgm", "pgrouting"} <= ext
        # under LC_CTYPE=C pg_trgm keeps only the digits (4 trigrams)
        assert len(conn.scalar(text("SELECT show_trgm('克拉玛依区天山路128号')"))) == 13


def test_every_geometry_column_has_srid_4326_and_a_gist_index(empty_engine):
    with empty_engine.connect() as conn:
        cols = conn.execute(text(
            "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
            "WHERE f_table_schema = 'public'")).all()
        gist = {r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'"))}
    assert len(cols) >= 15
    assert {srid for _, _, srid in cols} == {4326}
    assert {t for t, _, _ in cols} - {"door_ranges"} <= gist


def test_invalid_polygon_is_refused(empty_engine):
    bowtie = "SRID=4326;MULTIPOLYGON(((0 0,1 1,1 0,0 1,0 0)))"
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO districts (id, code, name, geom) "
                          "VALUES (1, 'x', '测试', ST_GeomFromEWKT(:g))"), {"g": bowtie})


def test_audit_log_is_append_only(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor, action, entity) VALUES ('t', 'a', 'e')"))
    for stmt in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log",
                 "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as conn:
            conn.execute(text(stmt))
    with empty_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log")) == 1


def test_migrating_again_is_a_no_op(empty_engine):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(Config(str(db.ALEMBIC_INI))).get_current_head()
    db.migrate(empty_engine.url.render_as_string(hide_password=False))
    with empty_engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
