"""The tables the reports show, shaped from the stages' results (pure pandas, no workbook)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import day_column
from supplier_audit.contracts.text_columns import member_of
from supplier_audit.contracts.vocabulary import SEVERITY_RANK, WORST_FIRST
from supplier_audit.contracts.wording import words
from supplier_audit.sampling.acceptance import AcceptanceRule, judge_lots, nominal_plans
from supplier_audit.scoring.window import in_window

# Reasons are joined by "; " (en) or "；" (zh); a line break may separate them too.
REASON_SEPARATORS = r"\n|; |；"


# The Documents sheet's words ([gaps] of contracts/words/zh.toml and en.toml, with the shared
# [vocabulary]'s requirements and gap statuses).
_GAP_WORDS = words("gaps")
_REQUIREMENT_WORDS = {
    key.removeprefix("requirement."): pair
    for key, pair in _GAP_WORDS.items()
    if key.startswith("requirement.")
}
_STATUS_WORDS = {
    key.removeprefix("gap_status."): pair
    for key, pair in _GAP_WORDS.items()
    if key.startswith("gap_status.")
}


def _word(words: dict[str, tuple[str, str]], key: object, language: str) -> str:
    pair = words.get(str(key))
    if pair is None:
        return str(key)
    return pair[0] if language == "zh" else pair[1]


def attributed_to(
    attribution: pd.DataFrame, table: str, items: pd.Series | None = None
) -> pd.Series:
    """Per review or complaint id, who it is attributed to: ``S1``, or ``S1 60% · S2 40%``.

    ``items`` limits the work to the ids the caller shows (the flagged reviews of a big night
    are a small share of all reviews). Suppliers are listed largest share first, then by id; a
    share of 99.95 % or more is shown as the bare id.
    """
    rows = attribution[attribution["table"] == table]
    if items is not None:
        rows = rows[member_of(rows["item_id"], items)]
    rows = rows[rows["item_id"].notna()]  # as a group-by would: an item needs an id
    if rows.empty:
        return pd.Series(dtype="str")
    rows = rows.sort_values(["item_id", "weight", "supplier_id"], ascending=[True, False, True])
    supplier = rows["supplier_id"].astype("str")
    weight = rows["weight"]
    label = supplier.to_numpy(dtype=object).copy()
    partial = (weight < 0.9995).to_numpy()
    if partial.any():  # one supplier's item (weight 1) needs no percentage
        share = (weight[partial] * 100).round().astype("int64").astype("str")
        label[partial] = (supplier[partial] + " " + share + "%").to_numpy(dtype=object)
    # Rows are sorted by item: number each item, and each row's position within its item.
    item_id = rows["item_id"]
    ids = item_id.to_numpy(dtype=object)
    new_item = np.ones(len(ids), dtype=bool)
    new_item[1:] = ids[1:] != ids[:-1]
    group = np.cumsum(new_item) - 1
    position = np.arange(len(ids)) - np.flatnonzero(new_item)[group]
    # An item's label starts with its first row's; a shared item's next suppliers are appended
    # one position at a time (a few vectorised passes, not a Python call per item).
    joined = label[new_item]
    later = np.flatnonzero(~new_item)
    for rank in range(1, int(position.max()) + 1):
        at = later[position[later] == rank]
        joined[group[at]] = joined[group[at]] + " · " + label[at]
    result = pd.Series(joined, index=item_id[new_item].array, dtype="str", name="supplier_id")
    result.index.name = "item_id"
    return result


def flagged_reviews_view(
    flagged: pd.DataFrame, attribution: pd.DataFrame | None, supplier_names: pd.Series
) -> pd.DataFrame:
    """Flagged reviews with who they are attributed to and the supplier's name."""
    view = flagged.copy()
    if attribution is not None:
        who = attributed_to(attribution, "reviews", view["review_id"])
        view["attributed_to"] = view["review_id"].map(who)
    else:
        view["attributed_to"] = view["supplier_id"]
    view["attributed_to"] = view["attributed_to"].astype("str").fillna(view["supplier_id"])
    # the name when the review belongs to one supplier; shared reviews show the shares instead
    view["supplier_name"] = view["supplier_id"].fillna(view["attributed_to"]).map(supplier_names)
    return view


