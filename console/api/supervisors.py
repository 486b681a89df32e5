"""The escalation list's admin face: GET/POST /api/v1/admin/supervisors (督办人名单).

The list is written by :class:`dispatch.supervisors.SetSupervisors` (validated, stored and
audited in one transaction, a chosen account's display name standing for an empty name and an
unknown account refused there); every refusal is audited here too.
"""

from __future__ import annotations

from typing import Any

from console.api.accounts import AccountsBase
from console.api.schemas_webhooks import SupervisorsIn
from dispatch import views_outbox as views
from dispatch.adapters.accounts import audit
from dispatch.errors import DispatchError
from dispatch.supervisors import SetSupervisors


class SupervisorsHandler(AccountsBase):
    """GET the list with the accounts and streets to pick from; POST replaces the list."""

    def _view(self) -> dict[str, Any]:
        with self.app.engine.connect() as conn:
            return {"people": views.supervisors(conn), "accounts": views.staff(conn),
                    "streets": views.streets(conn)}

    async def get(self) -> None:
        await self.run(self._view)

    async def post(self) -> None:
        body = await self._body(SupervisorsIn)
        if body is None:
            return
        actor = self.actor()

        def work() -> dict[str, Any]:
            try:
                self.handle(SetSupervisors(people=tuple(body["people"]), actor=actor,
                                           reason=body.get("reason") or "管理页修改督办人名单"))
            except DispatchError as err:
                with self.app.engine.begin() as conn:
                    audit(conn, actor=actor, action="supervisors_refused", entity="settings",
                          reason=err.message[:500],
                          detail={"field": err.detail.get("field"),
                                  "people": len(body["people"])})
                raise
            return self._view()
        await self.run(work)


def supervisor_routes(app: Any) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/api/v1/admin/supervisors", SupervisorsHandler, {"app": app})]
