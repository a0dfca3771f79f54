"""A certificate's life (docs/certificates.md): issue, surveil, suspend, restore, revoke, extend, reduce, convert, expire,
and the schedule the certificate lives by (catalogue, rule set, service, overlays)."""

from __future__ import annotations

import re

from engine import Diagnostic, certificates, did_you_mean
from engine.bdd.errors import StepFailure
from engine.bdd.values import parse_date, parse_list, unquote
from features.steps.context import Context, _expect, _repository
from features.steps.grammar import _KINDS, step

# ---------------------------------------------------------------------------------------------- certificates
# A certificate's life (docs/certificates.md): the moves rest on the latest decision of the scenario, and each is
# checked by the pure state machine of engine/certificates.py, as the service checks it.
_STATE_WORDS = {"valid": "valid", "suspended": "suspended", "revoked": "revoked", "cancelled": "cancelled",
                "expired": "expired", "not issued": "not_issued", "not yet issued": "not_issued"}
_STATE_ALTERNATIVES = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_STATE_WORDS, key=len, reverse=True))
_KINDS["state"] = _STATE_ALTERNATIVES
_SCHEDULE_NAMES = {"validity": "validity", "surveillance interval": "surveillance_interval",
                   "suspension period": "suspension_period", "renewal window": "renewal_window",
                   "transition period": "transition"}


class CertificateRun:
    """The certificate of a scenario: its log, the schedule it is issued with, a refused move not yet checked."""

    def __init__(self) -> None:
        repo = _repository()
        self.schedule = certificates.schedule_from_policy(repo.scheme.certificate if repo.scheme else None)
        self.events: list[certificates.Event] = []
        self.refusal: certificates.TransitionRefused | None = None
        self.decisions = 0


def _run(ctx: Context) -> CertificateRun:
    run = getattr(ctx, "certificate_run", None)
    if run is None:
        run = CertificateRun()
        ctx.certificate_run = run  # type: ignore[attr-defined]
    return run


def _refusal_expected(ctx: Context) -> bool:
    scenario, step_now = ctx.scenario, ctx.step
    if scenario is None or step_now is None:
        return False
    for s in scenario.steps:
        if s.line_number <= step_now.line_number:
            continue
        if s.type == "then" and re.search(r"\bis\s+refused\b", s.name):
            return True
        if s.type != "then":
            return False
    return False


def _facts(ctx: Context) -> certificates.DecisionFacts:
    decision = ctx.need_decision()
    run = _run(ctx)
    run.decisions += 1
    return certificates.DecisionFacts.from_decision_dict(decision.to_dict(), f"decision-{run.decisions}")


def _move(ctx: Context, event: certificates.Event) -> None:
    run = _run(ctx)
    if run.refusal is not None:
        raise StepFailure("", "", diagnostics=[*run.refusal.diagnostics, Diagnostic(
            "bdd_expectation_failed", "an earlier move was refused and no step checked it", None, None, None,
            "add `Then the move is refused with <code>` after it")])
    try:
        certificates.check(run.events, event)
    except certificates.TransitionRefused as e:
        if not _refusal_expected(ctx):
            raise StepFailure("", "", diagnostics=[*e.diagnostics, Diagnostic(
                "bdd_certificate_move_refused", f"the `{event.kind}` move was refused", None, None, None,
                "when the refusal is the point, add `Then the move is refused with <code>`")]) from None
        run.refusal = e
        return
    run.events.append(event)


@step("given", "the certificate schedule sets the {setting:text} to {period:text}")
def _schedule(ctx: Context, setting: str, period: str) -> None:
    name = _SCHEDULE_NAMES.get(" ".join(unquote(setting).lower().split()))
    if name is None:
        raise StepFailure("bdd_reference_error", f"unknown schedule setting `{setting}`",
                          hint=did_you_mean(unquote(setting), _SCHEDULE_NAMES))
    m = re.fullmatch(r"(\d+)\s+(day|days|month|months|year|years)", unquote(period).strip())
    if m is None:
        raise StepFailure("bdd_value_error", f"`{period}` is not a period", hint="write e.g. `3 months` or `1 year`")
    unit = m.group(2) if m.group(2).endswith("s") else m.group(2) + "s"
    run = _run(ctx)
    value = certificates.Period(int(m.group(1)), unit, "default", f"{ctx.file}:{ctx.here().line}")  # type: ignore[arg-type]
    run.schedule = run.schedule.with_overrides({name: value})