def upheld_complaints(
    complaints: pd.DataFrame,
    attribution: pd.DataFrame,
    supplier_names: pd.Series,
    *,
    as_of: dt.date,
    lookback_days: int,
) -> pd.DataFrame:
    """Upheld and settled complaints in the lookback window, worst first, with their supplier."""
    opened = day_column(complaints["opened_on"])
    chosen = complaints[
        complaints["status"].isin(["upheld", "settled"]) & in_window(opened, as_of, lookback_days)
    ].copy()
    who = attributed_to(attribution, "complaints", chosen["complaint_id"])
    chosen["supplier_id"] = chosen["supplier_id"].fillna(chosen["complaint_id"].map(who))
    chosen["supplier_name"] = chosen["supplier_id"].map(supplier_names)
    serious = (chosen["complaint_type"] == "counterfeit") & (chosen["status"] == "upheld")
    chosen["severity"] = np.where(serious, 3, np.where(chosen["status"] == "upheld", 2, 1))
    money = chosen["compensation"].map(lambda v: "" if pd.isna(v) else f"; ¥{v:,.2f}").astype("str")
    chosen["description"] = chosen["complaint_type"] + " / " + chosen["status"] + money
    return chosen


def inspection_failures(
    inspections: pd.DataFrame,
    shipments: pd.DataFrame,
    supplier_names: pd.Series,
    *,
    as_of: dt.date,
    lookback_days: int,
    acceptance: AcceptanceRule,
) -> pd.DataFrame:
    """Inspections in the window whose lot was not accepted (fakes, critical defects or too
    many nonconforming units: :func:`~supplier_audit.sampling.acceptance.judge_lots` by the
    lot's nominal plan, as scoring judges it)."""
    inspected = day_column(inspections["inspected_on"])
    recent = inspections[in_window(inspected, as_of, lookback_days)].merge(
        shipments[["shipment_id", "supplier_id", "sku", "quantity"]], on="shipment_id", how="left"
    )
    if recent.empty:
        return recent.assign(severity=pd.Series(dtype="int64"), summary=pd.Series(dtype="str"))
    judged = judge_lots(
        recent,
        nominal_plans(recent["quantity"].to_numpy(dtype=np.int64), acceptance),
        count_minor_defects=acceptance.count_minor_defects,
    )
    chosen = recent[~judged["accepted"].to_numpy(dtype=bool)].copy()
    chosen["severity"] = np.where(
        (chosen["counterfeit_units"] > 0) | (chosen["critical_defects"] > 0), 3, 2
    )
    chosen["supplier_name"] = chosen["supplier_id"].map(supplier_names)
    chosen["summary"] = (
        chosen["counterfeit_units"].astype("str")
        + " counterfeit, "
        + chosen["critical_defects"].astype("str")
        + " critical, "
        + chosen["major_defects"].astype("str")
        + " major of "
        + chosen["sample_size"].astype("str")
        + " sampled"
        + chosen["notes"].map(lambda v: "" if pd.isna(v) else f" — {v}")
    )
    return chosen


