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
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from supplier_audit import parsing
from supplier_audit.config import AuditConfig
from supplier_audit.io import (
    InputError,
    RawTable,
    SourceFile,
    discover_inputs,
    is_text_column,
    read_table,
)
from supplier_audit.privacy import mask_buyer_ids
from supplier_audit.schemas import (
    CHANNELS,
    COMPLAINT_STATUSES,
    COMPLAINT_TYPES,
    COUNTERFEIT_STATUSES,
    DOC_TYPES,
    INPUT_TABLES,
    PLATFORMS,
    TableSpec,
)

log = logging.getLogger(__name__)

_ENUMS: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "doc_type": DOC_TYPES,
    "complaint_type": COMPLAINT_TYPES,
    "status": COMPLAINT_STATUSES,
    "counterfeit_status": COUNTERFEIT_STATUSES,
    "platform": PLATFORMS,
}
# Event dates that cannot lie after the night being audited (valid_until may).
_NOT_AFTER_AS_OF = (
    "onboarded_on",
    "received_on",
    "issued_on",
    "ordered_on",
    "opened_on",
    "closed_on",
    "inspected_on",
)
# Which earlier table each reference column must point into.
_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "shipments": (("supplier_id", "suppliers"),),
    "documents": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "reviews": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "orders": (("shipment_id", "shipments"),),
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
    # Rows whose cells had control characters removed: source_file, source_row, columns.
    cleaned: pd.DataFrame = field(default_factory=lambda: empty_cleaned())

    @property
    def present(self) -> bool:
        """Whether the table came in a file at all (an absent optional table did not)."""
        return bool(self.sources)

    @property
    def rows_valid(self) -> int:
        return len(self.valid) if self.valid_rows is None else self.valid_rows

    @cached_property
    def lot_suppliers(self) -> pd.Series:
        """shipment_id -> supplier_id of the valid lots (shipments only); built once, so
        that every batch of reviews reuses the same index and its hash table."""
        lots = self.valid.drop_duplicates("shipment_id")
        return pd.Series(
            lots["supplier_id"].to_numpy(), index=pd.Index(lots["shipment_id"].to_numpy())
        )

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

    def valid_tables(self) -> dict[str, pd.DataFrame]:
        """Every table's valid rows, by name."""
        return {name: table.valid for name, table in self.tables.items()}

    def with_table(self, result: TableResult) -> IngestResult:
        """This result with ``result`` added (tables kept in the contract's order)."""
        tables = {**self.tables, result.name: result}
        ordered = {name: tables[name] for name in INPUT_TABLES if name in tables}
        batched = {k: v for k, v in self.batched_files.items() if k != result.name}
        return IngestResult(tables=ordered, ignored_files=self.ignored_files, batched_files=batched)

    def cleaned_rows(self) -> pd.DataFrame:
        """Every table's rows cleaned of control characters, with the table's name."""
        pieces = [
            table.cleaned.assign(table=name)
            for name, table in self.tables.items()
            if len(table.cleaned)
        ]
        if not pieces:
            return empty_cleaned().assign(table=pd.Series(dtype="str"))
        return pd.concat(pieces, ignore_index=True)

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
#
# Problems and reasons are kept only for the rows that have them: a Series of messages indexed
# by the row (the position in ``RawTable.cells``), never one string per cell.


