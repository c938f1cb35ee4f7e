"""What a purchaser does about each supplier: the union of what each finding calls for.

Each finding names an action code (``settings.ACTION_CODES``): the tier of the scores
(critical / high / medium), a discontinued inspection, a suspected counterfeit find awaiting
authentication, and the document gaps that leave a branded lot indefensible today. A supplier's
recommended actions are all of them, in the configured order of urgency, each followed by its
reason; "nothing to do" (``low``) only when no finding calls for anything. The words come from
scoring.toml ([actions]) and :mod:`.messages`; the codes go to supplier_scores.csv so machines
need not parse words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from supplier_audit.scoring import messages as msg
from supplier_audit.scoring.settings import STOP_ACTIONS, ScoringSettings

Row = Mapping[str, Any]
EVIDENCE_ACTIONS = ("hold_listings", "collect_documents", "goods_in_warning")


@dataclass(frozen=True)
class Actions:
    """Per supplier (index supplier_id): the codes, the recommended and the evidence actions."""

    codes: pd.Series  # ";"-joined action codes, most urgent first
    recommended: pd.Series  # every action with its reason, one per line
    evidence: pd.Series  # the document actions alone ("" when nothing is missing)
    stop_buying: pd.Series  # bool: an action stops or suspends buying


def _lots_text(lots: Sequence[str], shown: int, language: str) -> str:
    named = list(lots[:shown])
    rest = len(lots) - len(named)
    text = msg.LIST_SEPARATOR[language].join(named)
    if rest > 0:
        text += msg.AND_MORE[language].format(n=rest, total=len(lots))
    return text


def _documents_text(row: Row, settings: ScoringSettings, language: str) -> str:
    proof = settings.defensibility.proof()
    brands: dict[str, list[str]] = row["brands_missing_proof"] or {}
    parts = []
    for name in row["proof_missing"]:
        label = msg.label(msg.REQUIREMENT_LABELS, name, language)
        named = brands.get(name, [])
        if named and name in proof and proof[name].applies_to == "branded":
            shown = named[:3]
            label = msg.BRANDS[language].format(
                label=label,
                brands=msg.LIST_SEPARATOR[language].join(shown),
                more=msg.MORE_BRANDS[language].format(n=len(named)) if len(named) > 3 else "",
            )
        parts.append(label)
    return msg.LIST_SEPARATOR[language].join(parts)


def _score(value: float) -> str:
    return f"{value:.1f}"


def _codes(row: Row) -> list[str]:
    codes: list[str] = []
    counterfeit, quality = str(row["_counterfeit_tier"]), str(row["_quality_tier"])
    if counterfeit == "critical":
        codes.append("critical")
    if bool(row["inspection_discontinued"]):
        codes.append("discontinued")
    else:
        # (a discontinued supplier's own action already stops buying and tightens inspection;
        # "monitor" means nothing beside "stop purchasing now")
        stopped = counterfeit == "critical"
        if counterfeit == "high" or (counterfeit == "medium" and not stopped):
            codes.append(counterfeit)
        if quality == "high" or (quality == "medium" and not stopped):
            codes.append(f"quality_{quality}")
    if int(row["counterfeit_units_suspected"]) > 0:
        codes.append("authenticate")
    if row["lots_to_hold"]:
        codes.extend(["hold_listings", "collect_documents"])
    if int(row["lots_received_unchecked"]) > 0:
        codes.append("goods_in_warning")
    return codes or ["low"]


def _reason(code: str, row: Row, settings: ScoringSettings, language: str) -> str:
    words = msg.ACTION_REASONS
    shown = settings.defensibility.lots_named
    if code == "critical":
        if int(row["counterfeit_units_found"]) > 0:
            return words["critical_confirmed"][language].format(
                units=int(row["counterfeit_units_found"]),
                lots=int(row["lots_with_counterfeit"]),
                inspected=int(row["lots_inspected"]),
            )
        return words["counterfeit_score"][language].format(risk=_score(row["counterfeit_risk"]))
    if code == "discontinued":
        return words["discontinued"][language].format(
            rejected=int(row["lots_rejected"]), lots=int(row["lots_inspected"])
        )
    if code == "authenticate":
        return words["authenticate"][language].format(
            units=int(row["counterfeit_units_suspected"]),
            lots=_lots_text(row["suspected_lots"], shown, language),
        )
    if code == "hold_listings":
        return words["hold_listings"][language].format(share=f"{float(row['defensibility']):.0f} %")
    if code == "collect_documents":
        return words["collect_documents"][language].format(
            lots=len(row["lots_to_hold"]),
            units=f"{int(row['branded_units']) - int(row['defensible_units']):,}",
        )
    if code == "goods_in_warning":
        return words["goods_in_warning"][language].format(lots=int(row["lots_received_unchecked"]))
    if code in ("high", "medium"):
        return words["counterfeit_score"][language].format(risk=_score(row["counterfeit_risk"]))
    if code in ("quality_high", "quality_medium"):
        return words["quality_score"][language].format(risk=_score(row["quality_risk"]))
    return ""


def _action_text(code: str, row: Row, settings: ScoringSettings, language: str) -> str:
    template = getattr(settings.actions[code], language)
    text = template.format(
        lots=_lots_text(row["lots_to_hold"], settings.defensibility.lots_named, language),
        documents=_documents_text(row, settings, language),
    )
    reason = _reason(code, row, settings, language)
    return msg.ACTION_WITH_REASON[language].format(action=text, reason=reason) if reason else text


def _without_repeats(texts: dict[str, str], language: str) -> dict[str, str]:
    """Each step said once: a step a more urgent action already said is left out of the later
    one ("hold and re-inspect stock" in both the critical and the discontinued action)."""
    separator = msg.STEP_SEPARATOR[language]
    said: set[str] = set()
    result: dict[str, str] = {}
    for code, text in texts.items():
        action, bracket, reason = text.partition(msg.REASON_OPEN[language])
        steps = [step for step in action.split(separator) if step.strip() not in said]
        said.update(step.strip() for step in steps)
        if steps:
            result[code] = separator.join(steps) + bracket + reason
    return result


def compose_actions(frame: pd.DataFrame, settings: ScoringSettings, language: str) -> Actions:
    """Every supplier's actions (one Python step per supplier: suppliers, not reviews)."""
    rank = {code: i for i, code in enumerate(settings.action_order)}
    records = cast(dict[Any, Row], frame.to_dict("index"))
    codes, recommended, evidence = [], [], []
    for row in records.values():
        wanted = sorted(set(_codes(row)), key=rank.__getitem__)
        texts = _without_repeats(
            {code: _action_text(code, row, settings, language) for code in wanted}, language
        )
        codes.append(";".join(wanted))
        recommended.append("\n".join(texts[c] for c in wanted))
        evidence.append("\n".join(texts[c] for c in wanted if c in EVIDENCE_ACTIONS))
    index = frame.index
    code_series = pd.Series(codes, index=index, dtype="string")
    stop = code_series.str.split(";").map(lambda c: bool(set(c) & set(STOP_ACTIONS)))
    return Actions(
        codes=code_series,
        recommended=pd.Series(recommended, index=index, dtype="string"),
        evidence=pd.Series(evidence, index=index, dtype="string"),
        stop_buying=stop.astype(bool).reindex(index).fillna(False).astype(np.bool_),
    )