def document_gaps(
    evidence_gaps: pd.DataFrame, supplier_names: pd.Series, *, language: str
) -> pd.DataFrame:
    """What authenticity evidence is missing or expired, per supplier and brand, biggest first."""
    gaps = evidence_gaps.copy()
    gaps["supplier_name"] = gaps["supplier_id"].map(supplier_names)
    gaps["doc_type"] = gaps["requirement"].map(lambda r: _word(_REQUIREMENT_WORDS, r, language))
    gaps["status"] = gaps["status"].map(lambda s: _word(_STATUS_WORDS, s, language))
    gaps = gaps.rename(columns={"units": "units_affected", "value_cny": "value_affected"})
    return gaps.sort_values(
        ["value_affected", "supplier_id", "brand"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)


def lots_to_hold(
    lot_defensibility: pd.DataFrame, supplier_names: pd.Series, *, language: str
) -> pd.DataFrame:
    """Branded lots we could not defend in a ticket today, newest first per supplier: what
    proof is missing or expired, and whether they arrived without a brand authorization."""
    if lot_defensibility.empty:
        return lot_defensibility.assign(supplier_name=pd.Series(dtype="string"))
    lots = lot_defensibility[~lot_defensibility["defensible"].astype(bool)].copy()

    def words(codes: object) -> str:
        names = [c for c in str(codes).split(";") if c] if isinstance(codes, str) else []
        return ("、" if language == "zh" else ", ").join(
            _word(_REQUIREMENT_WORDS, name, language) for name in names
        )

    lots["supplier_name"] = lots["supplier_id"].map(supplier_names)
    lots["proof_missing"] = lots["missing_proof"].map(words)
    lots["proof_expired"] = lots["expired_proof"].map(words)
    return lots.reset_index(drop=True)


def run_summary_markdown(
    scores: pd.DataFrame | None,
    counts: dict[str, dict[str, int]],
    *,
    as_of: dt.date,
    report_path: str,
    lots_to_inspect: int,
    complaints: dict[str, int] | None = None,
) -> str:
    """A short markdown summary of the night for the orchestrator's UI."""
    lines = [f"# Supplier audit {as_of.isoformat()}", ""]
    if scores is not None and not scores.empty:
        tiers = scores["risk_tier"].value_counts()
        lines.append(
            "**Suppliers per tier:** "
            + ", ".join(f"{tier} {int(tiers.get(tier, 0))}" for tier in WORST_FIRST)
        )
        if "newly_high_or_critical" in scores.columns and scores["previous_tier"].notna().any():
            newly = scores[scores["newly_high_or_critical"].fillna(False).astype(bool)]
            lines.append(f"**Newly high or critical:** {', '.join(newly['supplier_id']) or 'none'}")
    if complaints is not None:
        lines.append(
            f"**Open complaints:** {complaints['open']} (due within 48 h: "
            f"{complaints['due_soon']}, no evidence ready: {complaints['not_ready']}, "
            f"overdue: {complaints['overdue']}, worth appealing: {complaints['worth_appealing']})"
        )
    lines.append(f"**Lots to inspect tonight:** {lots_to_inspect}")
    quarantined = sum(c["rows_quarantined"] for c in counts.values())
    lines.append(f"**Quarantined input rows:** {quarantined}")
    lines += ["", "| table | read | valid | quarantined | pending |", "|---|---|---|---|---|"]
    for name, c in counts.items():
        lines.append(
            f"| {name} | {c['rows_read']} | {c['rows_valid']} | {c['rows_quarantined']} "
            f"| {c['rows_pending']} |"
        )
    lines += ["", f"Report: `{report_path}`"]
    return "\n".join(lines)


def ranked_by_risk(scores: pd.DataFrame) -> pd.DataFrame:
    """Suppliers worst first: tier, then counterfeit risk, then quality risk, then id."""
    order = {tier: rank for rank, tier in enumerate(WORST_FIRST)}
    ranked = scores.assign(_tier_rank=scores["risk_tier"].map(order).fillna(len(order)))
    return ranked.sort_values(
        ["_tier_rank", "counterfeit_risk", "quality_risk", "supplier_id"],
        ascending=[True, False, False, True],
        kind="stable",
    ).drop(columns="_tier_rank")


def top_risks_table(scores: pd.DataFrame, *, top: int = 10) -> list[dict[str, object]]:
    """The top risks as plain rows (for a table artifact): id, name, tier, scores, reason."""
    ranked = ranked_by_risk(scores).head(top)
    shown = ranked.assign(
        counterfeit_risk=ranked["counterfeit_risk"].round(1),
        quality_risk=ranked["quality_risk"].round(1),
        main_reason=ranked["main_reasons"].astype("str").str.split(REASON_SEPARATORS).str[0],
    )
    columns = [
        "supplier_id",
        "supplier_name",
        "risk_tier",
        "counterfeit_risk",
        "quality_risk",
        "main_reason",
        "recommended_action",
    ]
    rows: list[dict[str, object]] = shown[columns].to_dict(orient="records")  # type: ignore[assignment]
    return rows


# The QA worklist: the plan in the order an inspector should work it.
_STRICTEST_FIRST = {severity: -rank for severity, rank in SEVERITY_RANK.items()}
LOOK_FOR_LIMIT = 4  # review categories named per lot, most frequent first


def qa_worklist(
    plan: pd.DataFrame,
    *,
    scores: pd.DataFrame | None = None,
    flagged_reviews: pd.DataFrame | None = None,
    redo: pd.DataFrame | None = None,
    complaint_lots: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tonight's plan with what an inspector needs to prioritise and look, most urgent first.

    Adds ``risk_tier`` (the supplier's), ``look_for`` (the review categories flagged on that
    SKU, most frequent first, as keys), ``redo_reason`` (why the lot's result from an earlier
    QA sheet was not accepted, so it is filled in again), ``complaint_days_left`` (the nearest
    deadline of an open complaint traced to the lot: ``complaint_lots`` has shipment_id and
    days_left) and ``priority`` (1 = first, within each warehouse). Order: a result to redo, a
    lot behind an open complaint (nearest deadline first: its inspection is the ticket's
    evidence), the supplier's risk tier (worst first), a self-check or a suspected counterfeit
    find, the inspection severity (strictest first), then the lot id.
    """
    lots = plan.copy()
    tiers = (
        scores.set_index("supplier_id")["risk_tier"]
        if scores is not None and not scores.empty
        else pd.Series(dtype="str")
    )
    lots["risk_tier"] = lots["supplier_id"].map(tiers).astype("str")
    lots["look_for"] = lots["sku"].map(_review_categories_by_sku(flagged_reviews)).astype("str")
    lots["redo_reason"] = lots["shipment_id"].map(_redo_reasons(redo)).astype("str")
    deadlines = (
        complaint_lots.groupby("shipment_id")["days_left"].min()
        if complaint_lots is not None and not complaint_lots.empty
        else pd.Series(dtype="float64")
    )
    lots["complaint_days_left"] = lots["shipment_id"].map(deadlines).astype("Int64")
    # a self-check or a suspected counterfeit find: by the plan's reason codes where it has them
    # (its reason may be in words by now), else by the English reason
    if "reason_codes" in lots.columns:
        signal = (
            lots["reason_codes"].astype("str").str.contains('"self_check"|"suspected', na=False)
        )
    elif "reason" in lots.columns:
        signal = lots["reason"].astype("str").str.contains("self-check|suspected counterfeit")
    else:
        signal = pd.Series(False, index=lots.index)
    tier_rank = {tier: rank for rank, tier in enumerate(WORST_FIRST)}
    order = pd.DataFrame(
        {
            "redo": lots["redo_reason"].isna().astype(int),
            "complaint": lots["complaint_days_left"].astype("float64").fillna(np.inf),
            "tier": lots["risk_tier"].map(tier_rank).fillna(len(tier_rank)),
            "signal": (~signal.fillna(False).astype(bool)).astype(int),
            # strictest first; a severity the vocabulary does not know, last
            "severity": lots["severity"].astype("str").map(_STRICTEST_FIRST).fillna(1),
            "lot": lots["shipment_id"].astype("str"),
        },
        index=lots.index,
    )
    ranked = lots.loc[order.sort_values(list(order.columns), kind="stable").index]
    # numbered within each warehouse: an inspector works the sheet of their warehouse
    place = (
        ranked["warehouse"].astype("str").fillna("")
        if "warehouse" in ranked.columns
        else pd.Series("", index=ranked.index)
    )
    priority = place.groupby(place, sort=False).cumcount().to_numpy(dtype=np.int64) + 1
    return ranked.assign(priority=priority).reset_index(drop=True)


def _review_categories_by_sku(flagged: pd.DataFrame | None) -> pd.Series:
    """SKU -> its flagged reviews' categories (";"-joined keys, most frequent first)."""
    if flagged is None or flagged.empty or "sku" not in flagged.columns:
        return pd.Series(dtype="str")
    pairs = flagged[["sku", "categories"]].dropna()
    pairs = pairs.assign(category=pairs["categories"].astype("str").str.split(";")).explode(
        "category"
    )
    pairs = pairs[pairs["category"].str.len() > 0]
    counts = pairs.groupby(["sku", "category"]).size().rename("n").reset_index()
    counts = counts.sort_values(["sku", "n", "category"], ascending=[True, False, True])
    top = counts.groupby("sku").head(LOOK_FOR_LIMIT)
    return top.groupby("sku")["category"].agg(";".join)


def _redo_reasons(redo: pd.DataFrame | None) -> pd.Series:
    """shipment id -> why an earlier QA sheet's result for it was quarantined."""
    if redo is None or redo.empty or "__shipment_id" not in redo.columns:
        return pd.Series(dtype="str")
    rows = redo.dropna(subset=["__shipment_id"])
    return rows.groupby("__shipment_id")["reason"].agg(lambda r: "; ".join(dict.fromkeys(r)))
