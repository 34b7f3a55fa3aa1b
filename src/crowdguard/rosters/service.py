"""Rosters on a need-to-know basis.

Rosters are secret: a published patrol schedule defeats randomisation (Pita et al.,
"Deployed ARMOR protection", AAMAS 2008: the schedule must stay unpredictable to an
observer). Planners, admins and control see every team; an officer sees only their own
team's assignment, shift by shift, each shift only from ``lead`` before it starts ([DESIGN]
default two hours, ``CROWDGUARD_OFFICER_LEAD_MINUTES``): a team with a morning and an
evening shift on one date sees the evening's segments only from two hours before the
evening shift, not from the morning. Shift windows come from the team's shifts in the
plan's own scenario snapshot (the inputs that produced the roster); nobody else sees
rosters at all. Every read, allowed
or refused, is appended to the audit trail (who viewed what: ``domain.md`` section 9, item 5).
Roster contents are never logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.errors import InputError
from crowdguard.patrols.roster import DayRoster, Segment, parse_roster
from crowdguard.rosters.models import DayRosters, PlanRosters, StoredTeamRoster
from crowdguard.rosters.tables import RosterRow
from crowdguard.scenario.schema import Team, Weekday
from crowdguard.store.errors import ForbiddenError, NotFoundError
from crowdguard.users.models import Role

__all__ = [
    "FULL_ROSTER_ROLES",
    "day_rosters",
    "officer_next_shift",
    "patrolling",
    "patrols_between",
    "plan_day_at",
    "plan_rosters",
    "record_report_read",
    "store_rosters",
    "team_roster",
]

FULL_ROSTER_ROLES = frozenset({Role.admin, Role.planner, Role.control})
_LONDON = ZoneInfo("Europe/London")


def _segments(row: RosterRow) -> tuple[Segment, ...]:
    """A stored row's segments as the one roster model (an :class:`InputError` naming the
    row if the store holds something else)."""
    try:
        return tuple(Segment.model_validate(s) for s in row.segments)
    except ValidationError as exc:
        raise InputError(f"rosters[{row.date}].{row.team}: {exc.errors()[0]['msg']}") from None


def store_rosters(
    *, session: Session, plan_id: int, rosters: Mapping[str, DayRoster | Mapping[str, Any]]
) -> int:
    """Store a plan's rosters (``{date: roster}``, each a :class:`DayRoster` or a document
    of the contract, validated into one; the key is the date); returns the team-days stored."""
    count = 0
    for day, given in sorted(rosters.items()):
        document = given if isinstance(given, DayRoster) else {**given, "date": str(day)}
        roster = parse_roster(document, source=f"rosters[{day}]")
        for team in roster.teams:
            window = team.window()
            if window is None:
                midnight = dt.datetime.combine(roster.date, dt.time(0), tzinfo=_LONDON)
                window = (midnight, midnight)
            session.add(
                RosterRow(
                    plan_id=plan_id,
                    date=str(day),
                    team=team.team,
                    base=team.base,
                    starts_at=window[0],
                    ends_at=window[1],
                    segments=[s.model_dump(mode="json") for s in team.segments],
                )
            )
            count += 1
    session.flush()
    return count


def _audit_read(
    session: Session,
    actor: str | None,
    now: dt.datetime,
    what: str,
    detail: dict[str, Any],
    *,
    entity: str = "roster",
) -> None:
    """Audit one roster read (``roster.read``): which day, team or plan, never the contents."""
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="roster.read",
        entity=entity,
        entity_id=what,
        detail=detail,
    )


def _latest_rows(session: Session, day: dt.date) -> list[RosterRow]:
    from crowdguard.jobs.tables import PlanRow

    plan_id = session.scalar(
        select(RosterRow.plan_id)
        .join(PlanRow, PlanRow.id == RosterRow.plan_id)
        .where(RosterRow.date == day.isoformat(), PlanRow.status == "done")
        .order_by(RosterRow.plan_id.desc())
        .limit(1)
    )
    if plan_id is None:
        return []
    return list(
        session.scalars(
            select(RosterRow)
            .where(RosterRow.plan_id == plan_id, RosterRow.date == day.isoformat())
            .order_by(RosterRow.team)
        ).all()
    )


def _public(row: RosterRow) -> StoredTeamRoster:
    return StoredTeamRoster(
        team=row.team,
        base=row.base,
        segments=_segments(row),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        plan_id=row.plan_id,
    )


def _shift_starts(session: Session, row: RosterRow) -> list[dt.datetime]:
    """Start instants of the team's shifts on the roster's date, from the plan's snapshot.

    Empty when the snapshot does not name the team (then each run of contiguous segments
    counts as one shift, see :func:`_segment_shift_starts`).
    """
    from crowdguard.jobs.tables import PlanRow

    plan = session.get(PlanRow, row.plan_id)
    teams = (plan.scenario_snapshot or {}).get("teams", []) if plan is not None else []
    raw = next((t for t in teams if isinstance(t, dict) and t.get("callsign") == row.team), None)
    if raw is None:
        return []
    try:
        team = Team.model_validate(raw)
        day = dt.date.fromisoformat(row.date)
    except (ValidationError, ValueError):
        return []
    weekday = Weekday.of(day)
    return sorted(
        dt.datetime.combine(day, shift.hours.start, tzinfo=_LONDON)
        for shift in team.shifts
        if weekday in shift.days
    )


def _segment_shift_starts(segments: Sequence[Segment]) -> list[dt.datetime]:
    """Fallback shift starts: the start of each run of back-to-back segments."""
    starts: list[dt.datetime] = []
    previous_end: dt.datetime | None = None
    for segment in sorted(segments, key=lambda s: s.start):
        if previous_end is None or segment.start > previous_end:
            starts.append(segment.start)
        previous_end = max(previous_end or segment.start, segment.end)
    return starts


def _shift_of(segment: Segment, starts: Sequence[dt.datetime]) -> dt.datetime:
    """The start of the shift a segment belongs to: the latest one at or before it."""
    return max((s for s in starts if s <= segment.start), default=segment.start)


def _windowed(roster: StoredTeamRoster) -> StoredTeamRoster:
    """``roster`` with its window narrowed to the segments it shows."""
    window = roster.window()
    if window is None:
        return roster
    return roster.model_copy(update={"starts_at": window[0], "ends_at": window[1]})


def _officer_view(
    session: Session, row: RosterRow, now: dt.datetime, lead: dt.timedelta
) -> tuple[StoredTeamRoster | None, dt.datetime | None]:
    """The part of ``row`` an officer of its team may see now, shift by shift (a view of
    the one roster model: :meth:`~crowdguard.patrols.roster.TeamRoster.only`).

    Returns the visible roster (None when no shift is visible yet) and the instant the
    next hidden shift becomes visible (None when nothing is hidden).
    """
    full = _public(row)
    starts = _shift_starts(session, row) or _segment_shift_starts(full.segments)
    opens_next = min(
        (_shift_of(s, starts) - lead for s in full.segments if now < _shift_of(s, starts) - lead),
        default=None,
    )
    view = full.only(lambda s: now >= _shift_of(s, starts) - lead)
    if not view.segments:
        return None, opens_next
    return _windowed(view), opens_next


def _denied(
    session: Session, *, now: dt.datetime, actor: str, entity_id: str, reason: str, message: str
) -> ForbiddenError:
    """Audit a refused roster read (every read, allowed or refused, is audited) and return
    the 403 to raise."""
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="roster.denied",
        entity="roster",
        entity_id=entity_id,
        detail={"reason": reason},
    )
    return ForbiddenError(message)


def _too_early(day: dt.date, opens: dt.datetime, lead: dt.timedelta) -> str:
    """``date: ... visible from 08:00 ...``: when an officer's hidden roster can be read."""
    local = opens.astimezone(_LONDON)
    when = f"{local:%H:%M}" if local.date() == day else f"{local:%H:%M} on {local:%a %d %b}"
    hours = lead.total_seconds() / 3600
    return (
        f"date: your team's roster for {day:%a %d %b %Y} is visible from {when} "
        f"(Europe/London), {hours:g} h before its shift starts; ask again then"
    )


