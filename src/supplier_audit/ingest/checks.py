"""Typing a raw table's cells by the contract and checking every row: column checks (pandera),
rules within a row and across tables (:mod:`supplier_audit.contracts.rules`), duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandera.errors import SchemaErrors

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import TableSpec
from supplier_audit.contracts.rules import (
    ENUM_COLUMNS,
    NOT_AFTER_AS_OF,
    REFERENCE_KEY,
    REFERENCES,
    ROW_RULES,
)
from supplier_audit.contracts.text_columns import member_of
from supplier_audit.ingest.cells import is_text_column
from supplier_audit.ingest.dates import (
    end_of_day,
    parse_date,
    parse_date_values,
    parse_datetime,
    parse_datetime_values,
)
from supplier_audit.ingest.results import TableResult
from supplier_audit.ingest.tables import RawTable
from supplier_audit.ingest.values import (
    Parsed,
    parse_bool,
    parse_bool_values,
    parse_currency,
    parse_decimal,
    parse_decimal_values,
    parse_enum,
    parse_int,
    parse_int_values,
    parse_text,
)


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
            parsed = parse_text(source)
        elif column.kind == "enum":
            parsed = parse_enum(
                source,
                column.name,
                allowed=ENUM_COLUMNS[column.name],
                aliases=aliases.values.get(column.name, {}),
            )
        elif column.kind == "bool":
            parsed = parse_bool(
                source, column.name, truthy=truthy, falsy=falsy, default=bool(column.default)
            )
        elif column.kind == "int":
            parsed = parse_int(source, column.name)
        elif column.kind == "decimal":
            parsed = parse_decimal(source, column.name)
        elif column.kind == "currency":
            parsed = parse_currency(source, column.name, default=settings.ingest.default_currency)
        elif column.kind == "date":
            parsed = parse_date(source, column.name, excel_serial=serial_ok)
        else:
            parsed = parse_datetime(source, column.name, excel_serial=serial_ok, zone=settings.zone)
        typed[column.name] = parsed.values
        problems[column.name] = parsed.problems
    return pd.DataFrame(typed, index=cells.index, copy=False), problems


def _type_stored(
    raw: RawTable, name: str, kind: str, default: bool, settings: AuditConfig
) -> Parsed:
    """Type a column Parquet stored with a type (io keeps only types that fit the kind)."""
    source = raw.cells[name]

    def as_text(rows: pd.Index) -> pd.Series:
        return raw.cell_texts(name, rows.to_numpy())

    if kind == "bool":
        aliases = settings.aliases.booleans
        return parse_bool_values(
            source,
            name,
            as_text=as_text,
            truthy=aliases.get("true", []),
            falsy=aliases.get("false", []),
            default=default,
        )
    if kind == "int":
        return parse_int_values(source, name, as_text=as_text)
    if kind == "decimal":
        return parse_decimal_values(source, name, as_text=as_text)
    if kind == "date":
        return parse_date_values(source, name, as_text=as_text)
    if kind == "datetime":
        return parse_datetime_values(source, name, as_text=as_text, zone=settings.zone)
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
    """Rules that relate two columns of the same row (``contracts.rules.ROW_RULES``); a value
    that could not be read breaks no such rule (it has its own reason already)."""
    reasons = [
        _failing((typed[rule.column] < typed[rule.floor]).fillna(False).astype(bool), rule.message)
        for rule in ROW_RULES.get(spec.name, ())
    ]
    return _joined(reasons)


def _after_as_of(typed: pd.DataFrame, spec: TableSpec, as_of: dt.date) -> list[pd.Series]:
    reasons: list[pd.Series] = []
    day = pd.Timestamp(as_of)
    for column in spec.columns:
        if column.name in NOT_AFTER_AS_OF:
            late = typed[column.name].notna() & (typed[column.name] > day)
        elif column.kind == "datetime":
            late = typed[column.name].notna() & (typed[column.name] >= end_of_day(as_of))
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
    for column, target in REFERENCES.get(spec.name, ()):
        if target not in done:
            continue
        key = REFERENCE_KEY[target]
        valid_ids = done[target].valid[key].astype("str")
        quarantined_ids = (
            done[target].quarantine.get(f"__{key}", pd.Series(dtype="str")).dropna().astype("str")
        )
        values = typed[column]
        given = values.notna()
        known = pd.Series(_isin(values, valid_ids), index=values.index)
        was_quarantined = given & ~known & _isin(values, quarantined_ids)
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
        lot_supplier = done["shipments"].lot_supplier_map.get(typed["shipment_id"])
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


def _isin(values: pd.Series, ids: pd.Series) -> np.ndarray:
    """``values.isin(ids)`` for text, by pyarrow's hash look-up on the Arrow buffers (no
    Python string per id: the ids are every valid lot, looked up once per review partition);
    a missing value is never in."""
    if len(values) == 0 or len(ids) == 0:
        return np.zeros(len(values), dtype=bool)
    found = member_of(values.astype("str"), ids)
    return found & values.notna().to_numpy(dtype=bool)


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
