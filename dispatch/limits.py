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

# the read replica (FQ_READ_DATABASE_URL): beyond this lag in seconds, reads go to the primary;
# the wall refreshes every 5 s, so a replica within 5 s shows what a primary read a moment ago did
REPLICA_LAG_S = 5.0

# 研判 and the wall: the longest period a figure is asked for (one year, leap day included)
PERIOD_DAYS = 366

# 案件查询 (the case list and its exports)
CASE_QUERY = 60  # the text searched in code, title and address
CASE_PAGE = 1000  # rows on one page of the list (the API's limit)
CASE_OFFSET = 1_000_000  # how far a page may start
EXPORT_ROWS = 10_000  # rows in one CSV or Excel export; more is refused, never cut silently

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


# 扫码说事: the resident page (/report, /track) and its abuse resistance (dispatch.resident)
RESIDENT_TEXT = 2000  # what happened
RESIDENT_INFO = 1000  # information a resident adds on /track
TRIAGE_ROWS = 300  # pending resident reports a desk's panel shows: its area's oldest this many
RESIDENT_PHOTOS = 3  # photos on one report (each under dispatch.attachments' type and size rules)
RESIDENT_POW_BITS = 16  # leading zero bits of SHA-256(nonce:answer); ~65k tries, < 1 s in JS
RESIDENT_CHALLENGE_TTL_S = 900  # a challenge not spent within this is refused
# (count, window in seconds): reports per client address and per device (cookie); challenges
# and tracking look-ups per address. A centre's gateway puts many residents behind one address.
RESIDENT_REPORTS_PER_ADDRESS = (20, 3600)
RESIDENT_REPORTS_PER_DEVICE = (5, 3600)
RESIDENT_CHALLENGES_PER_ADDRESS = (60, 600)
RESIDENT_TRACK_PER_ADDRESS = (60, 600)
# report uploads in flight at once from one address (nginx's limit_conn, before any worker)
RESIDENT_UPLOADS_PER_ADDRESS = 10
# The duplicate check: same device or phone, within this distance (or the same address text)
# and this many hours, with descriptions at least this similar (character bigrams, Jaccard).
RESIDENT_DUP_HOURS = 24
RESIDENT_DUP_METRES = 300.0
RESIDENT_DUP_SIMILARITY = 0.5
# the phone check (an SMS code, only where an SMS gateway is configured): six digits, valid for
# this long, this many wrong tries per code; codes sent per phone (counted in the database) and
# per client address (this process's windows)
PHONE_CODE_DIGITS = 6
PHONE_CODE_TTL_S = 300
PHONE_CODE_TRIES = 5
PHONE_CODES_PER_PHONE = (3, 3600)
PHONE_CODES_PER_ADDRESS = (10, 3600)

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
EXCHANGE_RESULT = 1000  # the 12345 exchange's resultText
# SMS texts (dispatch.sms_text): a filled text within two 70-character segments of a long SMS
# (gateways bill per segment); a gateway's template id (模板编号)
SMS_TEXT = 140
SMS_GATEWAY_ID = 40
SUPERVISORS = 50  # people on the escalation list (notify_supervisors)
EMAIL = 254  # an e-mail address (RFC 5321's path limit)
