"""SMS texts in the policy: defaults, placeholders refused by name, the length limit, the filling
and the edit through UpdatePolicy (stored, audited, used by the next notice)."""

from __future__ import annotations

import pytest

from dispatch import limits, sms_text
from dispatch.commands import Party, RegisterIncident, UpdatePolicy
from dispatch.errors import InvalidCommand
from dispatch.policy import Policy
from tests.fakes import FakeDb, FakeUnitOfWork, fake_dispatch


def test_every_default_checks_and_fills_within_the_limit():
    assert sms_text.check({}) == sms_text.defaults()
    for kind, entry in sms_text.DEFAULTS.items():
        filled = sms_text.fill(sms_text.DEFAULTS, kind,
                               dict.fromkeys(sms_text.PLACEHOLDERS[kind], "X" * 60))
        assert "{" not in filled["text"] and len(filled["text"]) <= limits.SMS_TEXT, kind
        assert "template_id" not in filled and set(filled["params"]) == set(
            sms_text.PLACEHOLDERS[kind])
        assert set(sms_text.fields_of(entry["text"], kind)) <= set(sms_text.PLACEHOLDERS[kind])


def test_an_unknown_placeholder_is_refused_naming_the_field_and_the_placeholder():
    with pytest.raises(InvalidCommand) as err:
        Policy.from_dict({"sms_templates": {"accepted": {"text": "{name}您好，已受理{ref}"}}})
    assert "sms_templates.accepted" in err.value.message and "{name}" in err.value.message
    assert err.value.detail["field"] == "sms_templates.accepted"
    with pytest.raises(InvalidCommand, match=r"\{address\} 未知"):  # a party's text: no address
        Policy.from_dict({"sms_templates": {"resolved": {"text": "{address}已办结"}}})


@pytest.mark.parametrize("text", ["{code:>9}", "{code!r}", "{code.x}", "{0}", "单{括号", "{}"])
def test_format_tricks_and_broken_braces_are_refused(text: str) -> None:
    with pytest.raises(InvalidCommand, match=r"sms_templates\.task"):
        Policy.from_dict({"sms_templates": {"task": {"text": text}}})


def test_the_length_counts_placeholders_at_their_longest():
    room = limits.SMS_TEXT - sms_text.WIDEST["ref"]
    Policy.from_dict({"sms_templates": {"accepted": {"text": "字" * room + "{ref}"}}})
    with pytest.raises(InvalidCommand, match=f"上限 {limits.SMS_TEXT} 字"):
        Policy.from_dict({"sms_templates": {"accepted": {"text": "字" * (room + 1) + "{ref}"}}})


def test_empty_unknown_kinds_and_bad_gateway_ids_are_refused():
    for bad, word in (({"task": {"text": "  "}}, "不能为空"), ({"sms": {"text": "x"}}, "未知的短信模板"),
                      ({"task": {"gateway_id": "SMS 1"}}, "gateway_id"),
                      ({"task": {"colour": "red"}}, "text, gateway_id"), ({"task": "x"}, "类型")):
        with pytest.raises(InvalidCommand, match=word):
            Policy.from_dict({"sms_templates": bad})


def test_a_partial_edit_keeps_the_other_kinds_and_round_trips():
    p = Policy.from_dict({"sms_templates": {"task": {"gateway_id": "SMS_001"}}})
    assert p.sms_templates["task"] == {"text": sms_text.DEFAULTS["task"]["text"],
                                       "gateway_id": "SMS_001"}
    assert p.sms_templates["accepted"] == sms_text.defaults()["accepted"]
    assert Policy.from_dict(p.to_dict()) == p


def test_an_edit_is_audited_and_the_next_notice_uses_it():
    db = FakeDb()
    app = fake_dispatch(db)
    app.handle(UpdatePolicy(changes={"sms_templates": {"accepted": {
        "text": "【枫桥】{category}已收到，凭{ref}查进度", "gateway_id": "SMS_ACC"}}},
        actor="管理员", reason="改短信"))
    assert [a.actor for a in db.audits("policy_update")] == ["管理员"]
    got = app.handle(RegisterIncident(category="neighbour", channel="hotline", actor="甲",
                                      description="噪音", lon=84.873, lat=45.596,
                                      auto_dispatch=False, parties=(Party("李四", "13900000002"),)))
    (sms,) = [r for r in db.tables.outbox if r["channel"] == "sms"]
    assert sms["payload"]["text"] == f"【枫桥】邻里纠纷已收到，凭{got.code}查进度"
    assert sms["payload"]["template_id"] == "SMS_ACC"
    with pytest.raises(InvalidCommand):
        app.handle(UpdatePolicy(changes={"sms_templates": {"task": {"text": "{phone}"}}},
                                actor="管理员"))
    assert FakeUnitOfWork(db).policy.sms_templates["accepted"]["gateway_id"] == "SMS_ACC"


def test_a_text_without_what_it_must_carry_is_refused_naming_it() -> None:
    with pytest.raises(InvalidCommand) as err:
        sms_text.check({"verify": {"text": "您的验证码已发送，{minutes}分钟内有效。"}})
    assert err.value.detail["field"] == "sms_templates.verify" and "{code}" in str(err.value)
    with pytest.raises(InvalidCommand, match=r"\{ref\}"):
        sms_text.check({"resolved": {"text": "您反映的{category}已办结。"}})
