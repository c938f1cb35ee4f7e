"""Tonight's inspection plan: which lots QA inspects, how many units, which units, Ac and Re.

Which lots (recent ones not inspected yet, self-checks, suspected counterfeit finds), each
with the plan of the inspection in force for its supplier tonight
(:class:`~supplier_audit.sampling.in_force.InspectionInForce`, computed once per night and
shared with scoring), sized as the settings say and with its units drawn reproducibly."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import as_day, day_column
from supplier_audit.sampling.draws import draw_units, format_units
from supplier_audit.sampling.in_force import InspectionInForce
from supplier_audit.sampling.plans import plan_lots
from supplier_audit.sampling.results import lot_counterfeit_verdicts
from supplier_audit.sampling.sizing import allocate_budget, zero_acceptance_sample_size
from supplier_audit.sampling.switching import STOP_PURCHASING

logger = logging.getLogger(__name__)

PLAN_COLUMNS: Final = (
    "shipment_id",
    "supplier_id",
    "sku",
    "lot_size",
    "inspection_level",
    "severity",
    "aql",
    "code_letter",
    "sample_size",
    "acceptance_number",
    "rejection_number",
    "full_inspection",
    "sampled_units",
)
# reason: in English, for logs and machines; reason_codes: the same as a JSON list of
# [code, *values] (received, self_check, discontinued), which the workbooks put in words.
EXTRA_COLUMNS: Final = ("warehouse", "reason", "reason_codes", "severity_explanation")


@dataclass(frozen=True)
class SampleSizing:
    """How tonight's samples are sized.

    - ``"standard"``: the ISO 2859-1 / GB/T 2828.1 single sampling plan of each lot.
    - ``"zero_acceptance"``: a c = 0 discovery plan per lot — the smallest sample that finds at
      least one nonconforming unit with probability ``confidence`` when the lot holds
      ``max_defect_rate`` of them (hypergeometric for the finite lot); Ac 0, Re 1.
    - ``"proportional"``: a daily budget of ``daily_budget`` units split across the lots in
      proportion to their size (largest remainder, at least one unit per lot, never more than
      the lot); Ac 0, Re 1, so any nonconforming unit found sends the lot to review. A budget
      smaller than the number of lots gives each lot one unit (logged).
    """

    mode: str = "standard"
    max_defect_rate: float = 0.05
    confidence: float = 0.95
    daily_budget: int = 2000

    def __post_init__(self) -> None:
        if self.mode not in SIZING_MODES:
            raise ValueError(f"sample sizing is one of {', '.join(SIZING_MODES)}")


SIZING_MODES: Final = ("standard", "zero_acceptance", "proportional")


def resize_samples(plans: pd.DataFrame, sizing: SampleSizing) -> pd.DataFrame:
    """Replace the standard plans' sample sizes and Ac/Re as ``sizing`` says."""
    if sizing.mode == "standard" or plans.empty:
        return plans
    lot_sizes = plans["lot_size"].to_numpy(dtype=np.int64)
    if sizing.mode == "zero_acceptance":
        by_size = {
            int(n): zero_acceptance_sample_size(
                max_defect_rate=sizing.max_defect_rate,
                confidence=sizing.confidence,
                lot_size=int(n),
            )
            for n in np.unique(lot_sizes)
        }
        sizes = np.array([by_size[int(n)] for n in lot_sizes], dtype=np.int64)
    elif len(lot_sizes) > sizing.daily_budget:
        logger.warning(
            "daily budget of %d units is smaller than the %d lots: one unit per lot",
            sizing.daily_budget,
            len(lot_sizes),
        )
        sizes = np.ones(len(lot_sizes), dtype=np.int64)
    else:
        sizes = allocate_budget(lot_sizes, sizing.daily_budget)
    sizes = np.minimum(sizes, lot_sizes)
    return plans.assign(
        table_sample_size=sizes,
        sample_size=sizes,
        acceptance_number=0,
        rejection_number=1,
        full_inspection=sizes >= lot_sizes,
    )


