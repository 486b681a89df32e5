"""Each rule table is defined once: case-state lists live in their owner modules, the API's bounds
are the domain's constants, and the browser code copies neither."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from dispatch import clocks, followup, lifecycle, limits, passwords, record, telemetry, vocab, whistle
from dispatch.access import ROLES, SCOPES

ROOT = Path(__file__).resolve().parents[2]
STATES = frozenset(vocab.INCIDENT_STATES)
# "assigned" and "on_scene" are unit statuses too: a list of only those is the unit board's
UNIT_ONLY = STATES & frozenset(vocab.UNIT_STATUSES)
# The owners: vocabulary (names, open/done), lifecycle (transitions, actions, what a case waits
# for), clocks (which clock runs in which state).
OWNERS = {"dispatch/vocab.py", "dispatch/lifecycle.py", "dispatch/clocks.py"}
PACKAGES = ("console", "dispatch", "layers", "geo", "demo")
# Demo generators replay made-up histories step by step; they never decide a live case.
DEMO = re.compile(r"^(demo/|dispatch/demo_|dispatch/seed\.py|geo/generator/)")
# Dicts keyed by state names that are not rule tables, with the reason.
ALLOWED = {("console/desk_case.py", "TONE"): "the desk's colour per action name (the lifecycle "
                                             "names some actions after their target state)"}


def _states_in(names: list[str]) -> list[str]:
    """The case-state names of a literal collection that reads as a list of states."""
    hit = [n for n in names if n in STATES]
    if len(hit) < 2 or set(hit) <= UNIT_ONLY or 2 * len(hit) < len(names):
        return []
    return hit


def _strings(nodes: list[Any]) -> list[str]:
    return [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def python_copies(source: str, rel: str) -> list[str]:
    tree = ast.parse(source)
    names: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and node.value is not None:
                names[id(node.value)] = target.id
    found = []
    for node in ast.walk(tree):
        hit: list[str] = []
        if isinstance(node, ast.List | ast.Set | ast.Tuple):
            hit = _states_in(_strings(node.elts))
        elif isinstance(node, ast.Dict):
            if (rel, names.get(id(node))) in ALLOWED:
                continue
            hit = _states_in(_strings([k for k in node.keys if k is not None]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            hit = _states_in(re.findall(r"'([a-z_]+)'", node.value))
        if hit:
            found.append(f"{rel}:{node.lineno} {hit}")
    return found


def test_case_state_lists_live_only_in_their_owner_modules() -> None:
    copies = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in OWNERS or DEMO.match(rel) or rel.startswith("dispatch/adapters/orm"):
                continue
            copies += python_copies(path.read_text(encoding="utf-8"), rel)
    assert not copies, ("case-state lists outside dispatch/vocab, lifecycle and clocks (ask "
                        "them instead):\n" + "\n".join(copies))


def test_the_open_cases_index_is_the_vocabularys_done_states() -> None:
    # the ORM mirrors a migration's text; it must say what the vocabulary says
    from dispatch.adapters.orm import incidents

    index = next(i for i in incidents.indexes if i.name == "ix_incidents_open")
    where = str(index.dialect_options["postgresql"]["where"])
    assert where == f"state NOT IN {vocab.sql_list(vocab.DONE_STATES)}"


ARRAY = re.compile(r"\[([^\[\]]*)\]")
QUOTED = re.compile(r"[\"'`]([a-z_]+)[\"'`]")


def js_copies(text: str, rel: str) -> list[str]:
    found = []
    for m in ARRAY.finditer(text):
        names = QUOTED.findall(m.group(1))
        hit = _states_in(names)
        if hit:
            found.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1} {hit}")
    return found


def test_browser_code_copies_no_case_state_list() -> None:
    static = ROOT / "console" / "static"
    copies = []
    for path in sorted(static.rglob("*.js")):
        rel = path.relative_to(ROOT).as_posix()
        if "/vendor/" in rel or "/node_modules/" in rel:
            continue
        copies += js_copies(path.read_text(encoding="utf-8"), rel)
    assert not copies, ("case-state lists in browser code (serve them from dispatch: the "
                        "case's actions, the row's waiting/clocks):\n" + "\n".join(copies))


def test_the_scanners_catch_a_copy() -> None:
    # the guards above must be able to fail
    src = 'OPEN = ("registered", "located", "assigned")\nSQL = "state IN (\'resolved\',\'closed\')"\n'
    assert len(python_copies(src, "probe.py")) == 2
    assert python_copies('T = {"escalated": 1, "resolved": 2}', "probe.py")
    assert not python_copies('K = ("intake", "due", "closed", "on_time", "resolved")', "p.py")
    assert js_copies('const q = (r) => ["acknowledged", "on_scene"].includes(r.state)', "x.js")
    assert not js_copies('const S = [["assigned", "已派单"], ["on_scene", "到场"]]', "x.js")
    assert not js_copies('["on_scene", "assigned"]', "x.js")  # the unit board's statuses


def test_waiting_for_covers_each_open_state_once() -> None:
    seen = [s for states in lifecycle.WAITING_FOR.values() for s in states]
    assert sorted(seen) == sorted(vocab.OPEN_STATES)
    assert lifecycle.waiting_for("resolved") is None
    assert frozenset(vocab.OPEN_STATES) | {"resolved"} == clocks.ON_THE_CLOCK


# ---- the API's bounds are the domain's constants ------------------------------------------------

def _prop(doc: dict[str, Any], model: str, field: str) -> dict[str, Any]:
    prop = doc["components"]["schemas"][model]["properties"][field]
    for option in prop.get("anyOf", ()):  # optional fields: the non-null branch
        if option.get("type") != "null":
            return {**option, **{k: v for k, v in prop.items() if k != "anyOf"}}
    return dict(prop)


BOUNDS: list[tuple[str, str, str, Any]] = [
    ("WhistleIn", "departments", "maxItems", whistle.MAX_DEPARTMENTS),
    ("WhistleIn", "report_within_h", "maximum", whistle.MAX_REPORT_HOURS),
    ("WhistleIn", "report_within_h", "minimum", whistle.MIN_REPORT_HOURS),
    ("WhistleIn", "report_within_h", "default", whistle.REPORT_HOURS),
    ("WhistleIn", "reason", "maxLength", limits.REASON),
    ("ReportInIn", "note", "maxLength", limits.NOTE),
    ("ReportInIn", "department", "maxLength", whistle.DEPARTMENT_CODE),
    ("ConsultationIn", "participants", "maxItems", whistle.MAX_PARTICIPANTS),
    ("ConsultationIn", "outcome", "maxLength", whistle.MAX_TEXT),
    ("ParticipantIn", "name", "maxLength", limits.NAME),
    ("IncidentIn", "title", "maxLength", limits.TITLE),
    ("IncidentIn", "description", "maxLength", limits.DESCRIPTION),
    ("IncidentIn", "address", "maxLength", limits.ADDRESS),
    ("IncidentIn", "parties", "maxItems", limits.PARTIES),
    ("IncidentIn", "language", "maxLength", limits.LANGUAGE),
    ("IncidentIn", "crs", "enum", list(telemetry.CRSES)),
    ("PartyIn", "name", "maxLength", limits.NAME),
    ("PartyIn", "phone", "maxLength", limits.PHONE),
    ("AssignIn", "unit_ids", "maxItems", limits.UNITS_PER_DISPATCH),
    ("AssignIn", "reason", "maxLength", limits.REASON),
    ("TransitionIn", "note", "maxLength", limits.NOTE),
    ("TransitionIn", "oral_terms", "maxLength", limits.ORAL_TERMS),
    ("TransitionIn", "referred_to", "maxLength", limits.REFERRED_TO),
    ("TransitionIn", "unit_id", "maximum", limits.ID_MAX),
    ("FollowUpIn", "satisfaction", "minimum", followup.SATISFACTION_MIN),
    ("FollowUpIn", "satisfaction", "maximum", followup.SATISFACTION_MAX),
    ("FollowUpIn", "neighbours_visited", "maximum", followup.MAX_NEIGHBOURS),
    ("SuperviseIn", "reason", "maxLength", limits.REASON),
    ("LinkIn", "other_id", "maximum", limits.ID_MAX),
    ("PositionIn", "seq", "maximum", telemetry.MAX_SEQ),
    ("PositionIn", "accuracy_m", "maximum", telemetry.MAX_ACCURACY_M),
    ("UnmaskIn", "reason", "maxLength", limits.UNMASK_REASON),
    ("AdminUnitIn", "capacity", "maximum", limits.UNIT_CAPACITY),
    ("StepIn", "note", "maxLength", record.MAX_NOTE),
    ("SessionIn", "participants", "maxItems", record.MAX_PEOPLE),
    ("SessionIn", "place", "maxLength", record.PLACE),
    ("SessionParticipantIn", "note", "maxLength", record.PERSON_NOTE),
    ("AgreementIn", "committee", "maxLength", record.AGREEMENT_FIELDS["committee"][1]),
    ("AgreementIn", "facts", "maxLength", record.AGREEMENT_FIELDS["facts"][1]),
    ("AgreementIn", "terms", "maxLength", record.AGREEMENT_FIELDS["terms"][1]),
    ("AgreementIn", "performance", "maxLength", record.AGREEMENT_FIELDS["performance"][1]),
    ("JudicialIn", "court", "maxLength", record.BODY_NAME),
    ("ExtensionIn", "days", "maximum", record.MAX_EXTENSION_DAYS),
    ("ExtensionIn", "reason", "maxLength", limits.NOTE),
    ("AccountIn", "password", "maxLength", passwords.MAX_LENGTH),
    ("AccountIn", "username", "maxLength", limits.USERNAME),
    ("PasswordChangeIn", "new_password", "maxLength", passwords.MAX_INPUT),
    ("ApiKeyIn", "scopes", "maxItems", len(SCOPES)),
]


@pytest.mark.parametrize(("model", "field", "key", "value"), BOUNDS,
                         ids=[f"{m}.{f}.{k}" for m, f, k, _ in BOUNDS])
def test_openapi_bounds_are_the_domain_constants(model: str, field: str, key: str,
                                                 value: Any) -> None:
    from console.api.openapi import document

    assert _prop(document(), model, field)[key] == value


# ---- the browser's forms show the domain's limits ---------------------------------------------

def test_the_browser_limits_module_is_generated_from_the_constants() -> None:
    from console.ops import browser_limits

    assert browser_limits.PATH.read_text(encoding="utf-8") == browser_limits.module_text(), (
        "console/static/lib/limits.js is stale: run `python -m console.ops.browser_limits`")
    assert browser_limits.LIMITS["reason"] == limits.REASON
    assert browser_limits.LIMITS["record_note"] == record.MAX_NOTE


NUMERIC_MAXLENGTH = re.compile(r"maxlength\s*[=:]\s*[\"']?\d")


def test_browser_forms_take_their_maxlength_from_the_limits_module() -> None:
    static = ROOT / "console" / "static"
    literal = []
    for path in sorted(static.rglob("*.js")):
        rel = path.relative_to(ROOT).as_posix()
        if "/vendor/" in rel or "/node_modules/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        literal += [f"{rel}:{text.count(chr(10), 0, m.start()) + 1}"
                    for m in NUMERIC_MAXLENGTH.finditer(text)]
    assert not literal, "maxlength copied as a number (use LIMITS from fq/lib/limits.js):\n" + \
        "\n".join(literal)
    assert NUMERIC_MAXLENGTH.search('h("input", { maxlength: 500 })')
    assert not NUMERIC_MAXLENGTH.search('h("input", { maxlength: LIMITS.reason })')


ENUMS: list[tuple[str, str, Any]] = [
    ("IncidentIn", "priority", vocab.PRIORITY_CODES),
    ("IncidentIn", "difficulty", vocab.DIFFICULTIES),
    ("IncidentIn", "category", vocab.CATEGORIES),
    ("IncidentIn", "channel", vocab.CHANNELS),
    ("TransitionIn", "to", vocab.INCIDENT_STATES),
    ("TransitionIn", "outcome", vocab.OUTCOMES),
    ("FollowUpIn", "method", vocab.FOLLOWUP_METHODS),
    ("LinkIn", "kind", vocab.LINK_KINDS),
    ("UnitStatusIn", "status", vocab.UNIT_STATUSES),
    ("StepIn", "step", record.STEPS),
    ("SessionParticipantIn", "kind", record.PARTICIPANT_KINDS),
    ("SessionIn", "mode", record.MODES),
    ("JudicialIn", "status", record.JUDICIAL),
    ("AccountIn", "role", ROLES),
]


@pytest.mark.parametrize(("model", "field", "names"), ENUMS,
                         ids=[f"{m}.{f}" for m, f, _ in ENUMS])
def test_openapi_vocabularies_are_the_domains(model: str, field: str, names: Any) -> None:
    from console.api.openapi import document

    assert _prop(document(), model, field)["enum"] == list(names)


def test_supervision_levels_are_the_domains() -> None:
    from console.api.openapi import document
    from dispatch.handlers_supervise import SUPERVISION_LEVELS

    assert _prop(document(), "SuperviseIn", "level")["enum"] == list(SUPERVISION_LEVELS)
