"""The top reasons behind each supplier's scores, in words a purchaser understands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from supplier_audit.scoring import messages as msg
from supplier_audit.scoring.settings import ScoringSettings

Row = Mapping[str, Any]


def _rate_fields(prefix: str, k: str, n: str, unit: str) -> Callable[[Row, str], dict[str, str]]:
    def fields(row: Row, language: str) -> dict[str, str]:
        significant = bool(row[f"{prefix}_significant"])
        if unit == "reviews":  # attributed, possibly by SKU share
            k_text = msg.shared_count_text(float(row[k]), unit, language)
            n_text = msg.shared_count_text(float(row[n]), unit, language)
        else:  # sampled units: whole numbers
            k_text = msg.count_text(float(row[k]))
            n_text = msg.count_text(float(row[n]))
        return {
            "k": k_text,
            "n": n_text,
            "rate": msg.percent_text(float(row[prefix])),
            "base": msg.percent_text(float(row[f"_{prefix}_baseline"])),
            "low": msg.percent_text(float(row.get(f"{prefix}_low", np.nan))),
            "high": msg.percent_text(float(row.get(f"{prefix}_high", np.nan))),
            "sig": "" if significant else msg.NOT_SIGNIFICANT[language],
        }

    return fields


def _complaint_fields(kind: str) -> Callable[[Row, str], dict[str, str]]:
    def fields(row: Row, language: str) -> dict[str, str]:
        paid = float(row.get("compensation_paid", 0.0))
        significant = bool(row.get("quality_complaint_rate_significant", True))
        return {
            "sig": "" if kind == "counterfeit" or significant else msg.NOT_SIGNIFICANT[language],
            "upheld": msg.shared_count_text(
                float(row[f"{kind}_complaints_upheld"]), "complaints", language
            ),
            "settled": msg.shared_count_text(
                float(row[f"{kind}_complaints_settled"]), "complaints", language
            ),
            "paid": f"¥{paid:,.0f}",
        }

    return fields


def _units_fields(row: Row, language: str) -> dict[str, str]:
    suspected = int(row.get("counterfeit_units_suspected", 0))
    also = (
        msg.SUSPECTED_TOO[language].format(
            units=suspected, lots=int(row["lots_with_suspected_counterfeit"])
        )
        if suspected and int(row["counterfeit_units_found"])
        else ""
    )
    confirmed = int(row["counterfeit_units_found"]) > 0
    return {
        "units": msg.count_text(float(row["counterfeit_units_found"] if confirmed else suspected)),
        "fake_lots": msg.count_text(
            float(
                row["lots_with_counterfeit"]
                if confirmed
                else row["lots_with_suspected_counterfeit"]
            )
        ),
        "lots": msg.count_text(float(row["lots_inspected"])),
        "suspected": also,
    }


def _price_fields(row: Row, language: str) -> dict[str, str]:
    ratio = float(row["price_ratio"])
    return {"below": f"{100 * max(0.0, 1 - ratio):.0f} %"}


def _sourcing_fields(row: Row, language: str) -> dict[str, str]:
    share = float(row.get("dropship_share", np.nan))
    share_value = 0.0 if np.isnan(share) else share
    return {
        "channel": msg.label(msg.CHANNELS, str(row["channel"]), language),
        "dropship": msg.DROPSHIP_SHARE[language].format(share=f"{100 * share_value:.0f} %")
        if share_value > 0
        else "",
    }


def _rejected_fields(row: Row, language: str) -> dict[str, str]:
    return {
        "rejected": msg.count_text(float(row["lots_rejected"])),
        "lots": msg.count_text(float(row["lots_inspected"])),
    }


def _switching_fields(row: Row, language: str) -> dict[str, str]:
    return {"severity": msg.label(msg.SEVERITIES, str(row["inspection_severity"]), language)}


_FIELDS: dict[str, Callable[[Row, str], dict[str, str]]] = {
    "counterfeit_reviews": _rate_fields(
        "counterfeit_review_rate", "counterfeit_reviews", "reviews", "reviews"
    ),
    "counterfeit_complaints": _complaint_fields("counterfeit"),
    "counterfeit_units": _units_fields,
    "price_anomaly": _price_fields,
    "sourcing": _sourcing_fields,
    "quality_reviews": _rate_fields("quality_review_rate", "quality_reviews", "reviews", "reviews"),
    "quality_complaints": _complaint_fields("quality"),
    "defect_rate": _rate_fields("serious_defect_rate", "serious_defects", "units_sampled", "units"),
    "critical_defects": _rate_fields(
        "critical_defect_rate", "critical_defects", "units_sampled", "units"
    ),
    "lots_rejected": _rejected_fields,
    "switching": _switching_fields,
}


def _gap_texts(
    frame: pd.DataFrame, gaps: pd.DataFrame, settings: ScoringSettings, language: str
) -> pd.Series:
    """The weightiest documentation gap (requirement weight x value) per supplier, in words."""
    if gaps.empty:
        return pd.Series(dtype="string")
    weight = gaps["requirement"].map(
        {name: r.weight for name, r in settings.evidence.requirements.items()}
    )
    ranked = gaps.assign(_rank=weight.astype("float64").fillna(0.0) * gaps["value_cny"])
    top = ranked.sort_values("_rank", ascending=False, kind="stable").drop_duplicates("supplier_id")
    texts = {}
    template = msg.REASONS["evidence_gaps"][language]
    for row in top.to_dict("records"):
        supplier = str(row["supplier_id"])
        readiness = frame["evidence_readiness"].get(supplier, np.nan)
        brand = str(row["brand"]) or msg.UNBRANDED[language]
        texts[supplier] = template.format(
            requirement=msg.label(msg.REQUIREMENT_LABELS, str(row["requirement"]), language),
            status=msg.label(msg.GAP_STATUS, str(row["status"]), language),
            brand=brand,
            units=msg.count_text(float(row["units"])),
            readiness="–" if pd.isna(readiness) else f"{100 * float(readiness):.0f} %",
        )
    return pd.Series(texts, dtype="string")


def main_reasons(
    frame: pd.DataFrame, gaps: pd.DataFrame, settings: ScoringSettings, language: str
) -> pd.Series:
    """The ``settings.top_reasons`` largest contributions to either score, joined as one text.

    A component's contribution is weight x strength in its own score; components with no
    strength are never named. One loop per supplier x component with a signal (not per review).
    """
    weights = {
        **settings.counterfeit_weights.model_dump(),
        **settings.quality_weights.model_dump(),
    }
    contributions = pd.DataFrame(
        {name: weight * frame[f"strength_{name}"] for name, weight in weights.items()},
        index=frame.index,
    )
    contributions.index.name = "supplier_id"
    long = contributions.reset_index().melt(
        id_vars="supplier_id", var_name="component", value_name="contribution"
    )
    present = (
        _evidence_present(frame)
        .reset_index()
        .melt(id_vars="supplier_id", var_name="component", value_name="present")
    )
    long = long.merge(present, on=["supplier_id", "component"], how="left")
    long = long[(long["contribution"] > 0) | long["present"].fillna(False).astype(bool)]
    # What passes the threshold is named; when nothing does, the evidence there is is named
    # with a note that it does not change the tier ("no risk signal" only when there is none).
    long["passes"] = long["contribution"] >= settings.reason_min_contribution
    any_passes = long.groupby("supplier_id")["passes"].transform("any")
    long = long[long["passes"] | ~any_passes]
    # Named by contribution; below the threshold, hard evidence (QA, complaints) comes first.
    priority = long["component"].map({c: i for i, c in enumerate(_PRESENT)}).fillna(len(_PRESENT))
    long["_order"] = np.where(any_passes.loc[long.index], -long["contribution"], priority)
    long = long.sort_values(["supplier_id", "_order"], kind="stable")
    long = long.groupby("supplier_id", sort=False).head(settings.top_reasons)
    gap_texts = _gap_texts(frame, gaps, settings, language)
    records = cast(dict[Any, Row], frame.to_dict("index"))
    texts: list[str] = []
    for supplier, component in zip(long["supplier_id"], long["component"], strict=True):
        if component == "evidence_gaps":
            texts.append(str(gap_texts.get(supplier, "")))
            continue
        row = records[supplier]
        key = component
        if component == "counterfeit_units" and int(row["counterfeit_units_found"]) == 0:
            key = "counterfeit_units_suspected"
        text = msg.REASONS[key][language].format(**_FIELDS[component](row, language))
        shared = any(msg.is_shared(float(row[c])) for c in _SHARED_COUNTS.get(component, ()))
        texts.append(text + msg.SHARED_NOTE[language] if shared else text)
    long["text"] = texts
    long = long[long["text"] != ""]
    # (as text even when no supplier has anything to name: an empty column is no number)
    joined = (
        long.groupby("supplier_id", sort=False)["text"]
        .agg(msg.REASON_SEPARATOR[language].join)
        .astype("string")
    )
    below = ~long.groupby("supplier_id", sort=False)["passes"].any()
    joined = joined.where(~below.reindex(joined.index), joined + msg.BELOW_TIER[language])
    return joined.reindex(frame.index).fillna(msg.NO_SIGNAL[language]).astype("string")


# What counts as evidence being there, per component, even when its strength is nil (two
# critical units at a rate below the population's baseline are still two critical units).
# In this order when nothing passes the threshold: hard evidence first.
_PRESENT = {
    "counterfeit_units": ("counterfeit_units_found", "counterfeit_units_suspected"),
    "counterfeit_complaints": ("counterfeit_complaints_upheld", "counterfeit_complaints_settled"),
    "lots_rejected": ("lots_rejected",),
    "critical_defects": ("critical_defects",),
    "defect_rate": ("serious_defects",),
    "quality_complaints": ("quality_complaints_upheld", "quality_complaints_settled"),
    "counterfeit_reviews": ("counterfeit_reviews",),
    "quality_reviews": ("quality_reviews",),
}


def _evidence_present(frame: pd.DataFrame) -> pd.DataFrame:
    present = pd.DataFrame(index=frame.index)
    for component, columns in _PRESENT.items():
        present[component] = (frame[list(columns)].astype("float64").sum(axis=1) > 0).to_numpy()
    present.index.name = "supplier_id"
    return present


_SHARED_COUNTS = {
    "counterfeit_reviews": ("counterfeit_reviews", "reviews"),
    "quality_reviews": ("quality_reviews", "reviews"),
    "counterfeit_complaints": ("counterfeit_complaints_upheld", "counterfeit_complaints_settled"),
    "quality_complaints": ("quality_complaints_upheld", "quality_complaints_settled"),
}
