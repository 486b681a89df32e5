"""The resident page's phone check (扫码说事): GET whether this deployment checks phones (an
SMS gateway is configured), POST a phone to get a code by SMS (limited per phone in the
database and per client address here), and the code's check when the report is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from console.api.resident import ResidentHandler
from console.api.resident_guard import THROTTLED
from console.api.schemas_resident import PhoneCodeIn
from console.bootstrap import App
from dispatch import limits
from dispatch.adapters.phone_codes import check_code, send_code
from dispatch.errors import InvalidCommand, TooManyAttempts
from dispatch.resident import CODE_REFUSED, PHONE

NO_GATEWAY = "本平台未配置短信网关，手机号不作验证，将作为“未验证”号码记录。"


def checks_phones(app: App) -> bool:
    return app.settings.notify.sms is not None


def phone_code(app: App, phone: str | None, code: str | None) -> str | None:
    """The report's SMS ``code`` once checked, for the report to spend in its own transaction
    (so a report refused by its other checks leaves the code usable); None when the phone goes
    unverified (no gateway, no phone or no code). A wrong or spent code is refused naming
    ``phone_code``; the wrong try is counted (its own transaction) before the refusal."""
    if not checks_phones(app) or not phone or not code:
        return None
    with app.engine.begin() as conn:
        ok = check_code(conn, phone, code, at=datetime.now(UTC), spend=False)
    if not ok:
        raise InvalidCommand(CODE_REFUSED, field="phone_code")
    return code


class PhoneCheckHandler(ResidentHandler):
    """GET: does this deployment check phones by SMS, and for how long a code lives."""

    async def get(self) -> None:
        on = checks_phones(self.app)
        self.send_json({"sms": on, "ttl_s": limits.PHONE_CODE_TTL_S,
                        "digits": limits.PHONE_CODE_DIGITS, "note": None if on else NO_GATEWAY})


class PhoneCodeHandler(ResidentHandler):
    """POST ``{phone}``: a code by SMS through the outbox (201), or why not."""

    limit = limits.PHONE_CODES_PER_ADDRESS
    bucket = "phone"

    async def post(self) -> None:
        if self.throttled():
            return

        def work() -> dict[str, Any]:
            phone = str(self.body(PhoneCodeIn).phone).strip()
            if not PHONE.match(phone):
                raise InvalidCommand("手机号（phone）只能包含数字、空格、短横线和开头的 +",
                                     field="phone")
            if not checks_phones(self.app):
                raise InvalidCommand(NO_GATEWAY, field="phone")
            templates = self.app.dispatch.policy().sms_templates
            with self.app.engine.begin() as conn:
                wait = send_code(conn, phone, at=datetime.now(UTC), templates=templates)
            if wait:
                self.set_header("Retry-After", str(wait))
                raise TooManyAttempts(THROTTLED.format(wait=wait), field="phone")
            return {"sent": True, "ttl_s": limits.PHONE_CODE_TTL_S,
                    "note": f"验证码已发送，{limits.PHONE_CODE_TTL_S // 60} 分钟内有效。"}
        await self.run(work, status=201)


def phone_routes(app: App, prefix: str) -> list[tuple[str, type, dict[str, Any]]]:
    return [(rf"{prefix}/phone-check", PhoneCheckHandler, {"app": app}),
            (rf"{prefix}/phone-code", PhoneCodeHandler, {"app": app})]
