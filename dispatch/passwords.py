"""The password policy people's passwords must meet, and temporary passwords that meet it.

Pure rules, no database: at least :data:`MIN_LENGTH` characters, at most :data:`MAX_LENGTH`,
not the username (nor containing it, nor it reversed), not one of the :data:`COMMON` passwords
that leaked lists put at the top (compared without case, spaces and punctuation), and not one
character repeated. :func:`problem` returns the Chinese reason or None; :func:`check` raises it
as :class:`dispatch.errors.InvalidCommand` naming the field.
"""

from __future__ import annotations

import re
import secrets

from dispatch.errors import InvalidCommand

MIN_LENGTH = 10
MAX_LENGTH = 128
MAX_INPUT = 256  # what a sign-in or a password change may send (older passwords)

# The top of the public leaked-password rankings (Chinese sites' and international ones) that
# are 10 characters or longer once spaces and punctuation are dropped; shorter ones fail the
# length rule anyway. Compared after :func:`_fold`.
COMMON = frozenset({
    "1234567890", "0123456789", "12345678910", "123456789a", "a123456789", "1q2w3e4r5t",
    "qwertyuiop", "1qaz2wsx3edc", "qazwsxedcrfv", "asdfghjkl1", "zxcvbnm123", "password12",
    "password123", "password1234", "passw0rd123", "iloveyou123", "woaini1314", "woaini5201314",
    "5201314520", "1314520520", "abc1234567", "abcd123456", "abcdefghij", "aa12345678",
    "qq123456789", "admin12345", "admin123456", "administrator", "welcome123", "changeme123",
    "1111111111", "0000000000", "1234512345", "9876543210", "1122334455", "1212121212",
    "qweasdzxc123", "zaq12wsxcde3", "p@ssw0rd123", "superman123", "football123",
    "baseball123", "dragon12345", "sunshine123", "princess123", "letmein123", "monkey12345",
    "huawei12345", "wangyi12345", "taobao12345", "baidu123456", "fengqiao123", "fengqiao2026",
})


def _fold(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


def problem(password: object, *, username: str | None = None) -> str | None:
    """Why ``password`` is refused (Chinese, naming the rule), or None when it is acceptable."""
    if not isinstance(password, str) or not password:
        return "请填写密码"
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位（当前 {len(password)} 位）"
    if len(password) > MAX_LENGTH:
        return f"密码过长（上限 {MAX_LENGTH} 位）"
    if password.strip() != password:
        return "密码首尾不能有空格"
    if username:
        name, low = username.strip().lower(), password.lower()
        if name and (low == name or name in low or low == name[::-1]):
            return "密码不能是用户名，也不能包含用户名"
    folded = _fold(password)
    if folded in COMMON or password.lower() in COMMON:
        return "密码过于常见（在常用密码名单中），请换一个"
    if len(set(password)) == 1:
        return "密码不能由同一个字符重复组成"
    return None


def check(password: object, *, username: str | None = None, field: str = "password") -> str:
    """The password when acceptable; :class:`InvalidCommand` naming ``field`` otherwise."""
    reason = problem(password, username=username)
    if reason is not None:
        raise InvalidCommand(reason, field=field)
    assert isinstance(password, str)
    return password


# no 0/O, 1/l/I: a temporary password is read aloud or copied from a screen
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary(length: int = 14) -> str:
    """A random password meeting the policy, for a reset (shown once, changed at next login)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(max(length, MIN_LENGTH)))
        if (problem(candidate) is None and any(c.isdigit() for c in candidate)
                and any(c.isalpha() for c in candidate)):
            return candidate