def plan_day_at(*, session: Session, now: dt.datetime) -> dt.date:
    """The roster date in force at ``now``: today (London), or yesterday in the early hours
    while a roster of yesterday still runs (an overnight shift belongs to the date it
    starts on: :meth:`~crowdguard.scenario.schema.Scenario.plan_window`). Reads only the
    rows' end times, not their contents."""
    today = now.astimezone(_LONDON).date()
    yesterday = today - dt.timedelta(days=1)
    if any(_aware(row.ends_at) > now for row in _latest_rows(session, yesterday)):
        return yesterday
    return today


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored instant as aware (SQLite hands back naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def day_rosters(
    *,
    session: Session,
    day: dt.date,
    role: Role,
    team: str | None,
    actor: str,
    now: dt.datetime,
    lead: dt.timedelta,
) -> DayRosters:
    """Every roster on ``day`` the caller may see, from the newest finished plan."""

    def deny(reason: str, message: str) -> ForbiddenError:
        return _denied(
            session, now=now, actor=actor, entity_id=day.isoformat(), reason=reason,
            message=message,
        )  # fmt: skip

    if role not in FULL_ROSTER_ROLES and role is not Role.officer:
        raise deny(f"role {role.value}", f"role: {role.value} may not see rosters")
    rows = _latest_rows(session, day)
    more_from: dt.datetime | None = None
    if role is Role.officer:
        views = [_officer_view(session, r, now, lead) for r in rows if r.team == team]
        shown = [v for v, _ in views if v is not None]
        hidden = [opens for _, opens in views if opens is not None]
        more_from = min(hidden, default=None)
        if views and not shown and more_from is not None:
            # Rostered, not yet released: say when, as the per-team address does, rather
            # than an empty list an officer would read as "no plan today".
            raise deny("too early", _too_early(day, more_from, lead))
    else:
        shown = [_public(r) for r in rows]
    _audit_read(session, actor, now, day.isoformat(), {"teams": [r.team for r in shown]})
    return DayRosters(
        date=day,
        plan_id=shown[0].plan_id if shown else None,
        teams=shown,
        more_from=more_from,
    )


def plan_rosters(*, session: Session, plan_id: int, actor: str, now: dt.datetime) -> PlanRosters:
    """Every roster one plan drew, day by day, for a download by a role that may read every
    roster (the caller checks the role: planners and admins). One audit row names the plan
    and its days, as a read of each (who viewed what: ``domain.md`` section 9, item 5)."""
    rows = list(
        session.scalars(
            select(RosterRow)
            .where(RosterRow.plan_id == plan_id)
            .order_by(RosterRow.date, RosterRow.team)
        ).all()
    )
    by_day: dict[str, list[StoredTeamRoster]] = {}
    for row in rows:
        by_day.setdefault(row.date, []).append(_public(row))
    _audit_read(
        session, actor, now, str(plan_id), {"download": True, "days": sorted(by_day)}, entity="plan"
    )
    return PlanRosters(
        plan_id=plan_id,
        days=[
            DayRosters(date=dt.date.fromisoformat(day), plan_id=plan_id, teams=teams)
            for day, teams in sorted(by_day.items())
        ],
    )


def record_report_read(*, session: Session, plan_id: int, actor: str, now: dt.datetime) -> None:
    """Audit a read of a plan's report (it maps a day's routes): a ``roster.read`` row."""
    _audit_read(session, actor, now, str(plan_id), {"report": True}, entity="plan")


def team_roster(
    *,
    session: Session,
    day: dt.date,
    callsign: str,
    role: Role,
    team: str | None,
    actor: str,
    now: dt.datetime,
    lead: dt.timedelta,
) -> StoredTeamRoster:
    """One team's roster on ``day``, if the caller may see it now."""

    def deny(reason: str, message: str) -> ForbiddenError:
        return _denied(
            session, now=now, actor=actor, entity_id=f"{day.isoformat()}/{callsign}",
            reason=reason, message=message,
        )  # fmt: skip

    if role not in FULL_ROSTER_ROLES and role is not Role.officer:
        raise deny(f"role {role.value}", f"role: {role.value} may not see rosters")
    if role is Role.officer and callsign != team:
        raise deny(
            "other team", f"team: officers see only their own team ({team}), not {callsign!r}"
        )
    row = next((r for r in _latest_rows(session, day) if r.team == callsign), None)
    if row is None:
        raise NotFoundError(f"team: no roster for {callsign!r} on {day.isoformat()}")
    shown = _public(row)
    if role is Role.officer:
        view, opens_next = _officer_view(session, row, now, lead)
        if view is None:
            raise deny("too early", _too_early(day, opens_next or row.starts_at - lead, lead))
        shown = view
    _audit_read(session, actor, now, f"{day.isoformat()}/{callsign}", {"teams": [callsign]})
    return shown


def patrols_between(
    *, session: Session, first: dt.date, last: dt.date, actor: str, now: dt.datetime
) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    """Every patrol segment ``(team, venue, start, end)`` rostered on ``first``..``last``
    (each date from its newest finished plan), for aggregate statistics (patrol hours per
    venue). The caller must publish aggregates only; the read is audited as
    ``roster.aggregate`` with the dates, never the contents."""
    out: list[tuple[str, str, dt.datetime, dt.datetime]] = []
    day = first
    while day <= last:
        for row in _latest_rows(session, day):
            for segment in _segments(row):
                if segment.kind == "patrol" and segment.venue:
                    out.append((row.team, segment.venue, segment.start, segment.end))
        day += dt.timedelta(days=1)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="roster.aggregate",
        entity="roster",
        entity_id=f"{first.isoformat()}:{last.isoformat()}",
        detail={"purpose": "patrol hours per venue"},
    )
    return out


