"""The password policy: length, the username, the common list, one repeated character."""

import pytest

from dispatch import passwords
from dispatch.errors import InvalidCommand


@pytest.mark.parametrize("password, username, words", [
    ("", None, "请填写密码"),
    ("short9char", None, None),  # exactly 10: accepted
    ("nine-char", None, "至少 10 位"),
    ("x" * 129, None, "过长"),
    (" padded-secret ", None, "首尾不能有空格"),
    ("wangxiaoming", "wangxiaoming", "用户名"),
    ("WangXiaoMing", "wangxiaoming", "用户名"),
    ("wangxiaoming2026", "wangxiaoming", "用户名"),
    ("gnimoaixgnaw", "wangxiaoming", "用户名"),
    ("1234567890", None, "常用密码"),
    ("Password123", None, "常用密码"),
    ("pass word 123", None, "常用密码"),
    ("woaini1314", "zhang", "常用密码"),
    ("aaaaaaaaaaaa", None, "同一个字符"),
    ("枫桥调解2026春季", "zhang", None),  # Chinese characters count one each
    ("纠纷调解中心", None, "至少 10 位"),
])
def test_the_policy_names_the_rule_broken(password, username, words):
    reason = passwords.problem(password, username=username)
    if words is None:
        assert reason is None
    else:
        assert reason is not None and words in reason


def test_check_raises_naming_the_field_and_returns_a_good_password():
    with pytest.raises(InvalidCommand) as err:
        passwords.check("admin12345", username="boss", field="new_password")
    assert err.value.detail["field"] == "new_password" and "常用" in err.value.message
    assert passwords.check("tea-garden-42", username="boss") == "tea-garden-42"


def test_temporary_passwords_meet_the_policy_and_differ():
    made = {passwords.temporary() for _ in range(200)}
    assert len(made) == 200
    for p in made:
        assert passwords.problem(p) is None and len(p) >= passwords.MIN_LENGTH
        assert not set(p) & set("0O1lI")
