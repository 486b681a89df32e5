"""The webhook allow-list: empty allows any host; names, *.domains and networks; refusals name
the entry; a subscription off the list is refused at creation and no longer hears events."""

from __future__ import annotations

import pytest

from dispatch.commands import RegisterIncident
from dispatch.errors import InvalidCommand
from dispatch.notices import Subscription
from dispatch.policy import Policy
from dispatch.webhook_hosts import allowed, check
from tests.fakes import FakeDb, fake_dispatch


def test_empty_allows_any_and_entries_match_by_name_domain_or_network():
    assert allowed("http://203.0.113.9/hook", ())
    hosts = check(["10.0.0.0/8", "*.Gov.Example.cn", "hook.example.org", "fd00::/8"])
    assert hosts[1] == "*.gov.example.cn"
    for url, ok in (("http://10.2.3.4:8080/x", True), ("http://11.2.3.4/x", False),
                    ("https://a.gov.example.cn/x", True), ("https://evilgov.example.cn/x", False),
                    ("https://gov.example.cn.evil.org/x", False),
                    ("https://hook.example.org/x", True), ("https://x.hook.example.org/", False),
                    ("http://[fd00::1]/x", True), ("http:///nohost", False)):
        assert allowed(url, hosts) is ok, url


def test_bad_entries_are_refused_naming_them():
    for bad in (["10.0.0.0/33"], ["http://x.org"], [""], ["a b"]):
        with pytest.raises(InvalidCommand, match="webhook_hosts"):
            Policy.from_dict({"webhook_hosts": bad})
    with pytest.raises(InvalidCommand, match="webhook_hosts"):
        Policy.from_dict({"webhook_hosts": "10.0.0.0/8"})  # a list, not a string
    assert Policy.from_dict({"webhook_hosts": ["10.0.0.0/8"]}).webhook_hosts == ("10.0.0.0/8",)


def test_a_subscription_off_the_list_hears_nothing_more():
    db = FakeDb()
    db.tables.subscriptions += [Subscription(1, "http://10.1.1.1/hook"),
                                Subscription(2, "http://203.0.113.9/hook")]
    db.tables.settings["policy"] = Policy(webhook_hosts=("10.0.0.0/8",)).to_dict()
    fake_dispatch(db).handle(RegisterIncident(
        category="neighbour", channel="hotline", actor="甲", description="噪音",
        lon=84.873, lat=45.596, auto_dispatch=False))
    hooks = [r["subscription_id"] for r in db.tables.outbox if r["channel"] == "webhook"]
    assert hooks and set(hooks) == {1}
