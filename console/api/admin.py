"""Admin faces of the API under /api/v1/admin: territory and roster imports, units, policy.

Every write goes through the domain or the import functions ``./run import`` uses: a policy
edit is the :class:`dispatch.commands.UpdatePolicy` command (validated, stored, audited), a
unit's status :class:`dispatch.commands.SetUnitStatus`, a roster edit or file the roster import,
areas and roads :func:`console.ops.importing.import_areas` / ``import_roads`` in one transaction
(a rejected file writes nothing and comes back as 422 with every located problem).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, ClassVar

from console.api import schemas
from console.api.dispatch import DispatchHandler
from console.api.read_status import read_status_routes
from console.bootstrap import App
from console.ops.admin_roster import (
    GEO_SUFFIXES,
    TABLE_SUFFIXES,
    area_files,
    edit_roster,
    rejected,
    save_upload,
    upload_dir,
)
from console.ops.import_audit import audited
from console.ops.importing import (
    import_addresses,
    import_areas,
    import_facilities,
    import_roads,
    import_units,
)
from dispatch import sms_text, vocab
from dispatch.errors import DispatchError, InvalidCommand
from dispatch.policy import Policy
from dispatch.views import list_units
from geo.coords import CRS_NAMES
from geo.errors import ImportRejected
from geo.importer import AREA_LEVELS, LEVEL_LABELS

CRS_CHOICES = CRS_NAMES
MAX_UPLOAD = 200 * 1024 * 1024
ROSTER_EDITS = ("capacity", "skills", "languages", "shift")
EDITABLE_POLICY = ("sign_minutes", "close_days", "warn_share", "auto_dispatch",
                   "stale_position_s", "reassign_on_sign_expiry", "escalate_on_red", "stars",
                   "subsidy", "sms_templates", "webhook_hosts")


TEMP_PATH = re.compile(r"/(?:[^/\s,]+/)*fq-admin-[^/\s]+/(?:[^/\s,]+/)*")


def _for_page(text: str) -> str:
    """The importer's words as the page shows them: upload names without the temporary
    folder, and the form's checkbox where the CLI would say --force."""
    return TEMP_PATH.sub("", text).replace("请加 --force", "请勾选“替换已被力量/事件引用的辖区”")


def problem_dicts(err: ImportRejected) -> list[dict[str, Any]]:
    return [{"kind": p.kind, "message": _for_page(p.message), "layer": p.layer, "code": p.code,
             "lon": p.lon, "lat": p.lat, "area_m2": p.area_m2, "line": _for_page(p.line())}
            for p in err.problems]


def policy_view(policy: Policy) -> dict[str, Any]:
    """The current policy and the labels the admin page needs to show it in Chinese."""
    return {"policy": policy.to_dict(), "editable": list(EDITABLE_POLICY),
            "labels": {"priorities": {str(k): v for k, v in vocab.PRIORITIES.items()},
                       "difficulties": vocab.DIFFICULTIES, "categories": vocab.CATEGORIES,
                       "sms": {"kinds": sms_text.LABELS, "placeholders": sms_text.PLACEHOLDERS,
                               "defaults": sms_text.DEFAULTS}}}


class AdminHandler(DispatchHandler):
    """Imports answer 422 with ``problems`` (every located finding) when rejected."""

    async def run_import(self, fn: Any) -> None:
        try:
            result = await asyncio.to_thread(fn)
        except ImportRejected as err:
            head = _for_page(err.report(limit=0).splitlines()[0])
            self.send_json({"error": {"code": "import_rejected", "message": head,
                                      "field": "file"},
                            "problems": problem_dicts(err)}, status=422)
            return
        except DispatchError as err:
            self.send_error_json(err.status, err.code, err.message,
                                 str(err.detail.get("field") or "") or None)
            return
        self.send_json(result)


class PolicyHandler(AdminHandler):
    async def get(self) -> None:
        await self.run(lambda: policy_view(self.app.dispatch.policy()))

    async def post(self) -> None:
        def work() -> dict[str, Any]:
            cmd = self.body(schemas.PolicyIn).to_command(actor=self.actor(),
                                                         reason="管理页修改策略")
            if not cmd.changes:
                raise InvalidCommand("changes 须为非空对象（要修改的策略项）", field="changes")
            bad = sorted(set(cmd.changes) - set(EDITABLE_POLICY))
            if bad:
                raise InvalidCommand(f"此页面不可修改的策略项：{', '.join(bad)}", field=bad[0])
            self.handle(cmd)
            return policy_view(self.app.dispatch.policy())
        await self.run(work)


