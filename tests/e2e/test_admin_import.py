"""The admin page's 仅校验 (validate only): a service-point list is checked and reported, nothing
is written; the same file then imported adds the points; both are in the audit log."""

import pytest

from tests.e2e.test_admin import admin  # noqa: F401  (the signed-in admin page)
from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e


def test_validate_only_then_import_service_points(writable_server, admin, tmp_path, artifacts):  # noqa: F811
    base, page = writable_server, admin
    _, addresses = call("GET", f"{base}/api/v1/addresses?limit=1&offset=10")
    a = addresses["items"][0]
    path = tmp_path / "服务场所.csv"
    path.write_text("类型,名称,经度,纬度,开放时间,联系电话\n"
                    f"法官工作室,测试法官工作室,{a['lon']},{a['lat']},周三下午,0990-1234567\n"
                    f"巡回审判点,测试巡回审判点,{a['lon'] + 0.0004},{a['lat']},每月一次,\n",
                    encoding="utf-8")
    _, before = call("GET", f"{base}/api/v1/health")
    form = page.locator('form[data-form="facilities"]')
    form.locator('input[name="file"]').set_input_files(str(path))
    form.get_by_role("button", name="仅校验").click()
    ok = form.locator(".ad-ok")
    ok.wait_for(timeout=30_000)
    assert "校验通过（仅校验，未写入）" in ok.inner_text()
    _, mid = call("GET", f"{base}/api/v1/health")
    assert mid["territory"]["facilities"] == before["territory"]["facilities"]
    form.get_by_role("button", name="校验并导入").click()
    page.locator('form[data-form="facilities"] .ad-ok', has_text="导入成功").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "admin-facilities-import.png"), full_page=True)
    _, after = call("GET", f"{base}/api/v1/health")
    assert after["territory"]["facilities"] == before["territory"]["facilities"] + 2
    _, log = call("GET", f"{base}/api/v1/admin/audit?entity=territory", user="admin")
    actions = [(r["action"], r["actor"]) for r in log["items"][:2]]
    assert actions == [("import", "admin"), ("import_validate", "admin")], log["items"][:2]
