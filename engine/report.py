"""Render a Decision for people: a text report (rich tables and colours) built only from the decision's data."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .decision import CriterionResult, Decision, Measured, OpenGrade
from .models import unit_suffix

__all__ = ["render_decision", "print_decision", "format_value", "measured_text", "STRENGTH_WORDS"]

# How strong the source of a limit is, as the report prints it under the number (`limit_status`): primary = the
# standard's or rule's own text, secondary = a summary of it.
STRENGTH_WORDS = {
    "primary": "[primary source]",
    "secondary": "[secondary source]",
    "unconfirmed": "[unconfirmed]",
    "default": "[configurable default]",
    "confirmed": "[source strength not stated]",
}

_VERDICT_STYLE = {
    "pass": "bold green", "fail": "bold red", "missing": "yellow", "not_acceptable": "magenta",
    "undetermined": "cyan", "pending": "yellow", "not_applicable": "dim",
}
_OUTCOME_STYLE = {"granted": "bold white on green", "refused": "bold white on red", "incomplete": "bold black on yellow"}
_OUTCOME_WORDS = {
    "granted": "GRANTED — every requirement of the requested label is met",
    "refused": "REFUSED — at least one requirement of the requested label is not met",
    "incomplete": "INCOMPLETE — evidence is missing, not acceptable, or a corrective action is pending",
}


def format_value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return "–".join(format_value(x) for x in v)
    return str(v)


def measured_text(m: Measured | None) -> str:
    if m is None:
        return "—"
    unit = unit_suffix(m.unit)
    if m.not_detected:
        return f"n.d. (< {format_value(m.value)}{unit})"
    text = f"{format_value(m.value)}{unit}"
    if m.reported_unit and m.reported_unit != m.unit:
        text += f" (reported {format_value(m.reported_value)}{unit_suffix(m.reported_unit)})"
    return text


def _margin(c: CriterionResult) -> str:
    if c.margin is None:
        return "—"
    rel = f" ({c.margin_relative:+.0%})" if c.margin_relative is not None else ""
    return f"{c.margin:+.4g}{unit_suffix(c.limit_unit)}{rel}"


def _open_grade_text(og: OpenGrade) -> str:
    """A grade a not-detected result left open, and the more sensitive test that would prove it."""
    if og.detection_limit_max is None:
        return f"{og.id} open: only a quantified result (not `not detected`) can decide it"
    return (f"{og.id} open: a test with a detection limit ≤ {format_value(og.detection_limit_max)}"
            f"{unit_suffix(og.unit)} could prove it")


def render_decision(d: Decision) -> Group:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Application", d.application_id or "—")
    head.add_row("Product model", d.product_model)
    head.add_row("Category / unit", f"{d.category} / {d.certification_unit or '—'}")
    head.add_row("Rule set", f"{d.ruleset_id} ({d.standard}; {d.implementation_rule or 'no implementation rule'})")
    head.add_row("Version", d.ruleset_version)
    head.add_row("Evaluated as of", d.evaluated_on.isoformat())
    head.add_row("Requested scope", ", ".join(d.scope))
    if not d.binding:
        head.add_row("Binding", Text("no — self-check, not a certification decision", style="yellow"))
    parts: list[Any] = [
        Panel(Text(_OUTCOME_WORDS[d.outcome], style=_OUTCOME_STYLE[d.outcome]), title="Outcome"),
        head,
    ]

    crit = Table(title="Criteria (评价指标)", expand=False)
    for col in ("criterion", "requirement", "measured", "margin", "verdict"):
        crit.add_column(col, overflow="fold")
    sources = Table(title="Clauses and evidence (依据)", expand=False)
    for col in ("criterion", "clause", "evidence used", "limit source"):
        sources.add_column(col, overflow="fold")
    for c in d.criteria:
        if c.verdict == "not_applicable":
            continue
        verdict = Text(c.verdict, style=_VERDICT_STYLE.get(c.verdict, ""))
        if c.reason and c.verdict != "pass":
            verdict.append(f"\n{c.reason}", style="dim")
        req = Text(c.requirement)
        if c.limit_status in STRENGTH_WORDS:
            req.append(f"\n{STRENGTH_WORDS[c.limit_status]}", style="bold yellow" if c.limit_status == "unconfirmed"
                       else "dim")
        name = Text(c.id)
        name.append(f"\n{c.name_zh} {c.name_en}", style="dim")
        crit.add_row(name, req, measured_text(c.measured), _margin(c), verdict)
        ev = "—"
        if c.evidence is not None:
            e = c.evidence
            ev = e.id + (f", {e.laboratory}" if e.laboratory else "") + (f", {e.issued.isoformat()}" if e.issued else "")
        sources.add_row(c.id, c.clause, ev, c.source or "—")
    parts.append(crit)
    parts.append(sources)

    basic = Table(title="Basic requirements (基本要求)")
    for col in ("requirement", "verdict", "evidence", "clause"):
        basic.add_column(col, overflow="fold")
    for b in d.basic_requirements:
        v = Text(b.verdict, style=_VERDICT_STYLE.get(b.verdict, ""))
        if b.detail and b.verdict != "pass":
            v.append(f"\n{b.detail}", style="dim")
        basic.add_row(f"{b.name_zh}\n{b.name_en}", v, b.evidence.id if b.evidence else "—", b.clause)
    if d.factory_inspection is not None:
        fi = d.factory_inspection
        v = Text(fi.verdict, style=_VERDICT_STYLE.get(fi.verdict, ""))
        if fi.detail:
            v.append(f"\n{fi.detail}", style="dim")
        basic.add_row("工厂检查\nFactory inspection", v, fi.outcome or "—", fi.clause)
    parts.append(basic)

    labels = Table(title="Labels (标识)")
    for col in ("label", "kind", "status", "why"):
        labels.add_column(col, overflow="fold")
    for lab in d.labels:
        why = []
        if lab.grade:
            why.append(f"grade {lab.grade}" if lab.status == "eligible" else f"grade {lab.grade} proven, not awarded")
        why.extend(_open_grade_text(og) for og in lab.open_grades)
        if lab.failed:
            why.append("not met: " + ", ".join(lab.failed))
        if lab.open:
            why.append("open: " + ", ".join(lab.open))
        style = {"eligible": "green", "not_eligible": "red", "undetermined": "yellow"}[lab.status]
        labels.add_row(f"{lab.name_zh}\n{lab.name_en}", lab.kind, Text(lab.status, style=style), "\n".join(why) or "—")
    parts.append(labels)

    if d.missing_evidence:
        miss = Table(title="Missing evidence (待补充)")
        miss.add_column("for")
        miss.add_column("who")
        miss.add_column("what", overflow="fold")
        for m in d.missing_evidence:
            miss.add_row(m.ref, m.who, m.description)
        parts.append(miss)
    for caveat in d.caveats:
        parts.append(Text(f"note: {caveat}", style="dim"))
    return Group(*parts)


def print_decision(d: Decision, console: Console | None = None) -> None:
    (console or Console()).print(render_decision(d))
