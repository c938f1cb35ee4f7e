"""What inspection results say about counterfeit units: the one home of that judgement.

An inspection may record counterfeit units with a ``counterfeit_status`` (data contract,
December 2026): ``suspected`` (the sample is kept, awaiting the brand owner or a lab),
``confirmed`` (authenticated as fake) or ``cleared`` (authenticated as genuine). A row with
units and no status is a find as before (treated like a confirmed one). A lot's verdict is
the status of its latest inspection that says anything about counterfeits (recorded units or
a status), so a later row marked ``confirmed`` or ``cleared`` resolves an earlier suspicion;
a later clean re-inspection with no status does not (a fresh sample without fakes says
nothing about the retained one), and a later suspicion does not undo a confirmed find.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import day_column

FIND_VERDICTS: Final = ("confirmed", "suspected", "cleared")
# The columns of an inspection result that decide acceptance and counterfeit verdicts.
RESULT_COLUMNS: Final = (
    "shipment_id",
    "inspected_on",
    "critical_defects",
    "major_defects",
    "minor_defects",
    "counterfeit_units",
)
LOT_VERDICT_COLUMNS: Final = (
    "shipment_id",
    "counterfeit_verdict",
    "counterfeit_units",
    "decided_on",
)


def counterfeit_status_of(inspections: pd.DataFrame) -> pd.Series:
    """Each row's status as recorded ("" when the column is absent or empty)."""
    if "counterfeit_status" not in inspections.columns:
        return pd.Series("", index=inspections.index, dtype="string")
    status = inspections["counterfeit_status"].astype("string").str.strip().str.lower()
    return status.fillna("")


def disqualifying_find(inspections: pd.DataFrame) -> np.ndarray:
    """Rows whose counterfeit units make the lot unacceptable: units recorded, not cleared.

    A suspected unit disqualifies the lot until it is authenticated (its stock stays held);
    units authenticated as genuine (``cleared``) do not.
    """
    units = inspections["counterfeit_units"].to_numpy() > 0
    cleared = counterfeit_status_of(inspections).eq("cleared").to_numpy(dtype=bool)
    return np.asarray(units & ~cleared, dtype=bool)


def lot_counterfeit_verdicts(inspections: pd.DataFrame) -> pd.DataFrame:
    """One row per lot with anything to say about counterfeits: its verdict and the units.

    ``counterfeit_verdict`` is confirmed, suspected or cleared (the latest deciding row's
    status; recorded units without a status read as confirmed), ``counterfeit_units`` the
    most units any of the lot's inspections recorded, ``decided_on`` that row's date.
    """
    if inspections.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOT_VERDICT_COLUMNS})
    status = counterfeit_status_of(inspections)
    units = inspections["counterfeit_units"].astype("int64")
    says = (units > 0) | (status != "")
    rows = pd.DataFrame(
        {
            "shipment_id": inspections["shipment_id"].astype("string"),
            "inspected_on": pd.to_datetime(inspections["inspected_on"]).dt.normalize(),
            "status": status.where(status != "", "confirmed"),
            "units": units,
        }
    )[says.to_numpy(dtype=bool)]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOT_VERDICT_COLUMNS})
    # A status with no units on the row (e.g. "cleared" on a re-inspection) still decides.
    most = rows.groupby("shipment_id")["units"].max()
    latest = rows.sort_values(["shipment_id", "inspected_on"], kind="stable").drop_duplicates(
        "shipment_id", keep="last"
    )
    ever_confirmed = (
        rows[rows["status"].eq("confirmed")].groupby("shipment_id")["inspected_on"].max()
    )
    last_cleared = rows[rows["status"].eq("cleared")].groupby("shipment_id")["inspected_on"].max()
    # A later suspicion never undoes a confirmed find (unless a clearing came after it).
    confirmed_on = pd.Series(
        ever_confirmed.reindex(latest["shipment_id"]).to_numpy(), index=latest.index
    )
    cleared_on = pd.Series(
        last_cleared.reindex(latest["shipment_id"]).to_numpy(), index=latest.index
    )
    stays_confirmed = (
        latest["status"].eq("suspected")
        & confirmed_on.notna()
        & (cleared_on.isna() | (cleared_on < confirmed_on))
    )
    verdict = latest["status"].where(~stays_confirmed, "confirmed")
    out = pd.DataFrame(
        {
            "shipment_id": latest["shipment_id"].to_numpy(),
            "counterfeit_verdict": verdict.to_numpy(),
            "counterfeit_units": latest["shipment_id"].map(most).to_numpy(dtype=np.int64),
            "decided_on": latest["inspected_on"].to_numpy(),
        }
    )
    # A status on a lot where no inspection ever recorded a unit says nothing.
    out = out[out["counterfeit_units"] > 0]
    return out.reset_index(drop=True)


def results_until(inspections: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every inspection result on or before the as-of day (shipment ids as text, days)."""
    if inspections is None or inspections.empty:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    columns = [*RESULT_COLUMNS]
    if "counterfeit_status" in inspections.columns:
        columns.append("counterfeit_status")
    results = inspections.loc[:, columns].copy()
    results["shipment_id"] = results["shipment_id"].astype(str)
    results["inspected_on"] = day_column(results["inspected_on"])
    return results[results["inspected_on"] <= as_of]
