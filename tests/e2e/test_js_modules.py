"""The console's ES modules as the browser fetches them through the import map: served by the
console itself at /assets (behind the login, as pages are), as text/javascript, every module a
page imports present."""

from __future__ import annotations

import re

import pytest

from console.map import IMPORTMAP, STATIC_DIR
from tests.e2e.sec_http import fetch

pytestmark = pytest.mark.e2e


def test_shared_modules_are_served_as_javascript_from_this_server(live_server: str) -> None:
    prefix = IMPORTMAP["imports"]["fq/"]
    names = sorted({m for p in STATIC_DIR.glob("*.js")
                    for m in re.findall(r'from "fq/([^"]+)"', p.read_text(encoding="utf-8"))})
    assert "lib/escape.js" in names and "lib/http.js" in names and "desk_common.js" in names
    for name in names:
        status, headers, body = fetch(f"{live_server}{prefix}{name}", "duty")
        assert status == 200, name
        assert headers["Content-Type"].split(";")[0] == "text/javascript", (name, headers)
        assert body.decode("utf-8") == (STATIC_DIR / name).read_text(encoding="utf-8")
    status, _, _ = fetch(f"{live_server}{prefix}lib/time.js", "anonymous", follow=False)
    assert status in (302, 401, 403)  # not for strangers