@step("when", "a certificate is issued on {date:date}", "the certification body issues a certificate on {date:date}")
def _issue(ctx: Context, date: str) -> None:
    facts = _facts(ctx)
    _move(ctx, certificates.Event("issued", parse_date(date), decision=facts,
                                  schedule=_certificate_schedule(ctx, facts)))  # (defined at the end of the file)


@step("when", "surveillance is recorded on {date:date}[ with the deadline {deadline:date}]")
def _surveil(ctx: Context, date: str, deadline: str | None = None) -> None:
    _move(ctx, certificates.Event("surveillance_recorded", parse_date(date), decision=_facts(ctx),
                                  deadline=parse_date(deadline) if deadline else None))


@step("when", "the certificate is suspended on {date:date}[ with the deadline {deadline:date}] because {reason:text}")
def _suspend(ctx: Context, date: str, reason: str, deadline: str | None = None) -> None:
    _move(ctx, certificates.Event("suspended", parse_date(date), unquote(reason),
                                  deadline=parse_date(deadline) if deadline else None))


@step("when", "the certificate is restored on {date:date}")
def _restore(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("restored", parse_date(date), decision=_facts(ctx)))


@step("when", "the certificate is revoked on {date:date} because {reason:text}",
      "the certificate is cancelled on {date:date} because {reason:text}")
def _end(ctx: Context, date: str, reason: str) -> None:
    kind = "revoked" if re.search(r"\brevoked\b", ctx.step.name if ctx.step is not None else "") else "cancelled"
    _move(ctx, certificates.Event(kind, parse_date(date), unquote(reason)))


@step("when", "the certificate scope is extended on {date:date}")
def _extend(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("scope_extended", parse_date(date), decision=_facts(ctx)))


@step("when", "the certificate scope is reduced on {date:date} by the model[s] {models:list}")
def _reduce(ctx: Context, date: str, models: str) -> None:
    _move(ctx, certificates.Event("scope_reduced", parse_date(date), models=tuple(parse_list(models))))


@step("when", "the certificate is converted on {date:date}")
def _convert(ctx: Context, date: str) -> None:
    facts = _facts(ctx)
    _move(ctx, certificates.Event("converted", parse_date(date), decision=facts,
                                  schedule=_certificate_schedule(ctx, facts)))


@step("when", "the certificate's expiry is recorded on {date:date}")
def _expire(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("expired", parse_date(date)))


def _status(ctx: Context, date: str) -> certificates.Status:
    run = _run(ctx)
    if not run.events:
        raise StepFailure("bdd_missing_context", "no certificate has been issued",
                          hint="add `When a certificate is issued on <date>` before the Then steps")
    return certificates.status_as_of(run.events, parse_date(date))


@step("then", "the certificate is {state:state} on {date:date}")
def _state(ctx: Context, state: str, date: str) -> None:
    status = _status(ctx, date)
    expected = _STATE_WORDS[" ".join(state.lower().split())]
    detail = f"since {status.since}" + (f": {status.reason}" if status.reason else "") if status.since else None
    _expect(status.state, expected, f"the certificate's state on {date}", detail)


@step("then", "the suspension deadline is {deadline:date} and is missed on {date:date}")
def _missed(ctx: Context, deadline: str, date: str) -> None:
    status = _status(ctx, date)
    _expect(str(status.suspension_deadline), parse_date(deadline).isoformat(), "the suspension deadline")
    if not status.deadline_missed:
        raise StepFailure("bdd_expectation_failed", f"the suspension deadline is not missed on {date}")


@step("then", "on {date:date} the certificate covers the model[s] {models:list}")
def _covers(ctx: Context, date: str, models: str) -> None:
    facts = _status(ctx, date).facts
    got = ", ".join(facts.models) if facts else "nothing"
    _expect(got, ", ".join(parse_list(models)), f"the models covered on {date}")


@step("then", "on {date:date} the certificate applies {edition:text}")
def _cert_edition(ctx: Context, date: str, edition: str) -> None:
    facts = _status(ctx, date).facts
    name = unquote(edition)
    if facts is None or name not in (facts.standard, facts.ruleset_id):
        raise StepFailure("bdd_expectation_failed", f"on {date} the certificate applies "
                          f"`{facts.standard if facts else 'nothing'}`, not `{name}`")


