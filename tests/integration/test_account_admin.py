"""Administering accounts and keys on real PostgreSQL: each step, its audit row, its refusals,
and a district account's jurisdiction resolved to exactly its district's streets."""

import pytest
from sqlalchemy import text

from dispatch.access import scope_of, sees_incident
from dispatch.adapters import account_admin as admin
from dispatch.adapters import accounts as repo
from dispatch.errors import InvalidCommand, NotFound
from dispatch.views_cases import scope_sql

BOX = "ST_Multi(ST_MakeEnvelope(:x, 0, :x + 1, 1, 4326))"


@pytest.fixture()
def engine(empty_engine):
    """Two districts: 甲区 (streets 1, 3) and 乙区 (street 2), a community and grid in each
    street, a unit in street 1's grid."""
    with empty_engine.begin() as conn:
        for d, name in ((1, "甲区"), (2, "乙区")):
            conn.execute(text(f"INSERT INTO districts (id, code, name, geom) VALUES "
                              f"(:d, :c, :n, {BOX})"), {"d": d, "c": f"D{d}", "n": name, "x": d})
        for s, d in ((1, 1), (2, 2), (3, 1)):
            conn.execute(text(f"INSERT INTO streets (id, code, name, district_id, geom) VALUES "
                              f"(:s, :c, :n, :d, {BOX})"),
                         {"s": s, "c": f"S{s}", "n": f"街道{s}", "d": d, "x": s})
            conn.execute(text(f"INSERT INTO communities (id, code, name, street_id, geom) "
                              f"VALUES (:c, :code, :n, :s, {BOX})"),
                         {"c": s * 10 + 1, "code": f"C{s}", "n": f"社区{s}", "s": s, "x": s})
            conn.execute(text(f"INSERT INTO grids (id, code, name, community_id, geom) VALUES "
                              f"(:g, :code, :n, :c, {BOX})"),
                         {"g": s * 100 + 11, "code": f"G{s}", "n": f"网格{s}",
                          "c": s * 10 + 1, "x": s})
        conn.execute(text("INSERT INTO units (id, code, name, unit_type, street_id, community_id, "
                          "home_grid_id) VALUES (7, 'U7', '网格员七', 'grid_worker', 1, 11, 111)"))
        repo.create_account(conn, username="boss", password="boss-secret-1", role="admin")
    return empty_engine


def _audit(conn, since=0):
    return [tuple(r) for r in conn.execute(text(
        "SELECT action, entity, entity_id FROM audit_log WHERE id > :s ORDER BY id"),
        {"s": since})]


def test_create_edit_reset_deactivate_each_audited(engine):
    with engine.begin() as conn:
        mark = conn.scalar(text("SELECT max(id) FROM audit_log"))
        made = admin.create(conn, {"username": "qu.duty", "role": "duty", "district_id": 1,
                                   "display_name": "甲区值班长"}, actor="boss")
        temp = made.pop("temporary_password")
        assert made["district_id"] == 1 and made["must_change_password"] and "password_hash" \
            not in made
        p = repo.authenticate(conn, "qu.duty", temp)
        assert p.must_change_password and p.district_streets == {1, 3}
        assert scope_of(p).streets == {1, 3}

        aid = made["id"]
        admin.edit(conn, aid, {"role": "dispatcher", "street_id": 3}, actor="boss")
        row = repo.get_account(conn, account_id=aid)
        assert (row["role"], row["district_id"], row["street_id"]) == ("dispatcher", None, 3)
        token, _ = repo.open_session(conn, aid)
        reset = admin.reset_password(conn, aid, {}, actor="boss")
        assert repo.principal_for_token(conn, token) is None  # a reset ends every session
        assert repo.authenticate(conn, "qu.duty", temp) is None
        p = repo.authenticate(conn, "qu.duty", reset["temporary_password"])
        assert p.must_change_password

        keep, _ = repo.open_session(conn, aid)
        other, _ = repo.open_session(conn, aid)
        admin.change_own(conn, aid, reset["temporary_password"], "tea-garden-2026", keep_token=keep)
        me = repo.principal_for_token(conn, keep)
        assert me is not None and not me.must_change_password  # this session stays
        assert repo.principal_for_token(conn, other) is None  # the others end

        admin.set_active(conn, aid, False, actor="boss")
        assert repo.authenticate(conn, "qu.duty", "tea-garden-2026") is None
        assert _audit(conn, mark) == [
            ("account_created", "account", aid), ("account_updated", "account", aid),
            ("password_reset", "account", aid), ("password_changed", "account", aid),
            ("account_deactivated", "account", aid)]
        detail = conn.scalar(text("SELECT detail FROM audit_log WHERE action = 'account_updated'"))
        assert detail["changes"]["role"] == {"from": "duty", "to": "dispatcher"}
        assert detail["changes"]["district_id"] == {"from": 1, "to": None}
        # no password, temporary or not, reaches the audit log
        logged = conn.scalar(text("SELECT string_agg(detail::text, ' ') FROM audit_log"))
        assert reset["temporary_password"] not in logged and "tea-garden" not in logged


