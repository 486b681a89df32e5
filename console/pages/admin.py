"""The admin page (管理): territory and roster imports, the units roster, the policy, the audit log.

A thin face over ``/api/v1/admin/...``: the browser sends files and edits, the server runs the
import functions and domain commands, and shows their Chinese answers (located problems of a
rejected file, the counts of an accepted one, the policy as stored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import panel as pn
import param

from console.map import IMPORTMAP, STATIC_DIR, STATIC_URL, FqComponent
from dispatch import vocab
from dispatch.views_audit import ACTION_LABELS, ENTITY_LABELS
from geo.importer import LEVEL_LABELS


class AdminApp(FqComponent):
    """Tabs (辖区导入, 力量名册, 派单策略, 账号与密钥, 审计日志) drawn in the browser from the
    admin API."""

    api_base = param.String(default="/api/v1")

    labels = param.Dict(default={}, doc="Chinese labels of the domain's codes.")

    exports = param.Boolean(default=True, doc="Show the export links (HTML map, wall PNG).")

    # admin.js imports its tabs (admin_audit.js, admin_accounts.js, admin_mediators.js,
    # admin_outbox.js)
    _esm: ClassVar[Path] = STATIC_DIR / "admin.js"
    _importmap = IMPORTMAP


def labels() -> dict[str, Any]:
    return {"categories": vocab.CATEGORIES, "priorities": {str(k): v for k, v in
                                                           vocab.PRIORITIES.items()},
            "difficulties": vocab.DIFFICULTIES, "unit_types": vocab.UNIT_TYPES,
            "unit_statuses": vocab.UNIT_STATUSES, "languages": vocab.LANGUAGES,
            "shifts": vocab.SHIFTS, "levels": {k: v for k, v in LEVEL_LABELS.items()
                                               if k not in ("districts", "roads")},
            "states": vocab.INCIDENT_STATES, "audit_actions": ACTION_LABELS,
            "audit_entities": ENTITY_LABELS}


def create_admin(*, api_base: str = "/api/v1", static_url: str = STATIC_URL
                 ) -> pn.viewable.Viewable:
    """One session's admin page."""
    return AdminApp(api_base=api_base, labels=labels(), sizing_mode="stretch_width", margin=0,
                    stylesheets=[f"{static_url.rstrip('/')}/admin.css"])


def admin_page() -> Any:
    """Route factory for ``/admin``: the admin tabs and the logout control."""
    from console.pages.plain import logout_pane

    return pn.Column(create_admin(), logout_pane(), sizing_mode="stretch_width", margin=0)