def _type_columns(
    raw: RawTable, spec: TableSpec, settings: AuditConfig
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Typed frame (same index as the raw cells) and, per column, the cells it could not read."""
    cells = raw.cells
    workbook = raw.from_workbook.reindex(cells.index, fill_value=False).astype(bool)
    serial_ok = workbook | settings.ingest.excel_serial_dates_in_csv
    typed: dict[str, pd.Series] = {}
    problems: dict[str, pd.Series] = {}
    aliases = settings.aliases
    truthy = aliases.booleans.get("true", [])
    falsy = aliases.booleans.get("false", [])
    for column in spec.columns:
        source = cells[column.name]
        if not is_text_column(source):
            parsed = _type_stored(raw, column.name, column.kind, bool(column.default), settings)
        elif column.kind in ("id", "text"):
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
                source, column.name, truthy=truthy, falsy=falsy, default=bool(column.default)
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
    return pd.DataFrame(typed, index=cells.index, copy=False), problems


def _type_stored(
    raw: RawTable, name: str, kind: str, default: bool, settings: AuditConfig
) -> parsing.Parsed:
    """Type a column Parquet stored with a type (io keeps only types that fit the kind)."""
    source = raw.cells[name]

    def as_text(rows: pd.Index) -> pd.Series:
        return raw.cell_texts(name, rows.to_numpy())

    if kind == "bool":
        aliases = settings.aliases.booleans
        return parsing.parse_bool_values(
            source,
            name,
            as_text=as_text,
            truthy=aliases.get("true", []),
            falsy=aliases.get("false", []),
            default=default,
        )
    if kind == "int":
        return parsing.parse_int_values(source, name, as_text=as_text)
    if kind == "decimal":
        return parsing.parse_decimal_values(source, name, as_text=as_text)
    if kind == "date":
        return parsing.parse_date_values(source, name, as_text=as_text)
    if kind == "datetime":
        return parsing.parse_datetime_values(source, name, as_text=as_text, zone=settings.zone)
    raise ValueError(f"column {name} of kind {kind} cannot be stored typed")


def _no_reasons() -> pd.Series:
    return pd.Series([], dtype=object)


def _failing(rows: pd.Series, message: pd.Series | str) -> pd.Series:
    """The reasons of the rows where ``rows`` is true (only those)."""
    mask = rows.to_numpy(dtype=bool)
    if isinstance(message, str):
        return pd.Series(message, index=rows.index[mask], dtype=object)
    return message[mask].astype(object)


def _joined(pieces: list[pd.Series]) -> pd.Series:
    """One reason per row that has any: its pieces joined with '; ', in the order given."""
    present = [piece[piece != ""] for piece in pieces if len(piece)]
    present = [piece for piece in present if len(piece)]
    if not present:
        return _no_reasons()
    every = pd.concat(present)
    if every.index.is_unique:
        joined: pd.Series = every.sort_index().astype(object)
    else:
        joined = every.groupby(level=0, sort=True).agg("; ".join).astype(object)
    return joined


def _has_problem(problems: pd.Series, index: pd.Index) -> np.ndarray:
    return np.asarray(index.isin(problems.index), dtype=bool)


def _empty_required(
    typed: pd.DataFrame, problems: Mapping[str, pd.Series], spec: TableSpec
) -> dict[str, pd.Series]:
    """Mark required columns that are empty in a row (where no other problem was found)."""
    marked = dict(problems)
    for column in spec.required_columns:
        empty = typed[column].isna().to_numpy(dtype=bool) & ~_has_problem(
            marked[column], typed.index
        )
        if empty.any():
            more = pd.Series(f"{column} is empty", index=typed.index[empty], dtype=object)
            marked[column] = pd.concat([marked[column], more]).sort_index()
    return marked


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
    typed: pd.DataFrame, problems: Mapping[str, pd.Series], raw: RawTable, spec: TableSpec
) -> dict[str, pd.Series]:
    """Run the pandera contract lazily; add every failure to the row's problems."""
    # Every row is checked, so a row shows all its problems at once. Cells that could not be
    # read hold a neutral stand-in here and their failures are ignored below.
    stand_ins = {
        column.name: typed[column.name].fillna(1).astype("int64")
        for column in spec.columns
        if column.required and column.kind == "int"
    }
    candidate = typed.assign(**stand_ins)
    found = dict(problems)
    try:
        spec.model.validate(candidate, lazy=True)
    except SchemaErrors as errors:
        del candidate
        cases = errors.failure_cases
        # Key uniqueness is judged later (first occurrence kept), not here.
        cases = cases[
            cases["index"].notna()
            & cases["column"].isin(spec.column_names)
            & ~cases["check"].astype("str").str.contains("unique")
        ]
        rows = cases["index"].astype("int64").to_numpy()
        columns = cases["column"].astype("str").to_numpy()
        fresh = np.ones(len(cases), dtype=bool)
        originals = np.empty(len(cases), dtype=object)
        for name in np.unique(columns):
            at = columns == name
            fresh[at] = ~pd.Index(rows[at]).isin(found[name].index)
            originals[at] = raw.cell_texts(name, rows[at]).to_numpy()
        if not fresh.any():
            return found
        rows, columns, originals = rows[fresh], columns[fresh], originals[fresh]
        checks = cases["check"].astype("str").to_numpy()[fresh]
        messages = _bulk_check_messages(pd.Series(checks), pd.Series(columns), pd.Series(originals))
        joined = (
            pd.DataFrame({"row": rows, "column": columns, "message": messages})
            .groupby(["column", "row"], sort=False)["message"]
            .agg("; ".join)
        )
        for name in pd.unique(columns):
            extra = joined.loc[name]
            found[name] = pd.concat([found[name], extra.astype(object)]).sort_index()
    return found


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
    if spec.name == "documents":
        bad = typed["valid_until"].notna() & (typed["valid_until"] < typed["issued_on"])
        return _failing(bad, "valid_until is before issued_on")
    if spec.name == "complaints":
        bad = typed["closed_on"].notna() & (typed["closed_on"] < typed["opened_on"])
        return _failing(bad, "closed_on is before opened_on")
    if spec.name == "inspections":
        # Only where both were read (an unreadable sample size has its own reason already).
        bad = (typed["counterfeit_units"] > typed["sample_size"]).fillna(False).astype(bool)
        return _failing(bad, "counterfeit_units is more than sample_size")
    return _no_reasons()


def _after_as_of(typed: pd.DataFrame, spec: TableSpec, as_of: dt.date) -> list[pd.Series]:
    reasons: list[pd.Series] = []
    day = pd.Timestamp(as_of)
    for column in spec.columns:
        if column.name in _NOT_AFTER_AS_OF:
            late = typed[column.name].notna() & (typed[column.name] > day)
        elif column.kind == "datetime":
            late = typed[column.name].notna() & (typed[column.name] >= parsing.end_of_day(as_of))
        else:
            continue
        if late.any():
            stamps = typed[column.name][late.to_numpy(dtype=bool)]
            layout = "%Y-%m-%d %H:%M" if column.kind == "datetime" else "%Y-%m-%d"
            shown = stamps.dt.strftime(layout)
            message = column.name + " " + shown + f" is after the as-of date {as_of.isoformat()}"
            reasons.append(message.astype(object))
    return reasons


def _references(
    typed: pd.DataFrame,
    spec: TableSpec,
    done: Mapping[str, TableResult],
) -> list[pd.Series]:
    reasons: list[pd.Series] = []
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
        known = pd.Series(_isin(values, valid_ids), index=values.index)
        was_quarantined = given & ~known & values.isin(quarantined_ids)
        unknown = given & ~known & ~was_quarantined
        noun = "supplier" if target == "suppliers" else "shipment"
        if was_quarantined.any():
            named = values[was_quarantined.to_numpy(dtype=bool)].astype("str")
            reasons.append((f"{column}: {noun} " + named + " was quarantined").astype(object))
        if unknown.any():
            named = values[unknown.to_numpy(dtype=bool)].astype("str")
            reasons.append(
                (f"{column}: unknown {noun} " + named + f" (not in {target})").astype(object)
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
        lot_supplier = typed["shipment_id"].map(done["shipments"].lot_suppliers)
        clash = (
            typed["supplier_id"].notna()
            & lot_supplier.notna()
            & (lot_supplier != typed["supplier_id"])
        ).to_numpy(dtype=bool)
        if clash.any():
            message = (
                "shipment_id: shipment "
                + typed["shipment_id"][clash].astype("str")
                + " is from supplier "
                + lot_supplier[clash].astype("str")
                + ", not "
                + typed["supplier_id"][clash].astype("str")
            )
            reasons.append(message.astype(object))
    return reasons


def _isin(values: pd.Series, ids: pd.Index) -> np.ndarray:
    """``values.isin(ids)`` for text, without pandas' Python loop over ``ids`` for Arrow text."""
    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return np.asarray(values.isin(ids), dtype=bool)
    strings = pa.array(values.array)
    wanted = pa.array(ids.to_numpy(dtype=object), type=strings.type, from_pandas=True)
    found = pc.is_in(strings, value_set=wanted, skip_nulls=True)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def _duplicates(
    typed: pd.DataFrame, source_rows: pd.Series, spec: TableSpec, ok: np.ndarray
) -> pd.Series:
    """Later occurrences of a key among otherwise valid rows; the first is kept."""
    keys = typed.loc[ok, list(spec.key)]
    later = keys.duplicated(keep="first")
    if not later.any():
        return _no_reasons()
    first_row = (
        source_rows.loc[ok].groupby([keys[k] for k in spec.key], dropna=False).transform("first")
    )
    repeated = keys.loc[later]
    key_text = repeated[spec.key[0]].astype("str")
    for extra in spec.key[1:]:
        value = repeated[extra]
        shown = value.dt.strftime("%Y-%m-%d") if hasattr(value, "dt") else value.astype("str")
        key_text = key_text + " / " + shown
    name = " / ".join(spec.key)
    message = (
        "duplicate "
        + name
        + " "
        + key_text
        + " (first kept, on row "
        + first_row.loc[later].astype("str")
        + ")"
    )
    return message.astype(object)


def _undecodable(raw: RawTable, spec: TableSpec) -> pd.Series:
    """Rows with a U+FFFD in a text cell: bytes the file's encoding could not decode."""
    hit = np.zeros(len(raw.cells), dtype=bool)
    for column in spec.column_names:
        cells = raw.cells[column]
        if is_text_column(cells) and cells.notna().any():
            found = cells.astype("str").str.contains("\ufffd", regex=False) & cells.notna()
            hit |= found.fillna(False).to_numpy(dtype=bool)
    return _failing(
        pd.Series(hit, index=raw.cells.index),
        "undecodable bytes in the row (check the file's encoding)",
    )


def empty_cleaned() -> pd.DataFrame:
    """No row cleaned of control characters."""
    return pd.DataFrame(
        {
            "source_file": pd.Series(dtype="str"),
            "source_row": pd.Series(dtype="int64"),
            "columns": pd.Series(dtype="str"),
        }
    )


def _cleaned_rows(raw: RawTable) -> pd.DataFrame:
    """Where the reader removed control characters, as a person finds the rows."""
    if raw.cleaned.empty:
        return empty_cleaned()
    positions = raw.cleaned.index.to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "source_file": raw.cells["source_file"].iloc[positions].astype("str").to_numpy(),
            "source_row": raw.cells["source_row"].iloc[positions].astype("int64").to_numpy(),
            "columns": raw.cleaned.astype("str").to_numpy(),
        }
    )


