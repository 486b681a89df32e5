"""Where webhooks may go: the administrator's allow-list of receiver hosts and networks.

The list lives in the editable policy (``Policy.webhook_hosts``). Empty (the default): any
``http``/``https`` receiver is allowed, as before. Otherwise a subscription's URL must name a
host on the list — an exact host name (``gov.example.cn``), every host under a domain
(``*.gov.example.cn``), or an IP address inside a network (``10.0.0.0/8``, ``192.168.3.7``) —
or it is refused when created and its deliveries are no longer staged. Names are compared as
written; a name is not resolved to check it against a network (no DNS at this door).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from dispatch.errors import InvalidCommand

MAX_ENTRIES = 50
_NAME = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def check(entries: Iterable[object]) -> tuple[str, ...]:
    """The list as stored (trimmed, lower case), or a refusal naming the entry."""
    out: list[str] = []
    for i, raw in enumerate(entries):
        entry = str(raw or "").strip().lower()
        if not entry or (_network(entry) is None and not _NAME.match(entry)):
            raise InvalidCommand(f"允许的接收主机（webhook_hosts[{i}]）“{raw}” 应为主机名、"
                                 "*.域名、IP 地址或网段（如 10.0.0.0/8）", field="webhook_hosts")
        out.append(entry)
    if len(out) > MAX_ENTRIES:
        raise InvalidCommand(f"允许的接收主机（webhook_hosts）不超过 {MAX_ENTRIES} 项",
                             field="webhook_hosts")
    return tuple(out)


def allowed(url: str, hosts: Iterable[str]) -> bool:
    """``url``'s host is on the list (an empty list allows every host)."""
    hosts = tuple(hosts)
    if not hosts:
        return True
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in hosts:
        net = _network(entry)
        if net is not None:
            if ip is not None and ip.version == net.version and ip in net:
                return True
        elif entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False
