"""The door checks without a server: body size from headers, JSON depth and number length,
the origin of cookie-carried writes, and where a login may send the browser next."""

from __future__ import annotations

import pytest

from console.api.request_guard import (
    MAX_DEPTH,
    BodyRefused,
    cross_site_refusal,
    loads,
    size_refusal,
    too_deep,
)
from console.auth import safe_next
from dispatch.errors import InvalidCommand

ORIGINS = ("localhost:5006", "127.0.0.1:5006", "console.example.org")


def test_content_length_over_the_limit_is_413_from_the_headers_alone() -> None:
    assert size_refusal({"Content-Length": "1025"}, 1024).status == 413  # type: ignore[union-attr]
    assert "1 KB" in size_refusal({"Content-Length": "99999"}, 1024).message  # type: ignore[union-attr]
    assert size_refusal({"Content-Length": "1024"}, 1024) is None
    assert size_refusal({}, 1024) is None
    assert size_refusal({"Content-Length": "x"}, 1024).status == 400  # type: ignore[union-attr]


def test_depth_is_counted_outside_strings_only() -> None:
    assert not too_deep(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert not too_deep(b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["' + b", []" * 50 + b"]")


def test_fifteen_thousand_deep_json_is_400_before_parsing() -> None:
    with pytest.raises(BodyRefused) as err:
        loads(b"[" * 15_000 + b"]" * 15_000)
    assert err.value.status == 400 and "嵌套过深" in err.value.message
    with pytest.raises(BodyRefused):
        loads(b'{"a":' * 15_000 + b"1" + b"}" * 15_000)


def test_long_numbers_are_422_naming_the_body() -> None:
    for raw in (b'{"lon": ' + b"9" * 5000 + b"}", b'{"lon": 1' + b"0" * 60 + b".5}",
                b'{"lon": 1e999}'):
        with pytest.raises(InvalidCommand) as err:
            loads(raw)
        assert err.value.status == 422 and err.value.detail["field"] == "body"
    assert loads(b'{"lon": 84.87012345678901, "id": 2147483647}') == {
        "lon": 84.87012345678901, "id": 2147483647}


def test_invalid_json_is_422_naming_the_body() -> None:
    """As the API always answered (tests/e2e/test_api_dispatch.py): bad input names its field."""
    with pytest.raises(InvalidCommand) as err:
        loads(b"{nope")
    assert err.value.status == 422 and err.value.detail["field"] == "body" and "JSON" in str(err.value)


def _headers(**kw: str) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in kw.items()}


def test_cookie_writes_must_come_from_the_consoles_own_origins() -> None:
    ok = _headers(Origin="http://127.0.0.1:5006", Content_Type="application/json")
    assert cross_site_refusal("POST", ok, ORIGINS, body=True) is None
    assert cross_site_refusal("GET", {}, ORIGINS, body=False) is None
    proxied = _headers(Origin="https://console.example.org", Content_Type="application/json")
    assert cross_site_refusal("PATCH", proxied, ORIGINS, body=True) is None
    referer = _headers(Referer="http://localhost:5006/desk?x=1", Content_Type="application/json")
    assert cross_site_refusal("DELETE", referer, ORIGINS, body=True) is None
    for bad in (_headers(Origin="http://evil.example"),
                _headers(Origin="http://127.0.0.1:8000"),  # same site, another port
                _headers(Origin="null"),
                _headers(Referer="http://evil.example/127.0.0.1:5006"),
                {}):
        refused = cross_site_refusal("POST", bad, ORIGINS, body=False)
        assert refused is not None and refused.status == 403 and "跨站" in refused.message


def test_form_and_text_bodies_are_refused_on_json_routes() -> None:
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        h = _headers(Origin="http://127.0.0.1:5006", Content_Type=ctype)
        refused = cross_site_refusal("POST", h, ORIGINS, body=True)
        assert refused is not None and "application/json" in refused.message
    upload = _headers(Origin="http://127.0.0.1:5006",
                      Content_Type="multipart/form-data; boundary=x")
    assert cross_site_refusal("POST", upload, ORIGINS, body=True,
                              body_types=("multipart/form-data",)) is None


@pytest.mark.parametrize("target", [
    "/%09/evil.example/", "/\t/evil.example/", "//evil.example", "/\\evil.example",
    "/\\\\evil.example", "/a\r\nSet-Cookie: x=1", "/%0d%0aSet-Cookie:x", "/%2F/evil.example",
    "/%5Cevil.example", "http://evil.example/", "evil.example", "/ /evil", "/\x0b/evil",
    "/login?next=/desk", "/logout",
])
def test_next_refuses_what_a_browser_could_turn_into_another_host(target: str) -> None:
    assert safe_next(target) is None


def test_next_keeps_same_site_paths() -> None:
    assert safe_next("/desk") == "/desk"
    assert safe_next("/field?unit=3#map") == "/field?unit=3#map"
    assert safe_next("/wall?street=%E4%B8%80") == "/wall?street=%E4%B8%80"
    assert safe_next("/大屏") == "/%E5%A4%A7%E5%B1%8F"  # ASCII for the Location header
