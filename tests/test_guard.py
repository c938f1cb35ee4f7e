"""Input guards: a night whose inputs do not look like the last published night's is held."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig, GuardSettings
from supplier_audit.ingest.tables import read_table
from supplier_audit.night.guard import check_inputs

AS_OF = dt.date(2026, 11, 26)


def guard(**changes: Any) -> GuardSettings:
    return load_config().settings.guard.model_copy(update=changes)


def table(read: int, quarantined: int = 0, *files: tuple[str, str]) -> dict[str, Any]:
    return {
        "rows_read": read,
        "rows_quarantined": quarantined,
        "files": [{"file": name, "sha256": digest, "cut_row": None} for name, digest in files],
    }


def publish(out: Path, night: str, inputs: dict[str, Any]) -> None:
    (out / night).mkdir(parents=True)
    manifest = {"as_of": night, "inputs": inputs}
    (out / night / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_csv_cut_mid_row_is_seen_when_it_is_read(tmp_path: Path, settings: AuditConfig) -> None:
    header = "supplier_id,supplier_name,channel\n"
    cut = tmp_path / "cut" / "suppliers.csv"
    cut.parent.mkdir()
    cut.write_text(header + "S1,甲,wholesaler\nS2,乙,manufacturer\nS3,丙", encoding="utf-8")
    whole = tmp_path / "whole" / "suppliers.csv"
    whole.parent.mkdir()
    # no line break after the last row, but the row is whole: a normal export
    whole.write_text(header + "S1,甲,wholesaler\nS2,乙,manufacturer", encoding="utf-8")
    assert [s.cut_row for s in read_table("suppliers", [cut], settings).sources] == [4]
    assert [s.cut_row for s in read_table("suppliers", [whole], settings).sources] == [None]


def test_rows_falling_more_than_the_limit_hold_the_night_naming_table_and_figures(
    tmp_path: Path,
) -> None:
    publish(tmp_path, "2026-11-24", {"shipments": table(3000)})
    publish(tmp_path, "2026-11-25", {"shipments": table(5005), "reviews": table(100)})
    tonight = {"shipments": table(2503), "reviews": table(81)}
    verdict = check_inputs(
        tonight, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=False
    )
    assert verdict.held and verdict.baseline == "2026-11-25"
    assert verdict.reason("en") == "shipments rows fell 50.0% (5,005 -> 2,503) since 2026-11-25"
    assert verdict.reason("zh") == "shipments 行数下降 50.0%（5,005 → 2,503，对比 2026-11-25）"
    # reviews fell 19 %: under the 20 % limit
    assert [f.table for f in verdict.findings] == ["shipments"]


def test_a_quarantine_spike_holds_the_night_but_a_small_table_is_not_judged_by_shares(
    tmp_path: Path,
) -> None:
    publish(tmp_path, "2026-11-25", {"shipments": table(400, 2)})
    tonight = {"shipments": table(400, 60), "suppliers": table(10, 3)}
    verdict = check_inputs(
        tonight, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=False
    )
    assert verdict.held
    assert verdict.reason("en") == (
        "shipments: 15.0% of rows quarantined (60 of 400; limit 5%; 0.5% on 2026-11-25)"
    )
    relaxed = guard(max_quarantine_share=0.2)
    assert not check_inputs(
        tonight, out_dir=tmp_path, as_of=AS_OF, settings=relaxed, check_stale=False
    ).held


def test_a_stale_export_is_held_only_for_a_night_that_audits_today(tmp_path: Path) -> None:
    publish(tmp_path, "2026-11-24", {"reviews": table(100, 0, ("reviews.csv", "aaa"))})
    publish(tmp_path, "2026-11-25", {"reviews": table(100, 0, ("reviews.csv", "bbb"))})
    same_as_24th = {"reviews": table(100, 0, ("reviews.csv", "aaa"))}
    checked = check_inputs(
        same_as_24th, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=True
    )
    assert checked.held
    assert checked.reason("en") == (
        "reviews.csv byte-identical (sha256) to the export audited for 2026-11-24: a stale export"
    )
    chosen_date = check_inputs(
        same_as_24th, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=False
    )
    assert not chosen_date.held
    # a partition folder with one new file is a fresh export
    grown = {"reviews": table(150, 0, ("reviews/a.csv", "aaa"), ("reviews/b.csv", "ccc"))}
    assert not check_inputs(
        grown, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=True
    ).held


def test_only_published_nights_before_tonight_are_the_baseline(tmp_path: Path) -> None:
    publish(tmp_path, "2026-11-24", {"shipments": table(100)})
    publish(tmp_path, "2026-11-27", {"shipments": table(5000)})  # a later night: not compared
    (tmp_path / "2026-11-25").mkdir()  # never published: no manifest
    (tmp_path / "held" / "2026-11-25").mkdir(parents=True)  # held nights are never a baseline
    (tmp_path / "held" / "2026-11-25" / "manifest.json").write_text(
        json.dumps({"inputs": {"shipments": table(9000)}}), encoding="utf-8"
    )
    verdict = check_inputs(
        {"shipments": table(100)},
        out_dir=tmp_path,
        as_of=AS_OF,
        settings=guard(),
        check_stale=True,
    )
    assert verdict.baseline == "2026-11-24" and not verdict.findings


def test_accepting_the_drift_keeps_the_findings_but_holds_nothing(tmp_path: Path) -> None:
    tonight = {"shipments": table(100, 50)}
    tonight["shipments"]["files"] = [{"file": "shipments.csv", "sha256": "x", "cut_row": 101}]
    verdict = check_inputs(
        tonight, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=False, accept=True
    )
    assert not verdict.held
    record = verdict.as_manifest("en")
    assert record["verdict"] == "accepted"
    assert [f["kind"] for f in record["findings"]] == ["cut_row", "quarantine_share"]
    assert record["reason"].startswith("shipments.csv: the last line (row 101) stops mid-row")


def test_unknown_stale_tables_are_a_config_error() -> None:
    from supplier_audit.config.settings import ConfigError

    with pytest.raises(ConfigError, match="not input tables"):
        load_config(overrides={"guard": {"stale_tables": ["reviews", "nonsense"]}})


def test_a_past_night_does_not_count_rows_dated_after_it_as_a_spike(tmp_path: Path) -> None:
    import pandas as pd

    from supplier_audit.night.guard import rows_dated_after_night

    quarantine = pd.DataFrame(
        {
            "reason": [
                "opened_on 2026-11-25 is after the as-of date 2026-11-23",
                "closed_on 2026-11-24 is after the as-of date 2026-11-23; "
                "supplier_id: supplier S9 was quarantined",
                "rating 0 is below the minimum 1",
                "opened_on 2026-11-25 is after the as-of date 2026-11-23; quantity is empty",
            ]
        }
    )
    assert rows_dated_after_night(quarantine) == 2
    tonight = {"complaints": table(40, 4)}
    later = {"complaints": rows_dated_after_night(quarantine)}
    backfill = check_inputs(
        tonight, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=False, later=later
    )
    assert not backfill.held  # 2 of 40 = 5.0 %: at the limit, not above it
    today = check_inputs(tonight, out_dir=tmp_path, as_of=AS_OF, settings=guard(), check_stale=True)
    assert today.held and "complaints: 10.0% of rows quarantined (4 of 40" in today.reason("en")


def test_rows_dated_after_the_night_are_recognised_in_what_ingestion_writes(
    make_folder: Any, settings: AuditConfig
) -> None:
    from supplier_audit.ingest.folder import ingest_folder
    from supplier_audit.night.guard import rows_dated_after_night

    from .conftest import BASE_TABLES

    later_lot = dict(BASE_TABLES["shipments"][0], shipment_id="L7", received_on="2026-11-20")
    bad_lot = dict(BASE_TABLES["shipments"][0], shipment_id="L8", quantity="0")
    folder = make_folder({"shipments": [later_lot, bad_lot]})
    ingest = ingest_folder(folder, settings, as_of=dt.date(2026, 11, 10))
    quarantine = ingest.tables["shipments"].quarantine
    assert len(quarantine) == 2
    assert rows_dated_after_night(quarantine) == 1  # the later lot, not the bad one
