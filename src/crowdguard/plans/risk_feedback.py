"""Plans feed risk: open findings raise the consequence of each attack mode.

A review says which protective measures an event lacks; the risk model
(:mod:`crowdguard.risk`) multiplies an attack's consequence by a *vulnerability multiplier*
per attack mode. This module derives those multipliers from a :class:`Review`:

* **vehicle** (vehicle as a weapon): no rated HVM (M3) leaves the consequence unmitigated;
  Berlin 2016 and Magdeburg 2024 (an unbarriered emergency route) are the lessons
  (``domain.md`` section 5). Movement (M2: queues kept off roads) and police liaison (X2)
  matter less.
* **marauding** (bladed weapon or firearm): lockdown (P3) and invacuation (P2) are what
  keep an attacker from reaching people (gov.uk Crowded Places Guidance, EIL);
  communication (P4), decision triggers (P5), staff awareness (P6) and liaison (X2) shorten
  the time to react.
* **ied** (including PBIED/VBIED): monitoring and hostile-reconnaissance detection (M1),
  search and entry control (M2), chalet searches (X1), HOT awareness (P6) and evacuation
  (P1) (NaCTSO *Crowded Places Guidance*; ProtectUK HOT).

Each open item multiplies the mode's multiplier by a factor: the first number when the
item is absent, the second when partial. **Every factor is a [DESIGN] estimate**, chosen so
that a plan missing everything for a mode roughly doubles that mode's consequence; they are
not measured and should be revisited with the CTSA team. Multipliers are always >= 1 and
never decrease when a finding gets worse.
"""

from __future__ import annotations

from types import MappingProxyType

from crowdguard.plans.review import Review

__all__ = ["ATTACK_MODES", "VULNERABILITY_FACTORS", "mitigation_gap_reasons", "mitigation_gaps"]

ATTACK_MODES = ("vehicle", "marauding", "ied")

VULNERABILITY_FACTORS: MappingProxyType[str, MappingProxyType[str, tuple[float, float]]] = (
    MappingProxyType(
        {
            "vehicle": MappingProxyType({"M3": (1.6, 1.25), "M2": (1.1, 1.05), "X2": (1.05, 1.02)}),
            "marauding": MappingProxyType(
                {
                    "P3": (1.35, 1.15),
                    "P2": (1.2, 1.1),
                    "P4": (1.15, 1.05),
                    "P5": (1.05, 1.02),
                    "P6": (1.05, 1.02),
                    "X2": (1.05, 1.02),
                }
            ),
            "ied": MappingProxyType(
                {
                    "M1": (1.35, 1.15),
                    "M2": (1.15, 1.05),
                    "X1": (1.1, 1.05),
                    "P6": (1.1, 1.05),
                    "P1": (1.1, 1.05),
                }
            ),
        }
    )
)
"""Per attack mode, per rule id: (factor if absent, factor if partial). [DESIGN] estimates."""


def _status(review: Review) -> dict[str, str]:
    return {item.rule: item.status for item in review.items}


def mitigation_gaps(review: Review) -> dict[str, float]:
    """Vulnerability multiplier (>= 1) per attack mode: ``{"vehicle", "marauding", "ied"}``.

    1.0 means the plan's measures for that mode are all adequate. Items missing from the
    review's catalogue count as adequate (nothing is known against them).
    """
    status = _status(review)
    gaps: dict[str, float] = {}
    for mode in ATTACK_MODES:
        multiplier = 1.0
        for rule, (absent, partial) in VULNERABILITY_FACTORS[mode].items():
            state = status.get(rule, "adequate")
            if state == "absent":
                multiplier *= absent
            elif state == "partial":
                multiplier *= partial
        gaps[mode] = round(multiplier, 4)
    return gaps


def mitigation_gap_reasons(review: Review) -> dict[str, list[str]]:
    """Per attack mode, the open items behind its multiplier (``"M3 absent"``...)."""
    status = _status(review)
    return {
        mode: [
            f"{rule} {status[rule]}"
            for rule in VULNERABILITY_FACTORS[mode]
            if status.get(rule, "adequate") != "adequate"
        ]
        for mode in ATTACK_MODES
    }
