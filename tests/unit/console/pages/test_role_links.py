"""The home map's header leads each role to its own pages."""

from __future__ import annotations

from console.pages.home import role_links
from dispatch.access import Principal


def who(role: str, **kw: object) -> Principal:
    return Principal(kind="account", name=f"u-{role}", role=role, account_id=1, **kw)  # type: ignore[arg-type]


def test_each_role_sees_its_own_page_first() -> None:
    assert role_links(None) == ""
    duty = role_links(who("duty"))
    assert duty.index("/desk") < duty.index("/wall") and "值班台（我的页面）" in duty
    assert "/admin" not in duty and "/logout" in duty
    leader = role_links(who("leader"))
    assert "大屏（我的页面）" in leader and "/desk" not in leader
    admin = role_links(who("admin"))
    assert admin.index("/admin") < admin.index("/desk") and "管理（我的页面）" in admin
    field = role_links(who("field", unit_id=42))
    assert field.startswith('<a class="hd-tab hd-tab-mine" href="/field?unit=42">')
    assert "/desk" not in field


def test_names_are_escaped() -> None:
    assert "<script>" not in role_links(who("duty").__class__(
        kind="account", name="<script>x</script>", role="duty", account_id=2))