class ImportHandler(AdminHandler):
    """POST multipart: ``areas`` (a file per level field, or a ``bundle`` zip), ``roads``,
    ``addresses`` or ``facilities`` (``file``), ``units`` (``file``, CSV/XLSX); ``crs``,
    ``force`` and ``dry_run`` (仅校验: check and report, write nothing) as form fields. Every
    import is audited under the signed-in name, with the files' SHA-256, refused ones too."""

    max_body = MAX_UPLOAD
    body_types: ClassVar[tuple[str, ...]] = ("multipart/form-data",)

    async def post(self, kind: str) -> None:
        if len(self.request.body) > MAX_UPLOAD:
            self.send_error_json(413, "too_large", "上传文件过大（上限 200 MB）", "file")
            return
        crs = self.get_body_argument("crs", "") or None
        if crs is not None and crs not in CRS_CHOICES:
            self.send_error_json(422, "bad_value", f"坐标系 crs 只能是 {'、'.join(CRS_CHOICES)}",
                                 "crs")
            return
        force = self.get_body_argument("force", "") in ("1", "true", "on")
        dry = self.get_body_argument("dry_run", "") in ("1", "true", "on")
        uploads = {name: files[0] for name, files in self.request.files.items() if files}
        actor = self.actor()

        def work() -> dict[str, Any]:
            with upload_dir() as folder:
                if kind == "areas":
                    fields = [f for f in (*AREA_LEVELS, "bundle") if f in uploads]
                    if not fields:
                        raise rejected("请至少上传一个层级的文件（如 街道 streets）或一个压缩包",
                                       "file")
                    saved = {f: save_upload(folder, f, uploads[f].filename, uploads[f].body,
                                            GEO_SUFFIXES) for f in fields}
                    files = area_files(saved)
                    names = [uploads[f].filename for f in fields]
                    what = "、".join(LEVEL_LABELS.get(f, "压缩包") for f in fields)
                    uploaded = [saved[f][0] for f in fields]
                    counts = audited(self.app.engine, actor=actor, kind=kind, files=uploaded,
                                     names=names, dry_run=dry,
                                     work=lambda conn: import_areas(conn, files, crs=crs,
                                                                    force=force, dry_run=dry,
                                                                    actor=actor))
                else:
                    if "file" not in uploads:
                        raise rejected("请选择要上传的文件", "file")
                    suffixes = {"units": TABLE_SUFFIXES, "roads": GEO_SUFFIXES}.get(
                        kind, TABLE_SUFFIXES + GEO_SUFFIXES)
                    path = save_upload(folder, "file", uploads["file"].filename,
                                       uploads["file"].body, suffixes)[0]
                    run = {"units": lambda conn: import_units(conn, path, dry_run=dry),
                           "roads": lambda conn: import_roads(conn, path, crs=crs, dry_run=dry),
                           "addresses": lambda conn: import_addresses(conn, path, crs=crs,
                                                                      dry_run=dry),
                           "facilities": lambda conn: import_facilities(conn, path, crs=crs,
                                                                        dry_run=dry)}[kind]
                    what = uploads["file"].filename
                    counts = audited(self.app.engine, actor=actor, kind=kind, files=[path],
                                     names=[what], dry_run=dry, work=run)
            return {"kind": kind, "imported": what, "counts": counts, "dry_run": dry}
        await self.run_import(work)


class AdminUnitsHandler(AdminHandler):
    """GET the roster, filtered by ``status``, ``type``, ``street`` and text ``q``."""

    async def get(self) -> None:
        status = self.get_query_argument("status", "") or None
        kind = self.get_query_argument("type", "") or None
        street = self.get_query_argument("street", "") or None
        q = self.get_query_argument("q", "").strip()

        def work() -> dict[str, Any]:
            if kind is not None and kind not in vocab.UNIT_TYPES:
                raise InvalidCommand(f"未知的单位类型：{kind}", field="type")
            items = self.read(list_units, status=status)
            items = [u for u in items
                     if (kind is None or u["type"] == kind)
                     and (street is None or str(u["street_id"]) == street)
                     and (not q or q in (u["name"] or "") or q in (u["code"] or ""))]
            return {"items": items, "total": len(items),
                    "labels": {"unit_types": vocab.UNIT_TYPES,
                               "unit_statuses": vocab.UNIT_STATUSES,
                               "categories": vocab.CATEGORIES, "languages": vocab.LANGUAGES,
                               "shifts": vocab.SHIFTS}}
        await self.run(work)


class AdminUnitHandler(AdminHandler):
    """POST ``{status?, reason?, capacity?, skills?, languages?, shift?}`` for one unit."""

    async def post(self, unit_id: str) -> None:
        def work() -> dict[str, Any]:
            model = self.body(schemas.AdminUnitIn)
            uid = int(unit_id)
            body = model.model_dump(exclude_unset=True)  # the roster's edits: as given
            edits = {k: body[k] for k in ROSTER_EDITS if k in body}
            status = model.status_command(unit_id=uid, actor=self.actor())
            done: dict[str, Any] = {"unit_id": uid}
            if edits:
                with upload_dir() as folder, self.app.engine.begin() as conn:
                    done["roster"] = edit_roster(conn, uid, edits, Path(folder))
            if status is not None:
                result = self.handle(status)
                done["status"] = result.as_dict() if hasattr(result, "as_dict") else result
            if len(done) == 1:
                raise InvalidCommand("没有要修改的内容", field="body")
            return done
        await self.run_import(work)


def admin_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/admin/policy", PolicyHandler, args),
        (r"/api/v1/admin/import/(areas|roads|units|addresses|facilities)", ImportHandler, args),
        (r"/api/v1/admin/units", AdminUnitsHandler, args),
        (r"/api/v1/admin/units/([0-9]+)", AdminUnitHandler, args),
        *read_status_routes(app),
    ]
