"""The public surface of the respond packages changes only on purpose (style.md lesson 6)."""

from __future__ import annotations

import crowdguard.dispatch
import crowdguard.reports
import crowdguard.simulation


def test_reports_api() -> None:
    assert set(crowdguard.reports.__all__) == {
        "EMERGENCY_REMINDER", "HONEYPOT_FIELD", "Contact", "DuplicateCandidate",
        "DuplicatePair", "Grade", "GradeOverride", "Reason", "ReportCategory", "ReportControl",
        "ReportCreate", "ReportLocation", "ReportPublic", "ReportedItem", "ReportedPerson",
        "ReportedVehicle", "Route", "Thrive", "TriageResult", "candidate_from_report", "new_reference", "override_grade",
        "scenario_venue_open", "suggest_duplicates", "triage",
    }  # fmt: skip


def test_dispatch_api() -> None:
    assert set(crowdguard.dispatch.__all__) == {
        "TASK_TRANSITIONS", "UNIT_TRANSITIONS", "DayRoster", "DispatchUnit", "LatLon",
        "MissedPatrol", "PlacedSegment", "Position", "Recommendation", "Task", "TaskState",
        "TransitionEvent", "TravelMinutes", "Unit", "UnitState", "arrive", "assign",
        "close_task", "matrix_travel", "parse_roster", "place_segments", "position_at",
        "recommend", "release", "straight_line_travel", "transition_task", "transition_unit",
    }  # fmt: skip


def test_simulation_api() -> None:
    assert set(crowdguard.simulation.__all__) >= {
        "IncidentDraw", "MMCEstimate", "OnSceneMinutes", "SeasonResult", "VenueSummary",
        "crowd_matrix", "draw_incidents", "erlang_b", "erlang_c", "exponential_on_scene",
        "lognormal_on_scene", "merge_rosters", "mmc_mean_wait", "simulate_mmc",
        "simulate_season",
    }  # fmt: skip


def test_every_name_in_all_exists() -> None:
    for module in (crowdguard.dispatch, crowdguard.reports, crowdguard.simulation):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