def _pending_rows(
    typed: pd.DataFrame, problems: Mapping[str, pd.Series], spec: TableSpec
) -> np.ndarray:
    if not spec.pending_when_empty:
        return np.zeros(len(typed), dtype=bool)
    columns = list(spec.pending_when_empty)
    empty = np.array(typed[columns].isna().all(axis=1), dtype=bool)
    for column in columns:
        empty &= ~_has_problem(problems[column], typed.index)
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
    # A row whose cells could not be read (a formula without its value) is not "still empty".
    pending[raw.read_problems.index.to_numpy(dtype=np.int64)] = False
    problems = _empty_required(typed, problems, spec)
    problems = _validate(typed, problems, raw, spec)
    reasons = _joined(
        [
            *(problems[column] for column in spec.column_names),
            _row_rules(typed, spec),
            *_after_as_of(typed, spec, as_of),
            *_references(typed, spec, done),
            _undecodable(raw, spec),
        ]
    )
    del problems
    if len(raw.read_problems):
        # A cell that could not be read says so; what its emptiness would imply does not.
        reasons = pd.concat(
            [reasons.drop(raw.read_problems.index, errors="ignore"), raw.read_problems]
        ).sort_index()
    pending_at = pd.Series(pending, index=typed.index)
    reasons = reasons[~pending_at.loc[reasons.index].to_numpy(dtype=bool)]
    ok = ~pending & ~_has_problem(reasons, typed.index)
    duplicates = _duplicates(typed, raw.cells["source_row"], spec, ok)
    if len(duplicates):
        reasons = _joined([reasons, duplicates])
        ok &= ~_has_problem(duplicates, typed.index)

    valid = typed if ok.all() else typed.loc[ok]
    del typed
    whole_numbers = {
        column.name: valid[column.name].astype("int64")
        for column in spec.columns
        if column.required and column.kind == "int"
    }
    valid = valid.assign(
        **whole_numbers,
        source_file=raw.cells["source_file"][ok].astype("str"),
        source_row=raw.cells["source_row"][ok].astype("int64"),
    ).reset_index(drop=True)

    bad = pd.Series(_has_problem(reasons, raw.cells.index), index=raw.cells.index)
    quarantine = quarantine_frame(raw, spec, bad, reasons)
    result = TableResult(
        name=spec.name,
        valid=valid,
        quarantine=quarantine,
        rows_read=raw.rows_read,
        rows_pending=int(pending.sum()),
        sources=raw.sources,
        unknown_columns=raw.unknown_columns,
        cleaned=_cleaned_rows(raw),
    )
    if len(result.cleaned):
        log.warning(
            "%s: control characters removed from %d row(s) (kept valid)",
            spec.name,
            len(result.cleaned),
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


def quarantine_frame(
    raw: RawTable, spec: TableSpec, bad: pd.Series, reasons: pd.Series
) -> pd.DataFrame:
    """Rejected rows: where from, why, and every original cell under its original header.

    ``bad`` marks the rejected rows of ``raw.cells``; ``reasons`` holds a reason for each of
    them (it may hold only those rows).
    """
    bad_rows = raw.cells.index[bad.reindex(raw.cells.index, fill_value=False).to_numpy(bool)]
    positions = bad_rows.to_numpy(dtype=np.int64)
    reasons = reasons.reindex(bad_rows)
    original = raw.original_rows(positions)
    front = pd.DataFrame(
        {
            "table": spec.name,
            "source_file": raw.cells["source_file"].iloc[positions].astype("str"),
            "source_row": raw.cells["source_row"].iloc[positions].astype("int64"),
            "reason": reasons.astype("str"),
        },
        index=original.index,
    )
    body = _buyers_masked(raw, spec, original.drop(columns=["source_file", "source_row"]))
    frame = pd.concat([front, body], axis=1)
    # The row's keys as read, for cascades ("supplier X was quarantined").
    for key in spec.key[:1]:
        frame[f"__{key}"] = raw.cell_texts(key, positions).map(
            lambda v: None if v is None else str(v).strip()
        )
    return frame.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)


