"""Which lots QA inspects tonight and why: new lots, self-checks (自查), suspected fakes.

Three reasons put a lot on tonight's plan, each with its words (English, for logs and machines)
and its reason code (a list [code, *values] that the workbooks put in words):

1. ``received``: received on or before the night and within the last ``recent_days`` days,
   with no inspection result yet;
2. ``self_check``: for each (supplier_id, sku) in the self-check requests, the most recent lot
   of that pair received on or before the night — a re-inspection even if it was inspected;
3. ``suspected_counterfeit``: every lot whose counterfeit find is still suspected
   (:func:`~supplier_audit.sampling.results.lot_counterfeit_verdicts`), whenever it was
   received, until QA records the authentication as confirmed or cleared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from supplier_audit.contracts.text_columns import member_of
from supplier_audit.sampling.results import lot_counterfeit_verdicts

logger = logging.getLogger(__name__)


@dataclass
class LotReasons:
    """Why each chosen lot is on the plan: its reasons in words and as codes, by shipment id."""

    why: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[list[str]]] = field(default_factory=dict)

    def add(self, shipment_id: str, words: str, code: list[str]) -> None:
        """One more reason for a lot."""
        self.why.setdefault(shipment_id, []).append(words)
        self.codes.setdefault(shipment_id, []).append(code)


def lots_to_inspect(
    lots: pd.DataFrame,
    results: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    recent_days: int,
    self_check: pd.DataFrame | None,
) -> LotReasons:
    """The lots to inspect tonight with their reasons, in the order above.

    ``lots`` are the shipments received on or before ``as_of`` (text ids, ``received_on`` as
    days); ``results`` every inspection result up to ``as_of``; ``self_check`` has supplier_id,
    sku and reason.
    """
    reasons = LotReasons()
    window_start = as_of - pd.Timedelta(days=recent_days - 1)
    # (pyarrow's hash look-up: pandas' isin over a million lot ids goes id by id)
    inspected = member_of(lots["shipment_id"].astype(str), results["shipment_id"].astype(str))
    pending = lots[(lots["received_on"] >= window_start).to_numpy(dtype=bool) & ~inspected]
    for sid, received in zip(pending["shipment_id"], pending["received_on"], strict=True):
        reasons.add(
            sid,
            f"received {received:%Y-%m-%d}, not inspected yet",
            ["received", f"{received:%Y-%m-%d}"],
        )
    if self_check is not None and not self_check.empty:
        _self_checks(lots, self_check, reasons)
    if not results.empty:
        _suspected_finds(results, reasons)
    return reasons


def _self_checks(lots: pd.DataFrame, self_check: pd.DataFrame, reasons: LotReasons) -> None:
    """Self-check re-inspections: the most recent lot of each requested (supplier, SKU) pair."""
    latest = lots.sort_values(["received_on", "shipment_id"], kind="stable").drop_duplicates(
        ["supplier_id", "sku"], keep="last"
    )
    wanted = self_check.assign(
        supplier_id=self_check["supplier_id"].astype(str), sku=self_check["sku"].astype(str)
    ).merge(latest[["supplier_id", "sku", "shipment_id"]], on=["supplier_id", "sku"], how="inner")
    unmatched = len(self_check) - wanted[["supplier_id", "sku"]].drop_duplicates().shape[0]
    if unmatched:
        logger.info("%d self-check request(s) name no lot received so far", unmatched)
    why_column = wanted["reason"] if "reason" in wanted.columns else [None] * len(wanted)
    for sid, why in zip(wanted["shipment_id"], why_column, strict=True):
        text = str(why).strip() if pd.notna(why) and str(why).strip() else "quality signal"
        reasons.add(sid, f"self-check (自查): {text}", ["self_check", text])


def _suspected_finds(results: pd.DataFrame, reasons: LotReasons) -> None:
    """Lots whose counterfeit find awaits authentication: listed every night until resolved."""
    verdicts = lot_counterfeit_verdicts(results)
    suspected = verdicts[verdicts["counterfeit_verdict"].eq("suspected")]
    for sid, units, since in zip(
        suspected["shipment_id"].astype(str),
        suspected["counterfeit_units"],
        suspected["decided_on"],
        strict=True,
    ):
        day = f"{pd.Timestamp(since):%Y-%m-%d}"
        reasons.add(
            sid,
            f"{int(units)} suspected counterfeit unit(s) since {day}: authenticate the retained"
            " sample (brand owner or lab) and record the result as confirmed or cleared",
            ["suspected_counterfeit", str(int(units)), day],
        )
