"""The event security plan an organiser submits for review (YAML or JSON).

The sections follow what the review checklist asks for (``domain.md`` section 3), which in
turn follows the Terrorism (Protection of Premises) Act 2025 ("Martyn's Law"): the
public-protection procedures of s.5(3) (evacuation, invacuation, lockdown, communication),
the measures of s.6 (monitoring, movement, physical security, information security), the
document of s.7, plus good practice from ProtectUK, NPSA and the NaCTSO *Crowded Places
Guidance*.

Every section except ``event`` is optional: a missing section is a finding in the review,
not a validation error, so an organiser always gets advice back. Unknown fields are errors
(``extra="forbid"``) so a typo never silently drops evidence. Load files with
:func:`crowdguard.plans.review.load_plan`, which maps validation errors to file lines.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    PrivateAttr,
    model_validator,
)

from crowdguard.plans.hvm import Foundation, HvmRating, HvmStandard, parse_rating

__all__ = [
    "ALWAYS_STANDARD_KINDS",
    "DEPRECATED_BODY_CORPORATE",
    "SIA_REVISION_PERIOD_DAYS",
    "ChristmasMeasures",
    "Communication",
    "Coordination",
    "Dates",
    "EmergencyRoute",
    "EntryChecks",
    "Evacuation",
    "Event",
    "HvmProduct",
    "InformationSecurity",
    "Invacuation",
    "Lockdown",
    "Monitoring",
    "Movement",
    "Occupancy",
    "People",
    "PhysicalSecurity",
    "PoliceLiaison",
    "Procedures",
    "ResponsiblePersonType",
    "SecurityDocument",
    "SecurityPlan",
    "ThreatLevelMatrix",
    "Threats",
    "Training",
    "Venue",
    "VenueKind",
    "Vigilance",
]

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=80)]
Text = Annotated[str, Field(min_length=1)]

MAX_GAP_M = 1.2
"""Largest gap between HVM elements a vehicle cannot pass (checklist item M3; NPSA)."""


def _rating(value: object) -> object:
    return parse_rating(value) if isinstance(value, str) else value


Rating = Annotated[
    HvmRating,
    BeforeValidator(_rating),
    PlainSerializer(str, return_type=str),
]


class _Section(BaseModel):
    # Non-finite numbers (``.inf``, ``.nan``) are refused: no plan holds an infinite
    # time to secure or gap, and JSON cannot carry them back out.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class VenueKind(StrEnum):
    """Kinds of venue; worship, childcare, schools and further education stay standard tier
    (TPPA Sch. 1 paras 9, 13-15)."""

    christmas_market = "christmas_market"
    shopping_street = "shopping_street"
    shopping_centre = "shopping_centre"
    town_centre = "town_centre"
    ice_rink = "ice_rink"
    covered_market = "covered_market"
    outlet_village = "outlet_village"
    place_of_worship = "place_of_worship"
    school = "school"
    further_education = "further_education"
    childcare = "childcare"
    other = "other"


ALWAYS_STANDARD_KINDS = frozenset(
    {VenueKind.place_of_worship, VenueKind.school, VenueKind.further_education, VenueKind.childcare}
)
"""Kinds of premises Schedule 1 keeps in the standard tier whatever their size."""


class EntryChecks(StrEnum):
    """Entry checks that make an 800+ public event a qualifying event (TPPA s.3): payment,
    a ticket or pass, or being a member or a member's guest of a club. An invitation is not
    one: a private, invitation-only event is not open to the public (``public_access``)."""

    none = "none"
    ticket = "ticket"
    pass_ = "pass"
    payment = "payment"
    membership = "membership"


def _entry_checks(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() == "invitation":
        raise ValueError(
            "'invitation' is not an entry check under TPPA s.3 (payment, a ticket or pass, or "
            "membership or guest status of a club); for a private, invitation-only event set "
            "public_access: false and entry_checks: none, and if guests show a ticket or pass "
            "at the gate use ticket or pass"
        )
    return value


class ResponsiblePersonType(StrEnum):
    """What the responsible person (TPPA s.4) is. A Designated Senior Individual is needed
    at the enhanced tier wherever the responsible person **is not an individual** (s.10):
    a company or other body corporate, but also a partnership or an unincorporated
    association (a club or society)."""

    individual = "individual"
    body_corporate = "body_corporate"
    partnership = "partnership"
    unincorporated_association = "unincorporated_association"
    other_organisation = "other_organisation"


DEPRECATED_BODY_CORPORATE = (
    "event.body_corporate is deprecated: TPPA s.10 asks for a Designated Senior Individual "
    "wherever the responsible person is not an individual, not only for a body corporate; "
    "write event.responsible_person_type: individual, body_corporate, partnership, "
    "unincorporated_association or other_organisation instead"
)


class Event(_Section):
    """Who runs what, and what kind of person is responsible for it (TPPA s.4).

    ``responsible_person_type`` other than ``individual`` means a Designated Senior
    Individual is needed at the enhanced tier (s.10). The old ``body_corporate`` flag is
    still read (``true`` as ``body_corporate``, ``false`` as ``individual``) with a
    deprecation notice (:data:`DEPRECATED_BODY_CORPORATE`); it is never written back.
    """

    id: Slug
    name: Text
    organiser: Text
    organiser_contact: str = ""
    responsible_person_type: ResponsiblePersonType = ResponsiblePersonType.individual

    @model_validator(mode="before")
    @classmethod
    def _read_body_corporate(cls, data: object) -> object:
        if not isinstance(data, dict) or "body_corporate" not in data:
            return data
        data = dict(data)
        old = data.pop("body_corporate")
        if not isinstance(old, bool):
            raise ValueError(
                f"body_corporate: expected true or false, got {old!r} "
                "(deprecated: use responsible_person_type)"
            )
        implied = ResponsiblePersonType.body_corporate if old else ResponsiblePersonType.individual
        given = data.get("responsible_person_type")
        if given is None:
            data["responsible_person_type"] = implied
        elif (given == ResponsiblePersonType.individual.value) == old:
            raise ValueError(
                f"body_corporate: {str(old).lower()} contradicts responsible_person_type: "
                f"{given}; drop body_corporate (deprecated)"
            )
        return data

    @property
    def responsible_person_not_individual(self) -> bool:
        """The responsible person is not an individual, so at the enhanced tier a Designated
        Senior Individual is needed (TPPA s.10)."""
        return self.responsible_person_type is not ResponsiblePersonType.individual


class Venue(_Section):
    """Where. ``premises``: the event is in a building (with its land) used wholly or mainly
    for a Schedule 1 use, so the premises duties of TPPA s.2 apply rather than s.3."""

    id: Slug
    name: Text
    kind: VenueKind = VenueKind.other
    premises: bool = False
    place_of_worship: bool = False
    school: bool = False
    further_education: bool = False
    childcare: bool = False
    address: str = ""

    @property
    def always_standard(self) -> bool:
        """Worship, childcare, schools and further education stay standard even at 800+
        (TPPA Sch. 1 paras 9, 13-15)."""
        return (
            self.place_of_worship
            or self.school
            or self.further_education
            or self.childcare
            or self.kind in ALWAYS_STANDARD_KINDS
        )


class Dates(_Section):
    """When the event is open; ``hours`` as free text, e.g. ``"Sun-Thu 10-18, Fri-Sat 10-20"``."""

    opens: dt.date
    closes: dt.date
    hours: str = ""

    @model_validator(mode="after")
    def _order(self) -> Dates:
        if self.closes < self.opens:
            raise ValueError(f"closes ({self.closes}) is before opens ({self.opens})")
        return self


class Occupancy(_Section):
    """Reasonable maximum number present at once, staff included (TPPA s.2-3), and how."""

    maximum: int = Field(ge=0)
    includes_staff: bool = False
    method: str = ""


class People(_Section):
    """The responsible person (TPPA s.4), the Designated Senior Individual where that person
    is not an individual (s.10, enhanced tier), and the SIA notification reference (s.9)."""

    responsible_person: str = ""
    designated_senior_individual: str = ""
    sia_notification_reference: str = ""


class Coordination(_Section):
    """Co-ordination with other responsible persons (TPPA s.8) and with partners.

    ``other_responsible_persons`` names the others responsible (s.4) for the same premises
    or event (joint control; premises within premises, such as a shopping centre and its
    units; a host venue): ``[]`` says there are none, a missing field says nothing. The s.8
    duty binds only where such a person exists, and ``how_coordinated`` is the evidence.
    The council, Safety Advisory Group, CTSA and police, and a memorandum of understanding
    on risk, are best practice (Purple Guide counter-terrorism chapter; ProtectUK), not s.8.
    """

    other_responsible_persons: list[str] | None = None
    how_coordinated: str = ""
    landlord: bool = False
    co_occupiers: bool = False
    council: bool = False
    safety_advisory_group: bool = False
    ctsa: bool = False
    police: bool = False
    mou_on_risk: bool = False
    minutes: list[str] = Field(default_factory=list)

    @property
    def partners(self) -> int:
        """How many of the six partners the organiser coordinates with."""
        flags = (
            self.landlord,
            self.co_occupiers,
            self.council,
            self.safety_advisory_group,
            self.ctsa,
            self.police,
        )
        return sum(flags)

    @property
    def agencies(self) -> int:
        """How many of the council, Safety Advisory Group, CTSA and police the organiser
        works with (best practice: Purple Guide; ProtectUK)."""
        return sum((self.council, self.safety_advisory_group, self.ctsa, self.police))


class Evacuation(_Section):
    """TPPA s.5(3)(a); gov.uk Crowded Places Guidance (EIL); ProtectUK tactic RB4."""

    routes: list[str] = Field(default_factory=list)
    modes: list[Literal["partial", "phased", "full"]] = Field(default_factory=list)
    disabled_people: str = ""
    dispersal: str = ""
    emergency_access: str = ""
    map: str = ""


class Invacuation(_Section):
    """TPPA s.5(3)(b): protected spaces people move into, and the routes to them."""

    protected_spaces: list[str] = Field(default_factory=list)
    routes: list[str] = Field(default_factory=list)


class Lockdown(_Section):
    """TPPA s.5(3)(c): how entry and exit stop, who authorises, how long it takes."""

    how_entry_stops: str = ""
    authorised_by: str = ""
    time_to_secure_minutes: float | None = Field(default=None, gt=0)


class Communication(_Section):
    """TPPA s.5(3)(d): how people present are told what to do."""

    public_address: bool = False
    radios: bool = False
    code_words: bool = False
    scripts: bool = False
    signage: bool = False
    link_999: str = ""


class Procedures(_Section):
    """The four public-protection procedures of TPPA s.5(3) and how decisions are made."""

    evacuation: Evacuation | None = None
    invacuation: Invacuation | None = None
    lockdown: Lockdown | None = None
    communication: Communication | None = None
    decision_triggers: str = ""
    staff_act_without_police: bool = False
    decisions_logged: bool = False


class Training(_Section):
    """Staff awareness and exercising (ProtectUK ACT, SCaN, Run Hide Tell, HOT)."""

    act_elearning: bool = False
    scan: bool = False
    run_hide_tell: bool = False
    hot: bool = False
    briefings: bool = False
    training_log: bool = False
    exercised_on: dt.date | None = None
    reviewed_after_incidents: bool = False

    @property
    def awareness_courses(self) -> int:
        """How many of ACT, SCaN, Run Hide Tell and HOT staff have done."""
        return sum((self.act_elearning, self.scan, self.run_hide_tell, self.hot))


class Monitoring(_Section):
    """TPPA s.6: monitoring of the site *and its immediate vicinity*."""

    cctv: bool = False
    covers_vicinity: bool = False
    control_room: bool = False
    security_patrols: bool = False
    hostile_reconnaissance_detection: bool = False
    bid_or_police_liaison: bool = False


class Movement(_Section):
    """TPPA s.6: movement of people into, out of and within the site."""

    ingress_egress_plan: bool = False
    pinch_points: list[str] = Field(default_factory=list)
    density_limit_per_m2: float | None = Field(default=None, gt=0)
    queue_management: bool = False
    search: bool = False
    entry_control: bool = False
    crowd_model: str = ""


class HvmProduct(_Section):
    """One rated HVM product in the layout, with its impact-test rating (NPSA; PAS 68)."""

    name: Text
    rating: Rating
    standard: HvmStandard
    foundation: Foundation
    certificate: str = ""
    count: int = Field(default=1, ge=1)


class EmergencyRoute(_Section):
    """A vehicle gap kept for emergency access; Magdeburg (2024) came through one."""

    name: Text
    width_m: float = Field(gt=0)
    rated_removable_barrier: bool = False
    staffed: bool = False


class PhysicalSecurity(_Section):
    """TPPA s.6 physical measures; HVM per NPSA *HVM - Schemes for the Streetscape*."""

    vehicle_dynamics_assessment: str = ""
    required_mass_kg: int | None = Field(
        default=None, gt=0, description="test-vehicle mass the VDA says barriers must stop"
    )
    required_speed_kmh: int | None = Field(
        default=None, gt=0, description="impact speed the VDA says barriers must withstand"
    )
    hvm_products: list[HvmProduct] = Field(default_factory=list)
    unrated_measures: list[str] = Field(default_factory=list)
    max_gap_m: float | None = Field(default=None, gt=0)
    emergency_routes: list[EmergencyRoute] = Field(default_factory=list)
    glazing_assessed: bool = False

    @property
    def rated_hvm(self) -> bool:
        """At least one product with an impact-test rating (unrated blocks are not HVM)."""
        return bool(self.hvm_products)

    @property
    def ratings_meet_vda(self) -> bool:
        """Every product is rated for at least the vehicle mass and speed the Vehicle Dynamics
        Assessment requires (NPSA: the VDA sets the rating; a car-rated bollard does not stop
        a lorry). False when the VDA requirement is not stated or there is no product."""
        if self.required_mass_kg is None or self.required_speed_kmh is None:
            return False
        return bool(self.hvm_products) and all(
            p.rating.mass_kg >= self.required_mass_kg
            and p.rating.speed_kmh >= self.required_speed_kmh
            for p in self.hvm_products
        )

    @property
    def gaps_closed(self) -> bool:
        """Every gap at most 1.2 m, and every emergency route closed by a rated, staffed,
        removable barrier (``domain.md`` section 5, [DESIGN] checker)."""
        if self.max_gap_m is None or self.max_gap_m > MAX_GAP_M:
            return False
        return all(r.rated_removable_barrier and r.staffed for r in self.emergency_routes)


class InformationSecurity(_Section):
    """TPPA s.6: security of information about the site and its protection."""

    plans_unpublished: bool = False
    rotas_unpublished: bool = False
    staff_vetting: bool = False
    insider_risk_assessed: bool = False
    document_control: bool = False


SIA_REVISION_PERIOD_DAYS = 30
"""TPPA s.7(2): a revised document goes to the SIA before the end of the period of 30 days
*beginning with* the day of its revision."""


class SecurityDocument(_Section):
    """TPPA s.7: the security document; a copy to the SIA as soon as reasonably practicable
    after it is prepared and, when revised, within the 30 days beginning with the revision day."""

    reference: str = ""
    last_revised: dt.date | None = None
    sent_to_sia: dt.date | None = None

    @property
    def sent_within_30_days(self) -> bool:
        """Sent to the SIA within the period of 30 days beginning with the day of its last
        revision (TPPA s.7(2)). The revision day is day 1 of the 30, so the last day in time
        is the 29th day after it: revised on 1 October, sent by 30 October."""
        if self.last_revised is None or self.sent_to_sia is None:
            return False
        return 0 <= (self.sent_to_sia - self.last_revised).days < SIA_REVISION_PERIOD_DAYS


ThreatKind = Literal[
    "vehicle",
    "marauding_blade",
    "marauding_firearm",
    "ied",
    "pbied",
    "vbied",
    "cbr",
    "acid",
    "fire",
]


class Threats(_Section):
    """Threats considered (NaCTSO *Crowded Places Guidance*): a risk register."""

    considered: list[ThreatKind] = Field(default_factory=list)
    risk_register: str = ""

    @property
    def covers_core(self) -> bool:
        """Vehicle as a weapon, marauding attack and IED are all considered."""
        c = set(self.considered)
        return (
            "vehicle" in c
            and bool(c & {"marauding_blade", "marauding_firearm"})
            and bool(c & {"ied", "pbied", "vbied"})
        )


class ThreatLevelMatrix(_Section):
    """Pre-agreed measures per response level (ProtectUK tactic IB1)."""

    normal: list[str] = Field(default_factory=list)
    heightened: list[str] = Field(default_factory=list)
    exceptional: list[str] = Field(default_factory=list)


class ChristmasMeasures(_Section):
    """Christmas-market good practice (``domain.md`` section 3, X1)."""

    no_gas_cylinders_in_chalets: bool = False
    chalet_search_open_close: bool = False
    lighting: bool = False
    weather_closure: bool = False


class PoliceLiaison(_Section):
    """Liaison with police: rendezvous points, emergency access routes, contacts (X2)."""

    rendezvous_points: list[str] = Field(default_factory=list)
    access_routes: list[str] = Field(default_factory=list)
    control_room_contacts: list[str] = Field(default_factory=list)


class Vigilance(_Section):
    """Vigilance messaging (ProtectUK toolkit): campaign assets, ACT and 999 signs."""

    campaign_assets: bool = False
    act_signage: bool = False
    signs_999: bool = False


class SecurityPlan(_Section):
    """An event security plan as submitted: every section but ``event`` is optional.

    ``public_access`` and ``entry_checks`` decide whether an event of 800 or more is a
    qualifying event (TPPA s.3): it must be open to the public, with entry checks.
    ``fictional_details`` lists details of the plan that are invented (demo data): they are
    repeated in the advice letter and the patrol report so nobody mistakes them for facts
    about a real organisation.
    """

    event: Event
    venue: Venue | None = None
    dates: Dates | None = None
    occupancy: Occupancy | None = None
    public_access: bool = True
    entry_checks: Annotated[EntryChecks, BeforeValidator(_entry_checks)] = EntryChecks.none
    people: People | None = None
    coordination: Coordination | None = None
    procedures: Procedures | None = None
    training: Training | None = None
    monitoring: Monitoring | None = None
    movement: Movement | None = None
    physical: PhysicalSecurity | None = None
    information: InformationSecurity | None = None
    document: SecurityDocument | None = None
    threats: Threats | None = None
    threat_levels: ThreatLevelMatrix | None = None
    christmas: ChristmasMeasures | None = None
    police_liaison: PoliceLiaison | None = None
    vigilance: Vigilance | None = None
    fictional_details: list[Text] = Field(default_factory=list)

    _notices: list[tuple[tuple[str, ...], str]] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _collect_notices(
        cls, data: object, handler: ModelWrapValidatorHandler[SecurityPlan]
    ) -> SecurityPlan:
        plan = handler(data)
        event = data.get("event") if isinstance(data, dict) else None
        if isinstance(event, dict) and "body_corporate" in event:
            plan._notices.append((("event", "body_corporate"), DEPRECATED_BODY_CORPORATE))
        return plan

    @property
    def notices(self) -> list[tuple[tuple[str, ...], str]]:
        """Deprecation notices from validation: (field location, message). The plan was
        read (old fields mapped to new ones); the notices say what to write instead."""
        return list(self._notices)
