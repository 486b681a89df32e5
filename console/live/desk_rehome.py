"""A desk's jurisdiction read again when the areas were replaced (``areas_replaced``).

An area replacement (dispatch.adapters.area_replace) gives every area a new id and moves each
account to its area's successor. A desk holds the principal its page was built for, and the
hub of that principal's streets (console.live.desk_part.part_of): both name the old ids, so
until a reload a street desk showed an empty part and another desk cut its rows by areas
gone. On the hub's ``replaced`` delivery the session asks :func:`rehomed` for the account as
stored now and the hub its part now shares, and moves there without a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from console.bootstrap import App
from console.live.desk_part import part_of
from console.live.desk_patch import Part
from console.live.desk_registry import hub_for
from dispatch.access import Principal
from dispatch.adapters.accounts import principal_for_account

__all__ = ["Following", "rehomed"]


def rehomed(app: App, principal: Principal | None, hub: Any, *,
            reread: Callable[[int], Principal | None] | None = None,
            hub_of: Callable[[Principal], Any] | None = None) -> tuple[Principal | None, Any]:
    """The principal as its account now stands and the hub its desk belongs to.

    ``reread(account_id)``: the account's principal as stored (None: gone or deactivated;
    by default read from ``app``'s database); ``hub_of(principal)``: the hub a desk of it
    shares (by default console.live.desk_registry.hub_for of its part). A desk without an
    account (tests, diagnostics) keeps what it has; an account gone keeps its old principal,
    whose areas no longer exist, so it shows nothing (never more) until its session ends."""
    if principal is None or principal.account_id is None:
        return principal, hub
    if reread is None:
        reread = account_reader(app)
    fresh = reread(principal.account_id)
    if fresh is None:
        return principal, hub
    return fresh, (hub_of or (lambda p: hub_for(app, part_of(p))))(fresh)


def account_reader(app: App) -> Callable[[int], Principal | None]:
    def reread(account_id: int) -> Principal | None:
        with app.engine.connect() as conn:
            return principal_for_account(conn, account_id)
    return reread


class Following:
    """A subscription that follows its reader's part (the triage stream, whose reader is read
    again every few seconds): :meth:`to` moves it to the hub of a part that changed, subscribing
    ``deliver(hub, payload)`` there and leaving the old hub; deliveries name their hub, so one
    still in flight from the old hub can be told apart (``hub is not following.hub``)."""

    def __init__(self, hub_of: Callable[[Part | None], Any],
                 deliver: Callable[[Any, dict[str, Any]], None]) -> None:
        self.hub_of, self.deliver = hub_of, deliver
        self.part: Part | None = None
        self.hub: Any = None
        self.token: int | None = None

    def to(self, part: Part | None) -> bool:
        """Subscribe to ``part``'s hub; True when this left another hub for it."""
        if self.hub is not None and part == self.part:
            return False
        hub = self.hub_of(part)
        old, token = self.hub, self.token
        self.part, self.hub = part, hub
        self.token = hub.subscribe(partial(self.deliver, hub))
        if old is not None and token is not None:
            old.unsubscribe(token)
        return old is not None

    def leave(self) -> None:
        if self.hub is not None and self.token is not None:
            self.hub.unsubscribe(self.token)
        self.token = None
