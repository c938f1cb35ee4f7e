"""Typing, validation and cross-table checks of the input tables, with quarantine.

Every row read ends in exactly one place: the valid table, the quarantine (with its original
values, its spreadsheet row number and a reason naming the column), or — for filled-in QA
workbooks only — pending (result columns still empty).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pandera.errors import SchemaErrors

from supplier_audit import parsing
from supplier_audit.config import AuditConfig
from supplier_audit.io import RawTable, SourceFile, discover_inputs, read_table
from supplier_audit.schemas import (
    CHANNELS,
    COMPLAINT_STATUSES,
    COMPLAINT_TYPES,
    DOC_TYPES,
    INPUT_TABLES,
    TableSpec,
)

log = logging.getLogger(__name__)

_ENUMS: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "doc_type": DOC_TYPES,
    "complaint_type": COMPLAINT_TYPES,
    "status": COMPLAINT_STATUSES,
}
# Event dates that cannot lie after the night being audited (valid_until may).
_NOT_AFTER_AS_OF = (
    "onboarded_on",
    "received_on",
    "issued_on",
    "opened_on",
    "closed_on",
    "inspected_on",
)
# Which earlier table each reference column must point into.
_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "shipments": (("supplier_id", "suppliers"),),
    "documents": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "reviews": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "complaints": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "inspections": (("shipment_id", "shipments"),),
}
_REFERENCE_KEY = {"suppliers": "supplier_id", "shipments": "shipment_id"}


@dataclass
class TableResult:
    """One input table after ingestion."""

    name: str
    valid: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    rows_pending: int
    sources: list[SourceFile] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    # Set when the valid rows were processed in batches and not kept (reviews: see
    # supplier_audit.review_batches); ``valid`` is then empty.
    valid_rows: int | None = None

    @property
    def rows_valid(self) -> int:
        return len(self.valid) if self.valid_rows is None else self.valid_rows

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "rows_pending": self.rows_pending,
        }


@dataclass
class IngestResult:
    """All input tables of one run."""

    tables: dict[str, TableResult]
    ignored_files: list[str]
    # Tables left for batch processing (not read yet), with their files in reading order.
    batched_files: dict[str, list[Path]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name].valid

    def with_table(self, result: TableResult) -> IngestResult:
        """This result with ``result`` added (tables kept in the contract's order)."""
        tables = {**self.tables, result.name: result}
        ordered = {name: tables[name] for name in INPUT_TABLES if name in tables}
        batched = {k: v for k, v in self.batched_files.items() if k != result.name}
        return IngestResult(tables=ordered, ignored_files=self.ignored_files, batched_files=batched)

    def quarantine_reasons(self) -> pd.DataFrame:
        """How often each kind of reason occurred, per table (for the data-quality sheet)."""
        rows = []
        for name, result in self.tables.items():
            if result.quarantine.empty:
                continue
            kinds = result.quarantine["reason"].str.split("; ").explode()
            kinds = kinds.str.replace(r"'[^']*'", "'…'", regex=True)
            for kind, count in kinds.value_counts().items():
                rows.append({"table": name, "reason": kind, "rows": int(count)})
        return pd.DataFrame(rows, columns=["table", "reason", "rows"])


# ---------------------------------------------------------------------------------------------
# Typing


def _type_columns(
    raw: RawTable, spec: TableSpec, settings: AuditConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame and a frame of per-cell problems ('' = fine), same index as the raw cells."""
    cells = raw.cells
    workbook = raw.from_workbook.reindex(cells.index, fill_value=False).astype(bool)
    serial_ok = workbook | settings.ingest.excel_serial_dates_in_csv
    typed: dict[str, pd.Series] = {}
    problems: dict[str, pd.Series] = {}
    aliases = settings.aliases
    for column in spec.columns:
        source = cells[column.name]
        if column.kind in ("id", "text"):
            parsed = parsing.parse_text(source)
        elif column.kind == "enum":
            parsed = parsing.parse_enum(
                source,
                column.name,
                allowed=_ENUMS[column.name],
                aliases=aliases.values.get(column.name, {}),
            )
        elif column.kind == "bool":
            parsed = parsing.parse_bool(
                source,
                column.name,
                truthy=aliases.booleans.get("true", []),
                falsy=aliases.booleans.get("false", []),
                default=bool(column.default),
            )
        elif column.kind == "int":
            parsed = parsing.parse_int(source, column.name)
        elif column.kind == "decimal":
            parsed = parsing.parse_decimal(source, column.name)
        elif column.kind == "currency":
            parsed = parsing.parse_currency(
                source, column.name, default=settings.ingest.default_currency
            )
        elif column.kind == "date":
            parsed = parsing.parse_date(source, column.name, excel_serial=serial_ok)
        else:
            parsed = parsing.parse_datetime(
                source, column.name, excel_serial=serial_ok, zone=settings.zone
            )
        typed[column.name] = parsed.values
        problems[column.name] = parsed.problems
    return pd.DataFrame(typed, index=cells.index), pd.DataFrame(problems, index=cells.index)


def _empty_required(typed: pd.DataFrame, problems: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Mark required columns that are empty in a row (where no other problem was found)."""
    problems = problems.copy()
    for column in spec.required_columns:
        empty = typed[column].isna() & (problems[column] == "")
        problems[column] = problems[column].where(~empty, f"{column} is empty")
    return problems


_CHECK_MESSAGES = {
    "greater_than_or_equal_to": "{column} {value} is below the minimum {limit}",
    "less_than_or_equal_to": "{column} {value} is above the maximum {limit}",
    "str_matches": "{column} '{value}' is not a 3-letter currency code",
    "isin": "{column} '{value}' is not an allowed value",
    "not_nullable": "{column} is empty",
    "str_length": "{column} is empty",
}


def _check_message(check: str, column: str, value: object) -> str:
    name, _, argument = check.partition("(")
    limit = argument.rstrip(")")
    template = _CHECK_MESSAGES.get(name, "{column} '{value}' fails the check " + check)
    return template.format(column=column, value=value, limit=limit)


def _validate(
    typed: pd.DataFrame, problems: pd.DataFrame, raw_cells: pd.DataFrame, spec: TableSpec
) -> pd.DataFrame:
    """Run the pandera contract lazily; add every failure to the row's problems."""
    # Every row is checked, so a row shows all its problems at once. Cells that could not be
    # read hold a neutral stand-in here and their failures are ignored below.
    candidate = typed.copy()
    for column in spec.columns:
        if column.required and column.kind == "int":
            candidate[column.name] = candidate[column.name].fillna(1).astype("int64")
    try:
        spec.model.validate(candidate, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        # Key uniqueness is judged later (first occurrence kept), not here.
        cases = cases[
            cases["index"].notna()
            & cases["column"].isin(spec.column_names)
            & ~cases["check"].astype("str").str.contains("unique")
        ]
        already = problems.to_numpy()[
            problems.index.get_indexer(cases["index"].astype("int64")),
            problems.columns.get_indexer(cases["column"].astype("str")),
        ]
        cases = cases[already == ""]
        if cases.empty:
            return problems
        rows = cases["index"].astype("int64").to_numpy()
        columns = cases["column"].astype("str").to_numpy()
        originals = pd.Series(
            raw_cells.to_numpy()[
                raw_cells.index.get_indexer(rows), raw_cells.columns.get_indexer(columns)
            ]
        )
        checks = cases["check"].astype("str").reset_index(drop=True)
        messages = _bulk_check_messages(checks, pd.Series(columns), originals)
        found = (
            pd.DataFrame({"row": rows, "column": columns, "message": messages})
            .groupby(["row", "column"], sort=False)["message"]
            .agg("; ".join)
            .unstack("column")
        )
        problems = problems.copy()
        for failing in found.columns:
            extra = found[failing].reindex(problems.index).fillna("")
            problems[failing] = _append(problems[failing], extra)
    return problems


def _bulk_check_messages(checks: pd.Series, columns: pd.Series, originals: pd.Series) -> pd.Series:
    """Messages for many failures at once, one format per distinct (check, column)."""
    messages = pd.Series("", index=checks.index, dtype=object)
    keys = pd.DataFrame({"check": checks, "column": columns})
    for key, group in keys.groupby(["check", "column"]).groups.items():
        check, column = (str(part) for part in key)  # type: ignore[attr-defined]
        head, _, tail = _check_message(check, column, "\x00").partition("\x00")
        messages.loc[group] = head + originals.loc[group].astype("str") + tail
    return messages


def _row_rules(typed: pd.DataFrame, spec: TableSpec) -> pd.Series:
    """Rules that relate two columns of the same row."""
    reasons = pd.Series("", index=typed.index, dtype=object)
    if spec.name == "documents":
        bad = typed["valid_until"].notna() & (typed["valid_until"] < typed["issued_on"])
        reasons = reasons.where(~bad, "valid_until is before issued_on")
    elif spec.name == "complaints":
        bad = typed["closed_on"].notna() & (typed["closed_on"] < typed["opened_on"])
        reasons = reasons.where(~bad, "closed_on is before opened_on")
    elif spec.name == "inspections":
        # Only where both were read (an unreadable sample size has its own reason already).
        bad = (typed["counterfeit_units"] > typed["sample_size"]).fillna(False).astype(bool)
        reasons = reasons.where(~bad, "counterfeit_units is more than sample_size")
    return reasons


def _after_as_of(typed: pd.DataFrame, spec: TableSpec, as_of: dt.date) -> pd.Series:
    reasons = pd.Series("", index=typed.index, dtype=object)
    day = pd.Timestamp(as_of)
    for column in spec.columns:
        if column.name in _NOT_AFTER_AS_OF:
            late = typed[column.name].notna() & (typed[column.name] > day)
        elif column.kind == "datetime":
            late = typed[column.name].notna() & (typed[column.name] >= parsing.end_of_day(as_of))
        else:
            continue
        if late.any():
            stamp = typed[column.name].dt.strftime(
                "%Y-%m-%d %H:%M" if column.kind == "datetime" else "%Y-%m-%d"
            )
            message = column.name + " " + stamp + f" is after the as-of date {as_of.isoformat()}"
            reasons = _append(reasons, message.where(late, ""))
    return reasons


def _append(reasons: pd.Series, more: pd.Series) -> pd.Series:
    """Join two columns of reasons with '; ', skipping empty ones."""
    more = more.reindex(reasons.index, fill_value="").astype(object)
    both = (reasons != "") & (more != "")
    joined = reasons.where(more == "", more.where(reasons == "", reasons + "; " + more))
    return joined.where(~both, reasons + "; " + more)


def _references(
    typed: pd.DataFrame,
    spec: TableSpec,
    done: Mapping[str, TableResult],
) -> pd.Series:
    reasons = pd.Series("", index=typed.index, dtype=object)
    for column, target in _REFERENCES.get(spec.name, ()):
        if target not in done:
            continue
        key = _REFERENCE_KEY[target]
        valid_ids = pd.Index(done[target].valid[key].astype("str"))
        quarantined_ids = pd.Index(
            done[target].quarantine.get(f"__{key}", pd.Series(dtype="str")).dropna().astype("str")
        )
        values = typed[column]
        given = values.notna()
        known = values.isin(valid_ids)
        was_quarantined = given & ~known & values.isin(quarantined_ids)
        unknown = given & ~known & ~was_quarantined
        noun = "supplier" if target == "suppliers" else "shipment"
        reasons = _append(
            reasons,
            (f"{column}: {noun} " + values.astype("str") + " was quarantined").where(
                was_quarantined, ""
            ),
        )
        reasons = _append(
            reasons,
            (f"{column}: unknown {noun} " + values.astype("str") + f" (not in {target})").where(
                unknown, ""
            ),
        )
    # A row naming both a supplier and a lot: the lot must be that supplier's.
    if (
        {"supplier_id", "shipment_id"} <= set(typed.columns)
        and "shipments" in done
        and spec.name
        in (
            "reviews",
            "complaints",
            "documents",
        )
    ):
        lots = done["shipments"].valid.set_index("shipment_id")["supplier_id"]
        lot_supplier = typed["shipment_id"].map(lots)
        clash = (
            typed["supplier_id"].notna()
            & lot_supplier.notna()
            & (lot_supplier != typed["supplier_id"])
        )
        message = (
            "shipment_id: shipment "
            + typed["shipment_id"].astype("str")
            + " is from supplier "
            + lot_supplier.astype("str")
            + ", not "
            + typed["supplier_id"].astype("str")
        )
        reasons = _append(reasons, message.where(clash, ""))
    return reasons


def _duplicates(
    typed: pd.DataFrame, source_rows: pd.Series, spec: TableSpec, ok: pd.Series
) -> pd.Series:
    """Later occurrences of a key among otherwise valid rows; the first is kept."""
    reasons = pd.Series("", index=typed.index, dtype=object)
    keys = typed.loc[ok, list(spec.key)]
    later = keys.duplicated(keep="first")
    if not later.any():
        return reasons
    first_row = (
        source_rows.loc[ok].groupby([keys[k] for k in spec.key], dropna=False).transform("first")
    )
    key_text = keys[spec.key[0]].astype("str")
    for extra in spec.key[1:]:
        value = keys[extra]
        shown = value.dt.strftime("%Y-%m-%d") if hasattr(value, "dt") else value.astype("str")
        key_text = key_text + " / " + shown
    name = " / ".join(spec.key)
    message = (
        "duplicate "
        + name
        + " "
        + key_text
        + " (first kept, on row "
        + first_row.astype("str")
        + ")"
    )
    reasons.loc[later[later].index] = message.loc[later].to_numpy()
    return reasons


def _pending_rows(typed: pd.DataFrame, problems: pd.DataFrame, spec: TableSpec) -> pd.Series:
    if not spec.pending_when_empty:
        return pd.Series(False, index=typed.index)
    columns = list(spec.pending_when_empty)
    empty = typed[columns].isna().all(axis=1) & (problems[columns] == "").all(axis=1)
    return empty


def ingest_table(
    raw: RawTable,
    settings: AuditConfig,
    *,
    as_of: dt.date,
    done: Mapping[str, TableResult] | None = None,
) -> TableResult:
    """Type, validate and cross-check one raw table against the tables already ingested."""
    spec = INPUT_TABLES[raw.table]
    done = done or {}
    typed, problems = _type_columns(raw, spec, settings)
    pending = _pending_rows(typed, problems, spec)
    problems = _empty_required(typed, problems, spec)
    problems = _validate(typed, problems, raw.cells, spec)
    reasons = pd.Series("", index=typed.index, dtype=object)
    for column in spec.column_names:
        reasons = _append(reasons, problems[column])
    reasons = _append(reasons, _row_rules(typed, spec))
    reasons = _append(reasons, _after_as_of(typed, spec, as_of))
    reasons = _append(reasons, _references(typed, spec, done))
    replacement = (
        raw.cells[list(spec.column_names)]
        .apply(lambda col: col.astype("str").str.contains("\ufffd", regex=False) & col.notna())
        .any(axis=1)
    )
    reasons = _append(
        reasons,
        pd.Series(
            "undecodable bytes in the row (check the file's encoding)", index=typed.index
        ).where(replacement, ""),
    )
    reasons = reasons.where(~pending, "")
    ok = (reasons == "") & ~pending
    reasons = _append(reasons, _duplicates(typed, raw.cells["source_row"], spec, ok))
    ok = (reasons == "") & ~pending
    bad = (reasons != "") & ~pending

    valid = typed.loc[ok].copy()
    for spec_column in spec.columns:
        if spec_column.required and spec_column.kind == "int":
            valid[spec_column.name] = valid[spec_column.name].astype("int64")
    valid["source_file"] = raw.cells.loc[ok, "source_file"].astype("str")
    valid["source_row"] = raw.cells.loc[ok, "source_row"].astype("int64")
    valid = valid.reset_index(drop=True)

    quarantine = _quarantine_frame(raw, spec, bad, reasons)
    result = TableResult(
        name=spec.name,
        valid=valid,
        quarantine=quarantine,
        rows_read=raw.rows_read,
        rows_pending=int(pending.sum()),
        sources=raw.sources,
        unknown_columns=raw.unknown_columns,
    )
    log.info(
        "%s: %d read, %d valid, %d quarantined, %d pending",
        spec.name,
        result.rows_read,
        result.rows_valid,
        result.rows_quarantined,
        result.rows_pending,
    )
    return result


def _quarantine_frame(
    raw: RawTable, spec: TableSpec, bad: pd.Series, reasons: pd.Series
) -> pd.DataFrame:
    """Rejected rows: where from, why, and every original cell under its original header."""
    original = raw.original.loc[bad]
    front = pd.DataFrame(
        {
            "table": spec.name,
            "source_file": raw.cells.loc[bad, "source_file"].astype("str"),
            "source_row": raw.cells.loc[bad, "source_row"].astype("int64"),
            "reason": reasons.loc[bad].astype("str"),
        },
        index=original.index,
    )
    body = original.drop(columns=["source_file", "source_row"])
    frame = pd.concat([front, body], axis=1)
    # The row's keys as read, for cascades ("supplier X was quarantined").
    for key in spec.key[:1]:
        frame[f"__{key}"] = (
            raw.cells.loc[bad, key]
            .astype(object)
            .map(lambda v: None if v is None else str(v).strip())
        )
    return frame.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)


def quarantine_for_output(result: TableResult) -> pd.DataFrame:
    """The quarantine file's rows (internal helper columns removed)."""
    return result.quarantine.drop(
        columns=[c for c in result.quarantine.columns if c.startswith("__")]
    )


def ingest_folder(
    data_dir: Path,
    settings: AuditConfig,
    *,
    as_of: dt.date,
    batched: Collection[str] = (),
) -> IngestResult:
    """Read, type, validate and cross-check every input table in ``data_dir``.

    Tables named in ``batched`` (no other table may refer to them) are not read: their files
    are listed in ``batched_files`` for batch processing (supplier_audit.review_batches).
    Raises ``InputError`` (from reading) when a file cannot be read at all; bad rows never
    raise, they are quarantined.
    """
    found, ignored = discover_inputs(data_dir)
    tables: dict[str, TableResult] = {}
    for name in INPUT_TABLES:
        if name in batched:
            continue
        raw = read_table(name, found[name], settings)
        tables[name] = ingest_table(raw, settings, as_of=as_of, done=tables)
    return IngestResult(
        tables=tables,
        ignored_files=ignored,
        batched_files={name: list(found[name]) for name in INPUT_TABLES if name in batched},
    )


def conservation_holds(result: TableResult) -> bool:
    """Rows read = rows valid + rows quarantined + rows pending."""
    return result.rows_read == result.rows_valid + result.rows_quarantined + result.rows_pending


def as_manifest_inputs(result: IngestResult, data_dir: Path) -> dict[str, Any]:
    """The ``inputs`` section of manifest.json."""
    inputs: dict[str, Any] = {}
    for name, table in result.tables.items():
        files = [
            {
                "file": str(source.path.relative_to(data_dir))
                if source.path.is_relative_to(data_dir)
                else str(source.path),
                "sha256": source.sha256,
                "encoding": source.encoding,
                "header_row": source.header_row,
                "rows_read": source.rows_read,
            }
            for source in table.sources
        ]
        inputs[name] = {
            "file": files[0]["file"] if len(files) == 1 else [f["file"] for f in files] or None,
            "sha256": files[0]["sha256"] if len(files) == 1 else None,
            **table.counts(),
            "conserved": conservation_holds(table),
            "files": files,
            "ignored_columns": table.unknown_columns,
        }
    return inputs