def patrolling(
    *, session: Session, team: str, at: dt.datetime, actor: str | None, now: dt.datetime
) -> bool:
    """True when ``team``'s roster (the newest finished plan of ``at``'s London date, or of
    the day before for a shift running past midnight) has it on a patrol segment at ``at``.

    Dispatch asks this when it takes a team for an incident, so the operations log can say
    the deployment took it off a patrol (issue 15). The answer is one yes/no; the read is
    audited as ``roster.read`` naming the team and the moment, never the segment."""
    day = at.astimezone(_LONDON).date()
    found = False
    for date in (day - dt.timedelta(days=1), day):
        for row in _latest_rows(session, date):
            if row.team != team:
                continue
            found = found or any(
                segment.kind == "patrol" and segment.at(at) for segment in _segments(row)
            )
    _audit_read(
        session,
        actor,
        now,
        day.isoformat(),
        {"teams": [team], "purpose": "patrolling at dispatch", "at": at.isoformat()},
    )
    return found


def officer_next_shift(
    *,
    session: Session,
    team: str,
    actor: str,
    now: dt.datetime,
    lead: dt.timedelta,
) -> tuple[StoredTeamRoster | None, dt.datetime | None]:
    """An officer's next shift, for their own page: the part of their team's roster (today,
    else tomorrow, London dates) that is released (from ``lead`` before each shift,
    [DESIGN] secrecy) and not yet over, with the read audited; or ``(None, opens)`` with the
    instant the next shift is released (``opens`` None when nothing is rostered)."""
    today = now.astimezone(_LONDON).date()
    # yesterday's roster first: an overnight shift runs on past midnight under its start date
    for day in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
        row = next((r for r in _latest_rows(session, day) if r.team == team), None)
        if row is None:
            continue
        view, opens_next = _officer_view(session, row, now, lead)
        ahead = [] if view is None else [s for s in view.segments if s.end > now]
        if view is not None and ahead:  # the next shift only: the segments of its first one
            starts = _shift_starts(session, row) or _segment_shift_starts(_segments(row))
            first = _shift_of(ahead[0], starts)
            shift = view.model_copy(
                update={"segments": tuple(s for s in ahead if _shift_of(s, starts) == first)}
            )
            _audit_read(
                session,
                actor,
                now,
                f"{day.isoformat()}/{team}",
                {"teams": [team], "page": "officer"},
            )
            return _windowed(shift), None
        if opens_next is not None:
            return None, opens_next
    return None, None