def plan_inspections(
    shipments: pd.DataFrame,
    inspections: pd.DataFrame | None,
    *,
    in_force: InspectionInForce,
    as_of: date | datetime | str | pd.Timestamp,
    seed: int,
    self_check: pd.DataFrame | None = None,
    units_per_carton: int | None = None,
    recent_days: int = 30,
    sizing: SampleSizing | None = None,
) -> pd.DataFrame:
    """One row per lot QA should inspect tonight, with the plan, the units and the reason.

    Lots chosen: (1) received on or before ``as_of`` and within the last ``recent_days`` days,
    with no inspection result yet; (2) for each (supplier_id, sku) in ``self_check`` (columns
    supplier_id, sku, reason) the most recent lot of that pair received on or before ``as_of``
    — a self-check re-inspection even if the lot was inspected before; (3) every lot whose
    counterfeit find is still suspected (:func:`lot_counterfeit_verdicts`), until QA records
    it as confirmed or cleared. Each lot's AQL, level and severity are those ``in_force`` for its
    supplier tonight (:func:`~supplier_audit.sampling.in_force.inspection_in_force`: the
    switching rules replayed once, raised by the risk tiers). A discontinued supplier's lots
    are still listed, inspected with the tightened plan to hold the stock, and the reason says
    so.

    Units are drawn with :func:`draw_units` keyed by the shipment id, so a rerun lists the same
    units; a self-check re-inspection of a lot inspected k times before is keyed
    "<shipment_id>:reinspection:<k>", so it pulls fresh units rather than the ones already seen.

    ``sizing`` chooses how samples are sized (:class:`SampleSizing`): the standard's tables
    (default), a zero-acceptance discovery plan, or a daily budget split across the lots.

    Returns the columns of the contract's inspection_plan.csv plus warehouse, reason and
    severity_explanation, sorted by warehouse, supplier, SKU and shipment.
    """
    if recent_days < 1:
        raise ValueError("recent_days must be at least 1")
    day = as_day(as_of)
    lots = shipments.copy()
    for column in ("shipment_id", "supplier_id", "sku"):
        lots[column] = lots[column].astype(str)
    lots["received_on"] = day_column(lots["received_on"])
    if "warehouse" not in lots.columns:
        lots["warehouse"] = pd.NA
    lots = lots[lots["received_on"] <= day]

    # (1) lots received recently and not inspected yet
    inspected_ids: set[str] = set()
    inspection_counts: dict[str, int] = {}
    if inspections is not None and not inspections.empty:
        done = inspections.loc[
            day_column(inspections["inspected_on"]) <= day, "shipment_id"
        ].astype(str)
        inspection_counts = {str(k): int(v) for k, v in done.value_counts().items()}
        inspected_ids = set(inspection_counts)
    window_start = day - pd.Timedelta(days=recent_days - 1)
    pending = lots[(lots["received_on"] >= window_start) & ~lots["shipment_id"].isin(inspected_ids)]
    reasons: dict[str, list[str]] = {
        sid: [f"received {received:%Y-%m-%d}, not inspected yet"]
        for sid, received in zip(pending["shipment_id"], pending["received_on"], strict=True)
    }
    codes: dict[str, list[list[str]]] = {
        sid: [["received", f"{received:%Y-%m-%d}"]]
        for sid, received in zip(pending["shipment_id"], pending["received_on"], strict=True)
    }
    # (2) self-check re-inspections: the most recent lot of each (supplier, SKU) pair
    if self_check is not None and not self_check.empty:
        latest = lots.sort_values(["received_on", "shipment_id"], kind="stable").drop_duplicates(
            ["supplier_id", "sku"], keep="last"
        )
        wanted = self_check.assign(
            supplier_id=self_check["supplier_id"].astype(str), sku=self_check["sku"].astype(str)
        ).merge(
            latest[["supplier_id", "sku", "shipment_id"]], on=["supplier_id", "sku"], how="inner"
        )
        unmatched = len(self_check) - wanted[["supplier_id", "sku"]].drop_duplicates().shape[0]
        if unmatched:
            logger.info("%d self-check request(s) name no lot received so far", unmatched)
        why_column = wanted["reason"] if "reason" in wanted.columns else [None] * len(wanted)
        for sid, why in zip(wanted["shipment_id"], why_column, strict=True):
            text = str(why).strip() if pd.notna(why) and str(why).strip() else "quality signal"
            reasons.setdefault(sid, []).append(f"self-check (自查): {text}")
            codes.setdefault(sid, []).append(["self_check", text])

    # (3) lots with a suspected counterfeit find: listed every night until QA records the
    # authentication (confirmed or cleared), whenever they were received
    if inspections is not None and not inspections.empty:
        done_rows = inspections[day_column(inspections["inspected_on"]) <= day]
        verdicts = lot_counterfeit_verdicts(done_rows)
        suspected = verdicts[verdicts["counterfeit_verdict"].eq("suspected")]
        for sid, units, since in zip(
            suspected["shipment_id"].astype(str),
            suspected["counterfeit_units"],
            suspected["decided_on"],
            strict=True,
        ):
            reasons.setdefault(sid, []).append(
                f"{int(units)} suspected counterfeit unit(s) since {pd.Timestamp(since):%Y-%m-%d}:"
                " authenticate the retained sample (brand owner or lab) and record the result"
                " as confirmed or cleared"
            )
            codes.setdefault(sid, []).append(
                ["suspected_counterfeit", str(int(units)), f"{pd.Timestamp(since):%Y-%m-%d}"]
            )

    chosen = lots[lots["shipment_id"].isin(reasons)].copy()
    if chosen.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*PLAN_COLUMNS, *EXTRA_COLUMNS)})
    severities, explanations = in_force.severities_of_lots(
        chosen["supplier_id"].tolist(), chosen["sku"].tolist()
    )
    severity_array = np.asarray(severities, dtype=object)
    table_severity = np.where(severity_array == "discontinued", "tightened", severity_array)
    plans = plan_lots(
        chosen["quantity"].to_numpy(dtype=np.int64),
        in_force.aql,
        in_force.levels_of(chosen["supplier_id"]),
        table_severity,
    )
    plans = resize_samples(plans, sizing or SampleSizing())

    shipment_ids = chosen["shipment_id"].tolist()
    # a re-inspection of an inspected lot draws fresh units (its own key), a first one the lot's
    draw_keys = [
        sid
        if inspection_counts.get(sid, 0) == 0
        else f"{sid}:reinspection:{inspection_counts[sid]}"
        for sid in shipment_ids
    ]
    units = draw_units(draw_keys, plans["lot_size"], plans["sample_size"], seed=seed)
    sampled = [
        format_units(u, lot_size=int(n), units_per_carton=units_per_carton)
        for u, n in zip(units, plans["lot_size"].tolist(), strict=True)
    ]
    reason_text = []
    reason_codes = []
    for sid, severity in zip(shipment_ids, severities, strict=True):
        parts = list(reasons[sid])
        lot_codes = list(codes.get(sid, []))
        if severity == "discontinued":
            parts.append(
                f"supplier discontinued under ISO 2859-1 9.4 — {STOP_PURCHASING}; "
                "inspect (tightened plan) to hold the stock"
            )
            lot_codes.append(["discontinued"])
        reason_text.append("; ".join(parts))
        reason_codes.append(json.dumps(lot_codes, ensure_ascii=False))

    result = pd.DataFrame(
        {
            "shipment_id": shipment_ids,
            "supplier_id": chosen["supplier_id"].tolist(),
            "sku": chosen["sku"].tolist(),
            "lot_size": plans["lot_size"].to_numpy(dtype=np.int64),
            "inspection_level": plans["inspection_level"].to_numpy(dtype=object),
            "severity": severity_array,
            "aql": plans["aql"].to_numpy(dtype=np.float64),
            "code_letter": plans["code_letter"].to_numpy(dtype=object),
            "sample_size": plans["sample_size"].to_numpy(dtype=np.int64),
            "acceptance_number": plans["acceptance_number"].to_numpy(dtype=np.int64),
            "rejection_number": plans["rejection_number"].to_numpy(dtype=np.int64),
            "full_inspection": plans["full_inspection"].to_numpy(dtype=bool),
            "sampled_units": sampled,
            "warehouse": chosen["warehouse"].tolist(),
            "reason": reason_text,
            "reason_codes": reason_codes,
            "severity_explanation": explanations,
        }
    )
    logger.info(
        "inspection plan for %s: %d lots, %d units to pull (%d lots in full)",
        f"{day:%Y-%m-%d}",
        len(result),
        int(result["sample_size"].sum()),
        int(result["full_inspection"].sum()),
    )
    order = result.assign(
        _wh=result["warehouse"].astype(object).fillna("").astype(str)
    ).sort_values(["_wh", "supplier_id", "sku", "shipment_id"], kind="stable")
    return order.drop(columns="_wh").reset_index(drop=True)
