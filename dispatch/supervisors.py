"""Who is told of an escalation (督办人名单, ``notify_supervisors``): the rule, command and handler.

An entry names a person (a chosen staff account's display name stands for an empty name; an
account unknown or inactive is refused), a phone and/or an e-mail address, and optionally a
street (only that street's escalations; none: every street).
The list replaces the stored one as a whole, is validated here (a Chinese reason naming the
field, e.g. ``people[2].phone``) and audited (``supervisors_update``) in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dispatch import limits
from dispatch.errors import InvalidCommand
from dispatch.notices import SUPERVISORS_SETTING
from dispatch.resident import PHONE, normal_phone

if TYPE_CHECKING:
    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import Json

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")
KEYS = frozenset({"name", "username", "phone", "email", "street_id"})


@dataclass(frozen=True, kw_only=True)
class SetSupervisors:
    """An administrator replaces the list of people told of escalations."""

    people: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    actor: str = ""
    reason: str | None = None


def check(people: Sequence[Any], *, streets: frozenset[int] | None = None,
          accounts: Mapping[str, str] | None = None) -> list[Json]:
    """The stored shape of ``people``, or a refusal naming the entry's field (``streets``: the
    territory's street ids, ``accounts``: active usernames → display names, when known). Empty
    values count as absent."""
    if len(people) > limits.SUPERVISORS:
        raise InvalidCommand(f"督办人名单（people）不超过 {limits.SUPERVISORS} 人", field="people")
    out: list[Json] = []
    seen: set[tuple[str, str]] = set()
    for i, p in enumerate(people):
        where = f"people[{i}]"
        if not isinstance(p, Mapping) or set(p) - KEYS:
            raise InvalidCommand(f"督办人 {where} 只可含 {'、'.join(sorted(KEYS))}", field=where)
        p = {k: v for k, v in p.items() if v not in (None, "")}
        user = limits.text(p.get("username"), "账号", f"{where}.username",
                           limit=limits.USERNAME)
        if user is not None and accounts is not None:
            if user not in accounts:
                raise InvalidCommand(f"督办人 {where} 的账号 {user} 不存在或已停用",
                                     field=f"{where}.username")
            p.setdefault("name", accounts[user])
        name = limits.text(p.get("name"), "姓名", f"{where}.name", limit=limits.NAME,
                           required=True)
        phone = limits.text(p.get("phone"), "手机号", f"{where}.phone", limit=limits.PHONE)
        if phone is not None and not PHONE.match(phone):
            raise InvalidCommand(f"督办人 {where} 的手机号（phone）只能包含数字、空格、短横线和开头的 +",
                                 field=f"{where}.phone")
        email = limits.text(p.get("email"), "电子邮箱", f"{where}.email", limit=limits.EMAIL)
        if email is not None and not EMAIL.match(email):
            raise InvalidCommand(f"督办人 {where} 的电子邮箱（email）格式有误", field=f"{where}.email")
        if phone is None and email is None:
            raise InvalidCommand(f"督办人 {where}（{name}）须至少给出手机号或电子邮箱",
                                 field=f"{where}.phone")
        street = p.get("street_id")
        if street is not None and not _street_ok(street, streets):
            raise InvalidCommand(f"督办人 {where} 的街道（street_id）不存在",
                                 field=f"{where}.street_id")
        # one spelling per phone (138 0000 0001 is 13800000001), as the SMS limits count it
        for kind, value in (("phone", phone and normal_phone(phone)), ("email", email)):
            if value is not None and (kind, value) in seen:
                raise InvalidCommand(f"督办人 {where} 的{'手机号' if kind == 'phone' else '电子邮箱'}"
                                     f"与前面的重复", field=f"{where}.{kind}")
            seen.add((kind, value or ""))
        out.append({"name": name, "username": user, "phone": phone, "email": email,
                    "street_id": street})
    return out


def _street_ok(street: object, streets: frozenset[int] | None) -> bool:
    return (isinstance(street, int) and not isinstance(street, bool)
            and 0 < street <= limits.ID_MAX and (streets is None or street in streets))


def set_supervisors(cmd: SetSupervisors, uow: UnitOfWork) -> Json:
    """Validate, store and audit the list in one transaction; the stored list."""
    if not cmd.actor:
        raise InvalidCommand("须注明修改人", field="actor")
    people = check(list(cmd.people), streets=uow.units.street_ids(),
                   accounts=uow.units.staff_names())
    now = uow.now()
    stored: Json = {"people": people}
    uow.units.save_setting(SUPERVISORS_SETTING, stored, at=now, by=cmd.actor)
    uow.incidents.audit(at=now, actor=cmd.actor, action="supervisors_update",
                        entity="settings", entity_id=None, reason=cmd.reason,
                        detail={"people": len(people),
                                "names": [p["name"] for p in people]})
    uow.commit()
    return stored


SUPERVISOR_HANDLERS: dict[type, Callable[..., Any]] = {SetSupervisors: set_supervisors}
