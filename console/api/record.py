"""HTTP faces of the mediator's record: 五步, sessions (room booking), the 调解协议书 and its PDF,
司法确认, attachments, 延期, and the per-mediator record. Rules live in ``dispatch``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

from console.api.auth_scope import check_incident, filter_units
from console.api.dispatch import DispatchHandler, int_field
from console.api.schemas_record import (
    AgreementIn,
    CancelIn,
    DecisionIn,
    ExtensionIn,
    JudicialIn,
    SessionIn,
    StepIn,
)
from console.bootstrap import App
from console.exports.agreement_pdf import render_agreement
from dispatch import commands_record as r
from dispatch.access import masks_incident, scope_of
from dispatch.adapters.repository import IncidentRepository
from dispatch.attachments import MULTIPART_OVERHEAD, UPLOAD_MAX_BYTES
from dispatch.errors import DispatchError, Forbidden, InvalidCommand, NotFound
from dispatch.mediator_stats import DEFINITIONS, extension_figures, mediator_records
from dispatch.views_record import agreement_version, attachment, case_record, mask_record, rooms
from dispatch.views_resident import resident_feedback


class RecordHandler(DispatchHandler):
    """Shared: the case check (jurisdiction; a field unit acts on its own tasks only)."""

    def case(self, incident_id: str, *, own_task: bool = False) -> tuple[dict[str, Any], bool]:
        """The case's area facts and whether the caller reads it masked."""
        with self.app.engine.connect() as conn:
            facts, units = check_incident(conn, self.who, int(incident_id),
                                          self.required_action(), own_task=own_task)
        return facts, masks_incident(self.who, facts, units)

    def unit_of(self, asked: int | None) -> int | None:
        """The acting unit: a field account's own; others may name one (or none)."""
        return self.who.unit_id if self.who.role == "field" else asked

    async def send(self, incident_id: str, model: Any, build: Any, *,
                   own_task: bool = True) -> None:
        """Parse the body into ``model``, make its command (``build(body)``, the model's
        ``to_command``), check the case, run the command: 201."""
        def work() -> Any:
            cmd = build(self.body(model))
            self.case(incident_id, own_task=own_task)
            return self.handle(cmd)
        await self.run(work, status=201)

    async def refuse(self, err: DispatchError) -> None:
        """The domain's refusal as :meth:`run` sends it (for routes that answer bytes)."""
        def fail() -> None:
            raise err
        await self.run(fail)


class CaseRecordHandler(RecordHandler):
    async def get(self, incident_id: str) -> None:
        def work() -> Any:
            facts, masked = self.case(incident_id)
            with self.app.engine.connect() as conn:
                rec = case_record(conn, int(incident_id))
                row: dict[str, Any] = dict(IncidentRepository(conn).get(int(incident_id)) or {})
                rec["rooms"] = rooms(conn, street_id=facts.get("street_id"))
                # 扫码说事: the resident's own rating and notes, beside the officer's 回访
                feedback = None if masked else resident_feedback(conn, int(incident_id))
            return mask_record(rec, row) if masked else {**rec, "masked": False,
                                                         "resident_feedback": feedback}
        await self.run(work)


class StepsHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        await self.send(incident_id, StepIn, lambda body: body.to_command(
            incident_id=int(incident_id), actor=self.actor(), unit_id=self.unit_of(body.unit_id)))


class SessionsHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        await self.send(incident_id, SessionIn, lambda body: body.to_command(
            incident_id=int(incident_id), actor=self.actor()))


class CancelSessionHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str, session_id: str) -> None:
        await self.send(incident_id, CancelIn, lambda body: body.to_command(
            incident_id=int(incident_id), session_id=int(session_id), actor=self.actor()))


class AgreementHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        await self.send(incident_id, AgreementIn, lambda body: body.to_command(
            incident_id=int(incident_id), actor=self.actor()))