@pytest.mark.parametrize("body, field, words", [
    ({"username": "x", "role": "duty"}, "username", "用户名"),
    ({"username": "zhang", "role": "duty", "password": "zhang-2026-abc"}, "password", "用户名"),
    ({"username": "zhang", "role": "duty", "password": "1234567890"}, "password", "常用"),
    ({"username": "zhang", "role": "duty", "password": "short"}, "password", "10 位"),
    ({"username": "zhang", "role": "boss"}, "role", "未知角色"),
    ({"username": "zhang", "role": "dispatcher"}, "street_id", "辖区"),
    ({"username": "zhang", "role": "field"}, "unit_id", "绑定单位"),
    ({"username": "zhang", "role": "field", "unit_id": 99}, "unit_id", "不存在"),
    ({"username": "zhang", "role": "dispatcher", "district_id": 5}, "district_id", "不存在"),
    ({"username": "zhang", "role": "dispatcher", "district_id": 2, "street_id": 3},
     "street_id", "不属于"),
    ({"username": "zhang", "role": "dispatcher", "street_id": 1, "community_id": 21},
     "community_id", "不属于"),
    ({"username": "zhang", "role": "duty", "grid_id": 111}, "grid_id", "网格"),
    ({"username": "zhang", "role": "admin", "street_id": 1}, "role", "全市"),
])
def test_a_refused_creation_names_the_field_and_writes_nothing(engine, body, field, words):
    with engine.begin() as conn:
        before = conn.scalar(text("SELECT count(*) FROM accounts"))
        with pytest.raises(InvalidCommand) as err:
            admin.create(conn, body, actor="boss")
        assert err.value.detail["field"] == field and words in err.value.message
        assert conn.scalar(text("SELECT count(*) FROM accounts")) == before


def test_a_field_account_takes_its_units_place_and_a_community_its_street(engine):
    with engine.begin() as conn:
        f = admin.create(conn, {"username": "field7", "role": "field", "unit_id": 7,
                                "password": "river-stone-77"}, actor="boss")
        assert (f["street_id"], f["community_id"], f["grid_id"], f["unit_id"]) == (1, 11, 111, 7)
        assert "temporary_password" not in f
        p = repo.authenticate(conn, "field7", "river-stone-77")
        assert p.home_page() == "/field?unit=7"
        c = admin.create(conn, {"username": "comm31", "role": "dispatcher", "community_id": 31},
                         actor="boss")
        assert c["street_id"] == 3


