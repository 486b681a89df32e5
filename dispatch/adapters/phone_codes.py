"""The resident page's phone check: a six-digit code sent by SMS through the outbox, kept hashed.

:func:`send_code` refuses a phone that had :data:`dispatch.limits.PHONE_CODES_PER_PHONE` codes
in the window (counted here, in the database, so every console process agrees), stores
SHA-256 of ``phone:code`` with its expiry, and writes the SMS (the policy's ``verify`` text)
into the outbox in the same transaction. :func:`check_code` checks a live code (each wrong
try counts and :data:`dispatch.limits.PHONE_CODE_TRIES` wrong tries end the code) and spends it
once, or only checks it (``spend=False``: the resident API checks before the report, which
spends the code in its own transaction, so a refused report leaves the code usable). The
code itself stays in the outbox row's payload until it is delivered (the SMS must carry it);
the admin page never shows payloads, and the code is useless after its expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from dispatch import limits, sms_text
from dispatch.adapters import orm_resident  # noqa: F401  (migration 0021)
from dispatch.adapters.outbox_repo import OutboxRepository
from dispatch.notices import Notice
from dispatch.resident import normal_phone

EVENT = "phone_code"  # the outbox row's event type


def code_hash(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10 ** limits.PHONE_CODE_DIGITS):0{limits.PHONE_CODE_DIGITS}d}"


def wait_s(conn: Connection, phone: str, *, at: datetime) -> int:
    """Seconds until ``phone`` may have another code (0: now)."""
    phone = normal_phone(phone)
    n, window = limits.PHONE_CODES_PER_PHONE
    rows: Sequence[datetime] = conn.execute(text(
        "SELECT sent_at FROM phone_codes WHERE phone = :p AND sent_at > :since "
        "ORDER BY sent_at"), {"p": phone, "since": at - timedelta(seconds=window)}
    ).scalars().all()
    if len(rows) < n:
        return 0
    return max(1, int((rows[-n] + timedelta(seconds=window) - at).total_seconds()) + 1)


def send_code(conn: Connection, phone: str, *, at: datetime,
              templates: Mapping[str, Mapping[str, str]]) -> int:
    """Send a code to ``phone`` (0), or the seconds to wait when its limit is reached. The
    caller's transaction holds the row and its SMS together."""
    phone = normal_phone(phone)
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"fq-phone:{phone}"})
    wait = wait_s(conn, phone, at=at)
    if wait:
        return wait
    code = new_code()
    conn.execute(text(
        "INSERT INTO phone_codes (phone, code_hash, sent_at, expires_at) VALUES "
        "(:p, :h, :at, :exp)"), {"p": phone, "h": code_hash(phone, code), "at": at,
                                 "exp": at + timedelta(seconds=limits.PHONE_CODE_TTL_S)})
    sms = sms_text.fill(templates, "verify",
                        {"code": code, "minutes": max(1, limits.PHONE_CODE_TTL_S // 60)})
    OutboxRepository(conn).add([Notice("sms", phone, EVENT, sms, template="verify")], at=at)
    return 0


def check_code(conn: Connection, phone: str, code: str, *, at: datetime,
               spend: bool = True) -> bool:
    """Whether ``code`` is the newest live code of ``phone`` (spent if ``spend``); a wrong try
    counts."""
    phone = normal_phone(phone)
    row = conn.execute(text(
        "SELECT id, code_hash FROM phone_codes WHERE phone = :p AND used_at IS NULL "
        "AND expires_at > :at AND tries < :tries ORDER BY sent_at DESC LIMIT 1 FOR UPDATE"),
        {"p": phone, "at": at, "tries": limits.PHONE_CODE_TRIES}).first()
    if row is None:
        return False
    if not secrets.compare_digest(row[1], code_hash(phone, code.strip())):
        conn.execute(text("UPDATE phone_codes SET tries = tries + 1 WHERE id = :i"),
                     {"i": row[0]})
        return False
    if spend:
        conn.execute(text("UPDATE phone_codes SET used_at = :at WHERE id = :i"),
                     {"i": row[0], "at": at})
    return True