class AgreementPdfHandler(RecordHandler):
    """The latest version (or ``?version=N``) as a PDF; masked identities for masked readers."""

    async def get(self, incident_id: str) -> None:
        arg = self.get_query_argument("version", None)

        def work() -> tuple[bytes, str]:
            _, masked = self.case(incident_id)
            version = None if arg in (None, "") else int_field(arg, "version")
            with self.app.engine.connect() as conn:
                a = agreement_version(conn, int(incident_id), version)
            if a is None:
                raise NotFound("该案件尚无调解协议书" if version is None
                               else f"调解协议书第 {version} 版不存在", field="version")
            fonts = self.app.settings.state_dir / "cache" / "fonts"
            return (render_agreement(a, masked=masked, cache_dir=fonts),
                    f"{a['code']}-v{a['version']}")
        try:
            pdf, name = await asyncio.to_thread(work)
        except DispatchError as err:  # the domain's refusals come back as JSON
            await self.refuse(err)
            return
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition",
                        f"inline; filename*=UTF-8''{quote('调解协议书-' + name + '.pdf')}")
        self.set_header("Cache-Control", "private, no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(pdf)


class JudicialHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        await self.send(incident_id, JudicialIn, lambda body: body.to_command(
            incident_id=int(incident_id), actor=self.actor()))


class AttachmentsHandler(RecordHandler):
    """``multipart/form-data`` with one ``file`` part: the type is sniffed from the bytes."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}
    max_body = UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD  # this route's own, larger limit

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            files = self.request.files.get("file") or []
            if len(files) != 1:
                raise InvalidCommand("须以 multipart/form-data 上传一个 file（附件）",
                                     field="file")
            part = files[0]
            self.case(incident_id, own_task=True)
            out = self.handle(r.AddAttachment(
                incident_id=int(incident_id), content=bytes(part["body"]),
                filename=part.get("filename"), actor=self.actor(),
                unit_id=self.who.unit_id if self.who.role == "field" else None))
            return {k: out[k] for k in ("id", "sha256", "size", "content_type")}
        await self.run(work, status=201)


class AttachmentHandler(RecordHandler):
    """The bytes, only to those who read the case's parties; never cached, never sniffed."""

    async def get(self, attachment_id: str) -> None:
        def work() -> dict[str, Any]:
            with self.app.engine.connect() as conn:
                meta = attachment(conn, int(attachment_id), content=False)
            if meta is None:
                raise NotFound(f"附件 {attachment_id} 不存在", field="attachment_id")
            _, masked = self.case(str(meta["incident_id"]))
            if masked:
                raise Forbidden("附件含当事人信息，仅限本案经办人员查看",
                                incident_id=meta["incident_id"], action="attachment")
            with self.app.engine.connect() as conn:
                full = attachment(conn, int(attachment_id))
            assert full is not None
            return full
        try:
            a = await asyncio.to_thread(work)
        except DispatchError as err:
            await self.refuse(err)
            return
        self.set_header("Content-Type", a["content_type"])
        disposition = "inline" if a["content_type"].startswith("image/") else "attachment"
        self.set_header("Content-Disposition",
                        f"{disposition}; filename*=UTF-8''{quote(a['filename'] or 'file')}")
        self.set_header("Cache-Control", "private, no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        self.set_header("ETag", f'"{a["sha256"]}"')
        self.finish(bytes(a["content"]))


class ExtensionsHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        await self.send(incident_id, ExtensionIn, lambda body: body.to_command(
            incident_id=int(incident_id), actor=self.actor(), role=self.who.role,
            unit_id=self.unit_of(body.unit_id)))


class ExtensionDecisionHandler(RecordHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.extend"}

    async def post(self, incident_id: str, extension_id: str) -> None:
        await self.send(incident_id, DecisionIn, lambda body: body.to_command(
            incident_id=int(incident_id), extension_id=int(extension_id), actor=self.actor(),
            role=self.who.role), own_task=False)


class MediatorRecordsHandler(RecordHandler):
    """Per-mediator record over ``days`` (default 30), within the caller's jurisdiction."""

    async def get(self) -> None:
        days_arg = self.get_query_argument("days", "30")
        unit_arg = self.get_query_argument("unit", None)
        kind = self.get_query_argument("type", None) or None

        def work() -> Any:
            days = int_field(days_arg, "days")
            if not 1 <= days <= 366:
                raise InvalidCommand("days 须在 1 到 366 之间", field="days")
            unit = None if unit_arg in (None, "") else int_field(unit_arg, "unit")
            now = datetime.now(UTC)
            street = scope_of(self.who).street_id
            with self.app.engine.connect() as conn:
                rows = mediator_records(conn, now=now, days=days, unit_id=unit, unit_type=kind)
                ext = extension_figures(conn, now=now, days=days, street_id=street)
            return {"days": days, "items": filter_units(self.who, rows), "extensions": ext,
                    "definitions": DEFINITIONS}
        await self.run(work)


def record_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    n = r"(\d{1,9})"
    inc = rf"/api/v1/incidents/{n}"
    return [
        (rf"{inc}/record", CaseRecordHandler, args),
        (rf"{inc}/steps", StepsHandler, args),
        (rf"{inc}/sessions", SessionsHandler, args),
        (rf"{inc}/sessions/{n}/cancel", CancelSessionHandler, args),
        (rf"{inc}/agreement", AgreementHandler, args),
        (rf"{inc}/agreement\.pdf", AgreementPdfHandler, args),
        (rf"{inc}/judicial", JudicialHandler, args),
        (rf"{inc}/attachments", AttachmentsHandler, args),
        (rf"/api/v1/attachments/{n}", AttachmentHandler, args),
        (rf"{inc}/extensions", ExtensionsHandler, args),
        (rf"{inc}/extensions/{n}/decision", ExtensionDecisionHandler, args),
        (r"/api/v1/mediators/record", MediatorRecordsHandler, args),
    ]