@step("then", "the certificate is valid until {date:date}")
def _valid_until(ctx: Context, date: str) -> None:
    facts = _status(ctx, date).facts
    _expect(str(facts.valid_until if facts else None), parse_date(date).isoformat(), "the last day of validity")


@step("then", "the move is refused with {code}", "the move is refused because {text:text}")
def _refused(ctx: Context, code: str | None = None, text: str | None = None) -> None:
    run = _run(ctx)
    refusal, run.refusal = run.refusal, None
    if refusal is None:
        raise StepFailure("bdd_expectation_failed", "the move was not refused: it was recorded")
    if code is not None and unquote(code) not in [d.code for d in refusal.diagnostics]:
        raise StepFailure("bdd_expectation_failed", f"the move was refused, but not with `{unquote(code)}`",
                          hint="it was refused with " + ", ".join(f"`{d.code}`: {d.message}"
                                                                 for d in refusal.diagnostics))
    if text is not None and unquote(text) not in " ".join(d.message for d in refusal.diagnostics):
        raise StepFailure("bdd_expectation_failed", f"the move was refused, but the reason does not say "
                          f"`{unquote(text)}`", hint="it says: " + "; ".join(d.message for d in refusal.diagnostics))



# ================================================================================================================
# Certificates: the schedule of the decision's rule set (its own settings, the overlays of the scenario), added by
# the certificate-schedule work (docs/certificates.md, "The schedule"). Kept apart from the certificate steps above
# so that it moves as one block; `_issue` and `_convert` above call `_certificate_schedule`.
# ================================================================================================================

def _certificate_schedule(ctx: Context, facts: certificates.DecisionFacts) -> certificates.Schedule:
    """The schedule a certificate resting on `facts` lives by, as the service resolves it: the scheme's settings,
    the rule set's (with the scenario's overlays), the settings `Given the certificate schedule sets …` made (the
    service's settings of a certification body)."""
    run = _run(ctx)
    repo = _repository(ctx.overlays)
    scheme = repo.scheme.certificate if repo.scheme else None
    base = certificates.schedule_from_policy(scheme)
    service = {name: p for name in certificates.SCHEDULE_SETTINGS
               if (p := getattr(run.schedule, name)) is not None and p != getattr(base, name)}
    ruleset = repo.rulesets.get(facts.ruleset_id)
    return certificates.resolve_schedule(scheme, ruleset.certificate if ruleset else None, service)


_SET_BY_WORDS = {"the catalogue": "catalogue", "the rule set": "ruleset", "the service": "service",
                 "the certification body": "service"}


@step("then", "on {date:date} the certificate's {setting:text} is {period:text} set by {who:text}")
def _schedule_setting(ctx: Context, date: str, setting: str, period: str, who: str) -> None:
    """`Then on 2022-03-10 the certificate's surveillance interval is 12 months set by the overlay cb/x`, or
    `… validity is 5 years set by the catalogue` (the rule set, the service, the certification body)."""
    name = _SCHEDULE_NAMES.get(" ".join(unquote(setting).lower().split()))
    if name is None:
        raise StepFailure("bdd_reference_error", f"unknown schedule setting `{setting}`",
                          hint=did_you_mean(unquote(setting), _SCHEDULE_NAMES))
    facts = _status(ctx, date).facts
    value = getattr(facts.schedule, name) if facts is not None else None
    if value is None:
        raise StepFailure("bdd_expectation_failed", f"the certificate's {unquote(setting)} on {date}: expected "
                          f"`{unquote(period)}`, it is not set")
    _expect(value.text(), " ".join(unquote(period).split()), f"the certificate's {unquote(setting)} on {date}")
    words = " ".join(unquote(who).split())
    actual = f"the overlay {value.overlay}" if value.set_by == "overlay" else next(
        (w for w, k in _SET_BY_WORDS.items() if k == value.set_by), str(value.set_by))
    expected = words if words.startswith("the overlay ") else next(
        (w for w, k in _SET_BY_WORDS.items() if k == _SET_BY_WORDS.get(words)), words)
    _expect(actual, expected, f"who set the certificate's {unquote(setting)}",
            f"{value.provenance}" + (f": {value.source}" if value.source else ""))


@step("then", "on {date:date} the certificate's surveillance is due on {due:date}")
def _surveillance_due(ctx: Context, date: str, due: str) -> None:
    status = _status(ctx, date)
    _expect(str(status.surveillance_due), str(parse_date(due)), f"the certificate's surveillance due date on {date}",
            "; ".join(status.notes) or None)
