"""Input limits with no better owner: text lengths, counts and id ranges, defined once.

The API's body models (``console/schemas*.py``) take their pydantic bounds from here and from
the rule modules that own theirs (:mod:`dispatch.whistle`, :mod:`dispatch.record`,
:mod:`dispatch.followup`, :mod:`dispatch.passwords`, :mod:`dispatch.telemetry`); the domain
checks the same constants, so the OpenAPI document, the 422 and the handler agree. Where two
copies disagreed, the stricter one (the one that was in force) was kept.
"""

from __future__ import annotations

from dispatch.errors import InvalidCommand

ID_MAX = 2**31 - 1  # ids are PostgreSQL integers

# 受理 (RegisterIncident)
TITLE = 200
DESCRIPTION = 4000
ADDRESS = 200
PARTIES = 20  # parties on one case
NAME = 60  # a person's name (party, participant, display name)
PHONE = 30
PARTY_ROLE = 20
LANGUAGE = 20
CODE = 20  # a vocabulary code sent as text (category, channel, shift, skill …)

# free text on commands
REASON = 500  # why (改派, 督办, 吹哨, 关联, 状态 …)
NOTE = 1000  # a remark on a transition, a visit, a report, a decision
ORAL_TERMS = 2000  # 口头协议内容
REFERRED_TO = 120  # 接收机关 (court or arbitration body)
UNMASK_REASON = 200

# 分派: one unit, a pair, at most a small team
UNITS_PER_DISPATCH = 4

# units (admin edits, roster import)
UNIT_CAPACITY = 20
UNIT_LIST = 20  # skills or languages of one unit

# accounts and keys
USERNAME_MIN, USERNAME = 2, 40
KEY_NAME = 60


def text(value: object, label: str, field: str, *, limit: int, required: bool = False
         ) -> str | None:
    """Trimmed text within ``limit`` characters, or a refusal naming the field in Chinese."""
    out = str(value or "").strip()
    if not out:
        if required:
            raise InvalidCommand(f"{label}（{field}）不能为空", field=field)
        return None
    if len(out) > limit:
        raise InvalidCommand(f"{label}（{field}）不超过 {limit} 字", field=field)
    return out

# the outbox (notifications, webhooks): at least once, with exponential backoff
OUTBOX_MAX_ATTEMPTS = 8  # then the row is 'failed' (an administrator may retry it)
OUTBOX_BACKOFF_S = 10.0  # the first retry; doubled each time
OUTBOX_BACKOFF_CAP_S = 3600.0
OUTBOX_LEASE_S = 30.0  # a claimed row is due again after this if its process died (> 2 sends)
OUTBOX_BATCH = 20
DELIVERY_TIMEOUT_S = 10.0
WEBHOOK_NAME = 60
WEBHOOK_URL = 500
EXTERNAL_SOURCE = 40
EXTERNAL_ID = 80