def _buyers_masked(raw: RawTable, spec: TableSpec, body: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows with their buyer ids masked (buyer ids are masked in every output,
    the quarantine files too): the cell holding a row's buyer_id, under whatever header it
    came, is the one whose text equals it."""
    if "buyer_id" not in spec.column_names or body.empty:
        return body
    given = raw.cell_texts("buyer_id", body.index.to_numpy(dtype=np.int64)).astype("string")
    given.index = body.index
    present = given.notna().to_numpy(dtype=bool)
    if not present.any():
        return body
    masked = mask_buyer_ids(given).to_numpy(dtype=object)
    body = body.copy()
    for label in body.columns:
        text = body[label].astype("string").str.strip()
        same = (text == given).fillna(False).to_numpy(dtype=bool) & present
        if same.any():
            column = body[label].astype(object).to_numpy(copy=True)
            column[same] = masked[same]
            body[label] = column
    return body


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
        require_rows(name, raw.rows_read, found[name])
        tables[name] = ingest_table(raw, settings, as_of=as_of, done=tables)
    return IngestResult(
        tables=tables,
        ignored_files=ignored,
        batched_files={name: list(found[name]) for name in INPUT_TABLES if name in batched},
    )


def require_rows(table: str, rows_read: int, paths: Collection[Path]) -> None:
    """Stop the run when a required table came with a header but no rows (an optional table
    without rows is a normal night: no complaints, no documents)."""
    if rows_read == 0 and INPUT_TABLES[table].required:
        where = ", ".join(str(p) for p in paths) or table
        raise InputError(
            where,
            f"table {table} has a header but no rows: it is required, so the export is "
            "incomplete (export it again)",
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
                "cut_row": source.cut_row,
            }
            for source in table.sources
        ]
        inputs[name] = {
            "present": table.present,
            "file": files[0]["file"] if len(files) == 1 else [f["file"] for f in files] or None,
            "sha256": files[0]["sha256"] if len(files) == 1 else None,
            **table.counts(),
            "conserved": conservation_holds(table),
            "rows_cleaned": len(table.cleaned),
            "files": files,
            "ignored_columns": table.unknown_columns,
        }
    return inputs
