"""The BDD kit's engine side: application drafts built from Gherkin steps, typed values, criterion coverage."""

from .coverage import DEFINITION, Recorder, RuleSetCoverage, compute, render_text, report_data
from .draft import ApplicationDraft, Fill, Where
from .errors import StepFailure, render_failure

__all__ = [
    "DEFINITION", "ApplicationDraft", "Fill", "Recorder", "RuleSetCoverage", "StepFailure", "Where", "compute",
    "render_failure", "render_text", "report_data",
]
