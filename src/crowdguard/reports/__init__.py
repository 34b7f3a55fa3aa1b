"""Public reports of concern: schemas by role, THRIVE triage and duplicate suggestions.

See ``docs/theory/respond.md`` for the triage rules and a worked example.
"""

from __future__ import annotations

from crowdguard.reports.duplicates import (
    DuplicateCandidate,
    DuplicatePair,
    candidate_from_report,
    suggest_duplicates,
)
from crowdguard.reports.models import (
    EMERGENCY_REMINDER,
    HONEYPOT_FIELD,
    Contact,
    ReportCategory,
    ReportControl,
    ReportCreate,
    ReportedItem,
    ReportedPerson,
    ReportedVehicle,
    ReportLocation,
    ReportPublic,
    new_reference,
)
from crowdguard.reports.triage import (
    Grade,
    GradeOverride,
    Reason,
    Route,
    Thrive,
    TriageResult,
    override_grade,
    scenario_venue_open,
    triage,
)

__all__ = [
    "EMERGENCY_REMINDER",
    "HONEYPOT_FIELD",
    "Contact",
    "DuplicateCandidate",
    "DuplicatePair",
    "Grade",
    "GradeOverride",
    "Reason",
    "ReportCategory",
    "ReportControl",
    "ReportCreate",
    "ReportLocation",
    "ReportPublic",
    "ReportedItem",
    "ReportedPerson",
    "ReportedVehicle",
    "Route",
    "Thrive",
    "TriageResult",
    "candidate_from_report",
    "new_reference",
    "override_grade",
    "scenario_venue_open",
    "suggest_duplicates",
    "triage",
]