def test_a_district_account_sees_exactly_its_districts_streets_in_sql_too(engine):
    with engine.begin() as conn:
        admin.create(conn, {"username": "jia", "role": "dispatcher", "district_id": 1,
                            "password": "east-district-1"}, actor="boss")
        for i, s in enumerate((1, 2, 3), start=1):
            conn.execute(text("INSERT INTO incidents (id, code, channel, category, title, "
                              "street_id) VALUES (:i, :c, 'hotline', 'neighbour', '测试', :s)"),
                         {"i": i, "c": f"T-{i}", "s": s})
        p = repo.authenticate(conn, "jia", "east-district-1")
        where, params = scope_sql(scope_of(p))
        seen = set(conn.execute(text(f"SELECT i.id FROM incidents i WHERE true {where}"),
                                params).scalars())
        assert seen == {1, 3}
        rows = conn.execute(text("SELECT id, street_id, community_id, grid_id FROM incidents"))
        assert {r.id for r in rows if sees_incident(p, r._mapping)} == {1, 3}
        # a street added to the district later is in it at the next look-up
        conn.execute(text(f"INSERT INTO streets (id, code, name, district_id, geom) VALUES "
                          f"(4, 'S4', '街道4', 1, {BOX})"), {"x": 4})
        assert repo.authenticate(conn, "jia", "east-district-1").district_streets == {1, 3, 4}


def test_keys_are_issued_once_hashed_scoped_and_revoked(engine):
    with engine.begin() as conn:
        mark = conn.scalar(text("SELECT max(id) FROM audit_log"))
        k = admin.issue_key(conn, {"name": "甲区热线", "scopes": ["open311"], "district_id": 1},
                            actor="boss")
        key = k.pop("key")
        assert k["key_prefix"] == key[:8] and k["created_by"] == "boss"
        stored = conn.scalar(text("SELECT key_hash FROM api_keys WHERE id = :i"), {"i": k["id"]})
        assert stored == repo.token_hash(key) and key not in str(admin.list_keys(conn))
        p = repo.principal_for_api_key(conn, key)
        assert p.scopes == {"open311"} and scope_of(p).streets == {1, 3}
        with pytest.raises(InvalidCommand) as err:
            admin.issue_key(conn, {"name": "甲区热线", "scopes": ["read"]}, actor="boss")
        assert err.value.detail["field"] == "name"
        with pytest.raises(InvalidCommand) as err:
            admin.issue_key(conn, {"name": "x", "scopes": ["root"]}, actor="boss")
        assert err.value.detail["field"] == "scopes"
        admin.revoke_key(conn, k["id"], actor="boss")
        assert repo.principal_for_api_key(conn, key) is None
        with pytest.raises(InvalidCommand):
            admin.revoke_key(conn, k["id"], actor="boss")
        with pytest.raises(NotFound):
            admin.revoke_key(conn, 999, actor="boss")
        assert _audit(conn, mark) == [("api_key_created", "api_key", k["id"]),
                                      ("api_key_revoked", "api_key", k["id"])]


def test_change_own_refuses_a_wrong_current_or_a_weak_or_same_password(engine):
    with engine.begin() as conn:
        aid = admin.create(conn, {"username": "wang", "role": "leader",
                                  "password": "first-pass-123"}, actor="boss")["id"]
        for current, new, field in (("wrong", "brand-new-pass", "current_password"),
                                    ("first-pass-123", "wang-2026-new", "new_password"),
                                    ("first-pass-123", "first-pass-123", "new_password")):
            with pytest.raises(InvalidCommand) as err:
                admin.change_own(conn, aid, current, new)
            assert err.value.detail["field"] == field
        assert repo.authenticate(conn, "wang", "first-pass-123").must_change_password


def test_an_admin_cannot_lock_itself_out(engine):
    with engine.begin() as conn:
        boss = conn.scalar(text("SELECT id FROM accounts WHERE username = 'boss'"))
        with pytest.raises(InvalidCommand):
            admin.set_active(conn, boss, False, actor="boss")
        with pytest.raises(InvalidCommand):
            admin.edit(conn, boss, {"role": "leader"}, actor="boss")
