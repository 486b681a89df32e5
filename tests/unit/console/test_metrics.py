"""console.metrics: route templates, gauges read at scrape time, the text format."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tornado.web import Application, RequestHandler

from console import metrics


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"/api/v1/incidents/(\d{1,9})/locate", "/api/v1/incidents/{}/locate"),
    (r"/api/v1/incidents/(?P<id>[0-9]+)$", "/api/v1/incidents/{}"),
    (r"/desk/?", "/desk"),
    (r"/static/(.*)", "/static/{}"),
    (r"/api/v1/health", "/api/v1/health"),
    (r"/a\.b/(x(y)z)/c", "/a.b/{}/c"),
])
def test_a_route_pattern_becomes_a_template(pattern: str, expected: str) -> None:
    assert metrics.template(pattern) == expected


class _One(RequestHandler):
    pass


class _Two(RequestHandler):
    pass


def test_handlers_are_named_by_their_route_not_their_path() -> None:
    app = Application([(r"/api/v1/cases/(\d+)", _One), (r"/page/a", _Two), (r"/page/b/?", _Two)])
    names = metrics.RouteNames(app)

    one = _One.__new__(_One)
    one.request = SimpleNamespace(path="/api/v1/cases/12345")  # type: ignore[assignment]
    assert names.name(one) == "/api/v1/cases/{}"
    two = _Two.__new__(_Two)
    two.request = SimpleNamespace(path="/page/b/")  # type: ignore[assignment]
    assert names.name(two) == "/page/b"
    two.request = SimpleNamespace(path="/page/a")  # type: ignore[assignment]
    assert names.name(two) == "/page/a"
    assert names.name(SimpleNamespace(request=SimpleNamespace(path="/x"))) == "other"


def _families() -> dict[str, object]:
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(body.decode())}


def test_a_gauge_is_read_at_scrape_time_and_a_failing_read_is_left_out() -> None:
    value = {"v": 1.0}
    metrics.gauge("fq_test_plain", "a test gauge", lambda: value["v"])
    metrics.gauge("fq_test_labelled", "a labelled test gauge",
                  lambda: {("a",): 2.0, ("b",): 3.0}, labels=("which",))
    metrics.gauge("fq_test_broken", "raises", lambda: 1 / 0)
    try:
        fams = _families()
        assert fams["fq_test_plain"].samples[0].value == 1.0  # type: ignore[attr-defined]
        value["v"] = 7.0
        fams = _families()
        assert fams["fq_test_plain"].samples[0].value == 7.0  # type: ignore[attr-defined]
        labelled = {s.labels["which"]: s.value for s in fams["fq_test_labelled"].samples}  # type: ignore[attr-defined]
        assert labelled == {"a": 2.0, "b": 3.0}
        assert "fq_test_broken" not in fams
        assert "fq_http_request_duration_seconds" in fams and "process_resident_memory_bytes" in fams
    finally:
        for name in ("fq_test_plain", "fq_test_labelled", "fq_test_broken"):
            metrics.drop_gauge(name)
    assert "fq_test_plain" not in _families()


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(ValueError):
        metrics.gauge("fq-bad name", "x", lambda: 0.0)


def test_the_scheduler_gauges_follow_its_lead() -> None:
    sched = SimpleNamespace(leading=False, last_tick=None)
    metrics.watch_scheduler(sched)
    fams = _families()
    assert fams["fq_scheduler_leading"].samples[0].value == 0.0  # type: ignore[attr-defined]
    assert math.isnan(fams["fq_scheduler_tick_age_seconds"].samples[0].value)  # type: ignore[attr-defined]
    import time

    sched.leading, sched.last_tick = True, time.monotonic() - 3.0
    fams = _families()
    assert fams["fq_scheduler_leading"].samples[0].value == 1.0  # type: ignore[attr-defined]
    assert 3.0 <= fams["fq_scheduler_tick_age_seconds"].samples[0].value < 60  # type: ignore[attr-defined]
    metrics.drop_gauge("fq_scheduler_leading")
    metrics.drop_gauge("fq_scheduler_tick_age_seconds")
