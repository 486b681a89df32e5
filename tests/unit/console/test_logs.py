"""Server log lines carry no query strings (addresses, names, keys)."""

from __future__ import annotations

import logging

from console.logs import LOGGERS, NoQueryStrings, scrub_server_logs


def test_query_strings_are_cut_from_access_lines(caplog) -> None:  # type: ignore[no-untyped-def]
    scrub_server_logs()
    scrub_server_logs()
    for name in LOGGERS:
        assert sum(isinstance(f, NoQueryStrings) for f in logging.getLogger(name).filters) == 1
    with caplog.at_level(logging.INFO, logger="tornado.access"):
        logging.getLogger("tornado.access").info(
            "%d %s %.2fms", 200, "GET /api/v1/geocode?q=天山路12号3栋502室 (127.0.0.1)", 3.1)
        logging.getLogger("tornado.general").warning(
            "400 GET /open311/v2/requests.json?api_key=secret&x=1 (127.0.0.1): bad")
    text = caplog.text
    assert "天山路" not in text and "secret" not in text
    assert "GET /api/v1/geocode?… (127.0.0.1)" in text
    assert "/open311/v2/requests.json?… (127.0.0.1): bad" in text
