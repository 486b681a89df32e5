"""Delivery adapters: an intranet SMS gateway over HTTP, e-mail over SMTP, signed webhooks.

Each ``send`` takes one claimed outbox row and either returns (delivered) or raises
:class:`DeliveryFailed` with the status and a short reason; the worker decides on retries.
The idempotency key travels with every attempt (SMS ``outId`` and ``X-FQ-Delivery``, the
e-mail's ``X-FQ-Delivery`` header and ``Message-ID``, the webhook's ``X-FQ-Delivery``) so a
receiver that saw it before can drop the repeat: delivery is at least once, not exactly once.

The SMS request is the common shape of Chinese SMS gateways (阿里云/腾讯云-style platforms and
the intranet 短信平台 that copy them): a JSON POST of phone numbers, signature name, template
id and template parameters, with the application key in a header and an HMAC of the body.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from dispatch import limits
from dispatch.webhooks import sign


class DeliveryFailed(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status = reason[:500], status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not a new address: following it would send the body (as
    a GET) to any host the receiver names, past the webhook allow-list."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def post_json(url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float) -> int:
    """POST ``body``; the status if 2xx, else :class:`DeliveryFailed` (network errors and
    redirects too: a redirect is never followed)."""
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", **headers})
    try:
        with _OPENER.open(req, timeout=timeout_s) as resp:
            status = int(resp.status)
            answer = resp.read(4096)
    except urllib.error.HTTPError as err:
        raise DeliveryFailed(f"HTTP {err.code}", err.code) from None
    except (urllib.error.URLError, OSError) as err:
        raise DeliveryFailed(f"连接失败：{getattr(err, 'reason', err)}") from None
    _gateway_refusal(answer, status)
    return status


def _gateway_refusal(answer: bytes, status: int) -> None:
    """A 200 whose JSON says ``code`` is not OK (gateways answer refusals that way)."""
    try:
        doc = json.loads(answer or b"{}")
    except ValueError:
        return
    if isinstance(doc, dict) and "code" in doc and doc["code"] not in ("OK", "ok", 0, "0", 200):
        raise DeliveryFailed(f"网关拒绝：{doc.get('code')} {doc.get('message', '')}"[:200],
                             status)


@dataclass(frozen=True)
class SmsGateway:
    url: str
    app_key: str = field(repr=False)
    sign_name: str = "枫桥调处"
    timeout_s: float = limits.DELIVERY_TIMEOUT_S

    def send(self, row: Mapping[str, Any]) -> int:
        payload = row["payload"]
        body = json.dumps({
            "phoneNumbers": [row["recipient"]], "signName": self.sign_name,
            # the policy's gateway template id for this kind (dispatch.sms_text), set at staging
            "templateId": payload.get("template_id") or None,
            "templateParams": payload.get("params", {}), "content": payload.get("text", ""),
            "outId": str(row["key"])}, ensure_ascii=False).encode()
        ts = str(int(time.time()))
        return post_json(self.url, body, {
            "X-App-Key": self.app_key, "X-Timestamp": ts,
            "X-Signature": sign(self.app_key, ts, body), "X-FQ-Delivery": str(row["key"])},
            timeout_s=self.timeout_s)


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "fengqiao@localhost"
    timeout_s: float = limits.DELIVERY_TIMEOUT_S

    def send(self, row: Mapping[str, Any]) -> int:
        payload = row["payload"]
        msg = EmailMessage()
        msg["From"], msg["To"] = self.sender, row["recipient"]
        msg["Subject"] = payload.get("subject", "枫桥调处通知")
        msg["Message-ID"] = make_msgid(idstring=str(row["key"]), domain="fengqiao")
        msg["X-FQ-Delivery"] = str(row["key"])
        msg.set_content(payload.get("text", ""))
        try:
            cls = smtplib.SMTP_SSL if self.security == "ssl" else smtplib.SMTP
            with cls(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as err:
            raise DeliveryFailed(f"SMTP {err.smtp_code}", err.smtp_code) from None
        except (smtplib.SMTPException, OSError) as err:
            raise DeliveryFailed(f"SMTP：{err}") from None
        return 250


def send_webhook(row: Mapping[str, Any], secret: str, *,
                 timeout_s: float = limits.DELIVERY_TIMEOUT_S) -> int:
    body = json.dumps(row["payload"], ensure_ascii=False, sort_keys=True).encode()
    ts = str(int(time.time()))
    return post_json(row["recipient"], body, {
        "X-FQ-Timestamp": ts, "X-FQ-Signature": sign(secret, ts, body),
        "X-FQ-Delivery": str(row["key"]), "X-FQ-Event": row["event_type"]},
        timeout_s=timeout_s)


@dataclass(frozen=True)
class Channels:
    """What this deployment can deliver through (``None``: not configured, never attempted)."""

    sms: SmsGateway | None = None
    email: Smtp | None = None

    @property
    def off(self) -> dict[str, str]:
        """Channel → why it is off (the admin page shows it)."""
        out = {}
        if self.sms is None:
            out["sms"] = "未配置短信网关（FQ_SMS_URL、FQ_SMS_KEY）"
        if self.email is None:
            out["email"] = "未配置邮件服务器（FQ_SMTP_HOST）"
        return out

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> Channels:
        """From the variables the console's settings read (a bad value: ``ValueError``)."""
        sms = None
        if (e.get("FQ_SMS_URL") or "").strip():
            if not (e.get("FQ_SMS_KEY") or "").strip():
                raise ValueError("FQ_SMS_KEY：配置了 FQ_SMS_URL 时须给出短信网关的应用密钥")
            sms = SmsGateway(url=e["FQ_SMS_URL"].strip(), app_key=e["FQ_SMS_KEY"].strip(),
                             sign_name=(e.get("FQ_SMS_SIGN") or "枫桥调处").strip())
        email = None
        if (e.get("FQ_SMTP_HOST") or "").strip():
            security = (e.get("FQ_SMTP_TLS") or "none").strip().lower()
            if security not in ("none", "starttls", "ssl"):
                raise ValueError("FQ_SMTP_TLS：应为 none、starttls 或 ssl")
            try:
                port = int(e.get("FQ_SMTP_PORT") or (465 if security == "ssl" else 25))
            except ValueError:
                raise ValueError("FQ_SMTP_PORT：应为端口号") from None
            email = Smtp(host=e["FQ_SMTP_HOST"].strip(), port=port, security=security,
                         user=(e.get("FQ_SMTP_USER") or "").strip() or None,
                         password=e.get("FQ_SMTP_PASSWORD") or None,
                         sender=(e.get("FQ_SMTP_FROM") or "fengqiao@localhost").strip())
        return cls(sms=sms, email=email)
