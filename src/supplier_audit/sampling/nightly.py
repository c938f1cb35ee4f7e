"""Tonight's inspection plan: which lots QA inspects, how many units, which units, Ac and Re.

Which lots (recent ones not inspected yet, self-checks, suspected counterfeit finds), each
with the plan of the inspection in force for its supplier tonight
(:class:`~supplier_audit.sampling.in_force.InspectionInForce`, computed once per night and
shared with scoring), sized as the settings say and with its units drawn reproducibly."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Final

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import as_day, day_column
from supplier_audit.sampling.draws import draw_units, format_units
from supplier_audit.sampling.in_force import InspectionInForce
from supplier_audit.sampling.plans import plan_lots
from supplier_audit.sampling.results import results_until
from supplier_audit.sampling.selection import LotReasons, lots_to_inspect
from supplier_audit.sampling.sizing import SampleSizing, resize_samples
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

    Lots chosen (:func:`~supplier_audit.sampling.selection.lots_to_inspect`): received in the
    last ``recent_days`` days and not inspected yet; the latest lot of each (supplier_id, sku)
    in ``self_check`` (columns supplier_id, sku, reason); every lot whose counterfeit find is
    still suspected. Each lot's AQL, level and severity are those ``in_force`` for its
    supplier tonight (:func:`~supplier_audit.sampling.in_force.inspection_in_force`: the
    switching rules replayed once, raised by the risk tiers). A discontinued supplier's lots
    are still listed, inspected with the tightened plan to hold the stock, and the reason says
    so.

    Units are drawn with :func:`draw_units` keyed by the shipment id, so a rerun lists the same
    units (a re-inspection pulls fresh ones: :func:`_sampled_units`).

    ``sizing`` chooses how samples are sized (:class:`SampleSizing`): the standard's tables
    (default), a zero-acceptance discovery plan, or a daily budget split across the lots.

    Returns the columns of the contract's inspection_plan.csv plus warehouse, reason and
    severity_explanation, sorted by warehouse, supplier, SKU and shipment.
    """
    if recent_days < 1:
        raise ValueError("recent_days must be at least 1")
    day = as_day(as_of)
    lots = _received_lots(shipments, day)
    done = results_until(inspections, day)
    reasons = lots_to_inspect(lots, done, as_of=day, recent_days=recent_days, self_check=self_check)
    chosen = lots[lots["shipment_id"].isin(reasons.why)].copy()
    if chosen.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*PLAN_COLUMNS, *EXTRA_COLUMNS)})
    severities, explanations = in_force.severities_of_lots(
        chosen["supplier_id"].tolist(), chosen["sku"].tolist()
    )
    severity_array = np.asarray(severities, dtype=object)
    plans = plan_lots(
        chosen["quantity"].to_numpy(dtype=np.int64),
        in_force.aql,
        in_force.levels_of(chosen["supplier_id"]),
        # a discontinued supplier's stock is held and inspected with the tightened plan (9.4)
        np.where(severity_array == "discontinued", "tightened", severity_array),
    )
    plans = resize_samples(plans, sizing or SampleSizing())
    shipment_ids = chosen["shipment_id"].tolist()
    reason_text, reason_codes = _reason_columns(shipment_ids, severities, reasons)
    result = _plan_frame(chosen, plans, severities)
    result["sampled_units"] = _sampled_units(
        shipment_ids, plans, done, seed=seed, units_per_carton=units_per_carton
    )
    result["warehouse"] = chosen["warehouse"].tolist()
    result["reason"] = reason_text
    result["reason_codes"] = reason_codes
    result["severity_explanation"] = explanations
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


def _received_lots(shipments: pd.DataFrame, day: date) -> pd.DataFrame:
    """The lots received by ``day``, their ids as text and their receipt dates as days."""
    lots = shipments.copy()
    for column in ("shipment_id", "supplier_id", "sku"):
        lots[column] = lots[column].astype(str)
    lots["received_on"] = day_column(lots["received_on"])
    if "warehouse" not in lots.columns:
        lots["warehouse"] = pd.NA
    return lots[lots["received_on"] <= day]


def _plan_frame(chosen: pd.DataFrame, plans: pd.DataFrame, severities: list[str]) -> pd.DataFrame:
    """The plan's own columns (PLAN_COLUMNS but the units) for the chosen lots, in their order."""
    return pd.DataFrame(
        {
            "shipment_id": chosen["shipment_id"].tolist(),
            "supplier_id": chosen["supplier_id"].tolist(),
            "sku": chosen["sku"].tolist(),
            "lot_size": plans["lot_size"].to_numpy(dtype=np.int64),
            "inspection_level": plans["inspection_level"].to_numpy(dtype=object),
            "severity": np.asarray(severities, dtype=object),
            "aql": plans["aql"].to_numpy(dtype=np.float64),
            "code_letter": plans["code_letter"].to_numpy(dtype=object),
            "sample_size": plans["sample_size"].to_numpy(dtype=np.int64),
            "acceptance_number": plans["acceptance_number"].to_numpy(dtype=np.int64),
            "rejection_number": plans["rejection_number"].to_numpy(dtype=np.int64),
            "full_inspection": plans["full_inspection"].to_numpy(dtype=bool),
        }
    )


def _sampled_units(
    shipment_ids: list[str],
    plans: pd.DataFrame,
    done: pd.DataFrame,
    *,
    seed: int,
    units_per_carton: int | None,
) -> list[str]:
    """The units to pull from each lot, drawn reproducibly: a lot's first inspection is keyed by
    its shipment id, a re-inspection of a lot inspected k times by "<id>:reinspection:<k>", so it
    pulls fresh units rather than the ones already seen."""
    counts = done["shipment_id"].astype(str).value_counts().to_dict()
    draw_keys = [
        f"{sid}:reinspection:{int(counts[sid])}" if counts.get(sid, 0) else sid
        for sid in shipment_ids
    ]
    units = draw_units(draw_keys, plans["lot_size"], plans["sample_size"], seed=seed)
    return [
        format_units(u, lot_size=int(n), units_per_carton=units_per_carton)
        for u, n in zip(units, plans["lot_size"].tolist(), strict=True)
    ]


def _reason_columns(
    shipment_ids: list[str], severities: list[str], reasons: LotReasons
) -> tuple[list[str], list[str]]:
    """Each lot's reasons in words ("; "-joined) and as JSON codes; a discontinued supplier's lot
    says why it is inspected at all."""
    text: list[str] = []
    codes: list[str] = []
    for sid, severity in zip(shipment_ids, severities, strict=True):
        parts = list(reasons.why[sid])
        lot_codes = list(reasons.codes[sid])
        if severity == "discontinued":
            parts.append(
                f"supplier discontinued under ISO 2859-1 9.4 — {STOP_PURCHASING}; "
                "inspect (tightened plan) to hold the stock"
            )
            lot_codes.append(["discontinued"])
        text.append("; ".join(parts))
        codes.append(json.dumps(lot_codes, ensure_ascii=False))
    return text, codes
