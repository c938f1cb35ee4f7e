"""The names every stage shares, defined once: risk tiers, inspection levels, severities, ranks.

Settings validate against these (the ``Literal`` types), the output contracts check the
CSVs' columns against them, and sampling, scoring and the reports order by the ranks here; the
words a person reads for each of them are in the words files (contracts/words).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# Risk tiers of a supplier, lowest first; a tier ranks above every tier before it.
Tier = Literal["low", "medium", "high", "critical"]
RISK_TIERS: Final[tuple[str, ...]] = get_args(Tier)
TIER_RANK: Final = {tier: rank for rank, tier in enumerate(RISK_TIERS)}
WORST_FIRST: Final = tuple(reversed(RISK_TIERS))
# A tier a rule may ask for, or "none" (the rule is off).
MinimumTier = Literal["none"] | Tier

# Inspection levels of ISO 2859-1 table 1, least discriminating first: the special levels
# S-1 … S-4, then the general levels I, II (the standard's default) and III. A tier "raises"
# a supplier's level to one later in this order.
InspectionLevel = Literal["S-1", "S-2", "S-3", "S-4", "I", "II", "III"]
INSPECTION_LEVELS: Final[tuple[str, ...]] = get_args(InspectionLevel)
LEVEL_RANK: Final = {level: rank for rank, level in enumerate(INSPECTION_LEVELS)}

# Severities of inspection with a master table of plans (2-A normal, 2-B tightened, 2-C
# reduced), and where the switching rules can stand: those, or discontinued (clause 9.4: no
# plan; the stock is held and inspected with the tightened plan). Ranked mildest first.
SEVERITIES: Final = ("normal", "tightened", "reduced")
SWITCHING_SEVERITIES: Final = ("reduced", "normal", "tightened", "discontinued")
SEVERITY_RANK: Final = {severity: rank for rank, severity in enumerate(SWITCHING_SEVERITIES)}
