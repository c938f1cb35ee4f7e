"""Reading cell values the way merchants type them, vectorised over whole columns: text, enums,
yes/no, integers, decimals, currency. Each parser returns the typed values plus a reason for
every cell it could not read (dates: :mod:`supplier_audit.ingest.dates`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.ingest.headers import normalise_label

_INTEGER = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$"


_DECIMAL = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$"


_CURRENCY_MARKS = r"^[¥$€£]\s*|\s*(?:元|rmb|cny)$"


_LARGEST_EXACT_INTEGER = 2**53


# pandas' default text dtype ("str"): Arrow storage, NaN for an empty cell.
_ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


# Renders the stored values of the given rows as the text a person sees (see io.cell_texts).
AsText = Callable[[pd.Index], pd.Series]


@dataclass(frozen=True)
class Parsed:
    """Typed values of one column and, per row, why a cell could not be read ('' if it could)."""

    values: pd.Series
    # Only the rows whose cell could not be read, each with its reason.
    problems: pd.Series


def normalise_cells(cells: pd.Series) -> pd.Series:
    """NFKC (full-width digits and letters to ASCII), trimmed; empty text becomes NA."""
    text = cells.astype("str").str.normalize("NFKC").str.strip()
    return text.where(cells.notna() & (text != ""), None)


def _problems(cells: pd.Series, failed: pd.Series, template: str, column: str) -> pd.Series:
    """Reason text for the rows where ``failed`` (only those): template with {column}, {value}."""
    head, _, tail = template.partition("{value}")
    shown = cells[failed.to_numpy(dtype=bool)]
    message = head.format(column=column) + shown.astype("str") + tail.format(column=column)
    return message.astype(object)


def _no_problems(index: pd.Index) -> pd.Series:
    return pd.Series([], index=index[:0], dtype=object)


def _merged(first: Parsed, rest: Parsed, rest_rows: pd.Index) -> Parsed:
    """``first`` with the rows ``rest_rows`` replaced by ``rest`` (parsed from their text)."""
    if not len(rest_rows):
        return first
    values = first.values.copy()
    values.loc[rest_rows] = rest.values.loc[rest_rows].to_numpy()
    problems = pd.concat([first.problems.drop(rest_rows, errors="ignore"), rest.problems])
    return Parsed(values, problems.sort_index().astype(object))


def parse_text(cells: pd.Series, *, strip: bool = True) -> Parsed:
    """Free text and ids: kept exactly (ids never become numbers), empty -> NA."""
    if cells.dtype == _ARROW_TEXT:
        return Parsed(_clean_arrow_text(cells, strip=strip), _no_problems(cells.index))
    text = cells.astype("str")
    if strip:
        text = text.str.strip()
    values = text.where(cells.notna() & (text != ""), None).astype("str")
    return Parsed(values, _no_problems(cells.index))


def _clean_arrow_text(cells: pd.Series, *, strip: bool) -> pd.Series:
    """`parse_text` of Arrow-backed text, copying the column only when a cell changes."""
    strings = pa.array(cells.array)
    changed = False
    if strip:
        trimmed = pc.utf8_trim_whitespace(strings)
        if pc.any(pc.not_equal(pc.binary_length(trimmed), pc.binary_length(strings))).as_py():
            strings, changed = trimmed, True
        del trimmed
    empty = pc.equal(pc.binary_length(strings), 0)
    if pc.any(empty).as_py():
        strings, changed = pc.if_else(empty, pa.scalar(None, strings.type), strings), True
    if not changed:
        return cells
    return pd.Series(pd.array(strings, dtype=_ARROW_TEXT), index=cells.index)


def parse_int(cells: pd.Series, column: str) -> Parsed:
    """Whole numbers: '1,200', full-width '１２００', '1200.0' from a workbook."""
    text = normalise_cells(cells)
    ok = text.str.fullmatch(_INTEGER).fillna(False).astype(bool)
    digits = text.where(ok).str.replace(",", "", regex=False).str.replace(r"\.0+$", "", regex=True)
    numbers = pd.to_numeric(digits, errors="coerce")
    # Past 2**53 a float no longer holds every whole number (and past 2**63 the cast to Int64
    # fails): no lot size or rating is that large, so such a cell is a typo, not a count.
    too_large = numbers.abs() > _LARGEST_EXACT_INTEGER
    numbers = numbers.where(~too_large)
    fractional = text.notna() & ~ok & text.str.fullmatch(_DECIMAL).fillna(False).astype(bool)
    # Digits NFKC leaves alone (e.g. Arabic-Indic ٣) match the pattern but are no number.
    not_number = text.notna() & ((~ok & ~fractional) | (ok & numbers.isna() & ~too_large))
    # The three kinds of failure never overlap.
    problems = pd.concat(
        [
            _problems(cells, fractional, "{column} '{value}' is not a whole number", column),
            _problems(cells, not_number, "{column} '{value}' is not a number", column),
            _problems(cells, too_large, "{column} '{value}' is too large", column),
        ]
    ).sort_index()
    return Parsed(numbers.astype("Int64"), problems.astype(object))


def parse_decimal(cells: pd.Series, column: str) -> Parsed:
    """Prices and money: '1,200.50', '¥12.5', '12.5元', full-width digits."""
    text = normalise_cells(cells)
    bare = text.str.lower().str.replace(_CURRENCY_MARKS, "", regex=True).str.strip()
    ok = bare.str.fullmatch(_DECIMAL).fillna(False).astype(bool)
    numbers = pd.to_numeric(bare.where(ok).str.replace(",", "", regex=False), errors="coerce")
    failed = text.notna() & (~ok | numbers.isna())
    return Parsed(
        numbers.astype("float64"),
        _problems(cells, failed, "{column} '{value}' is not a number", column),
    )


def parse_bool(
    cells: pd.Series, column: str, *, truthy: list[str], falsy: list[str], default: bool
) -> Parsed:
    """Yes/no flags: true/false, 1/0, Y/N, yes/no, 是/否 (and configured aliases)."""
    text = normalise_cells(cells).str.casefold()
    mapping = {t.casefold(): True for t in truthy} | {f.casefold(): False for f in falsy}
    mapped = text.map(mapping)
    failed = text.notna() & mapped.isna()
    values = mapped.where(mapped.notna(), default).astype(bool)
    return Parsed(
        values,
        _problems(
            cells, failed, "{column} '{value}' is not yes/no (use 是/否, Y/N or true/false)", column
        ),
    )


def parse_enum(
    cells: pd.Series, column: str, *, allowed: tuple[str, ...], aliases: Mapping[str, list[str]]
) -> Parsed:
    """A value from a fixed list, matched case-insensitively, with Chinese aliases."""
    lookup = {normalise_label(v): v for v in allowed}
    for canonical, names in aliases.items():
        for name in names:
            lookup.setdefault(normalise_label(name), canonical)
    # A column holds few distinct values: read each once.
    codes, distinct = pd.factorize(cells, use_na_sentinel=True)
    text = normalise_cells(pd.Series(np.asarray(distinct, dtype=object), dtype=object))
    keys = text.str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    mapped_once = keys.map(lookup)
    failed_once = (text.notna() & mapped_once.isna()).to_numpy(dtype=bool)
    present = codes >= 0
    mapped = np.full(len(cells), np.nan, dtype=object)
    mapped[present] = mapped_once.to_numpy(dtype=object)[codes[present]]
    failed = np.zeros(len(cells), dtype=bool)
    failed[present] = failed_once[codes[present]]
    listed = ", ".join(allowed)
    return Parsed(
        pd.Series(mapped, index=cells.index, dtype=object).astype("str"),
        _problems(
            cells,
            pd.Series(failed, index=cells.index),
            "{column} '{value}' is not one of: " + listed,
            column,
        ),
    )


def parse_currency(cells: pd.Series, column: str, *, default: str) -> Parsed:
    """A 3-letter currency code, upper-cased; empty means the configured default."""
    text = normalise_cells(cells).str.upper()
    text = text.replace({"RMB": "CNY", "人民币": "CNY", "元": "CNY"})
    values = text.where(text.notna(), default).astype("str")
    return Parsed(values, _no_problems(cells.index))


def _from_text(
    values: pd.Series, direct: np.ndarray, as_text: AsText, read: Callable[[pd.Series], Parsed]
) -> tuple[pd.Index, Parsed | None]:
    """Read the rows not taken directly from their text; return those rows and the result."""
    rest_rows = values.index[~direct]
    if not len(rest_rows):
        return rest_rows, None
    texts = as_text(rest_rows)
    return rest_rows, read(pd.Series(texts.to_numpy(), index=rest_rows, dtype=object))


def _with_text_rest(
    values: pd.Series,
    direct: np.ndarray,
    taken: pd.Series,
    as_text: AsText,
    read: Callable[[pd.Series], Parsed],
) -> Parsed:
    first = Parsed(taken, _no_problems(values.index))
    rest_rows, rest = _from_text(values, direct, as_text, read)
    return first if rest is None else _merged(first, rest, rest_rows)


def _exact_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values of a stored number column, and where they equal what their text reads as.

    Integers up to 2**53; whole floats below 1e15 (written without a decimal point); other
    floats from 1e-4 to 1e15 (written without an exponent); empty cells.
    """
    raw = values.to_numpy()
    if raw.dtype.kind in "iu":
        limit = _LARGEST_EXACT_INTEGER
        direct = (raw <= limit) & ((raw >= -limit) if raw.dtype.kind == "i" else True)
        return raw.astype(np.float64), np.asarray(direct, dtype=bool)
    numbers = raw.astype(np.float64)
    size = np.abs(numbers)
    with np.errstate(invalid="ignore"):
        whole = numbers == np.floor(numbers)
        direct = np.isnan(numbers) | ((size < 1e15) & (whole | (size >= 1e-4)))
    # -0.0 reads as '0'.
    return numbers + 0.0, direct


def parse_int_values(values: pd.Series, column: str, *, as_text: AsText) -> Parsed:
    """Whole numbers from a stored integer or float column (see `parse_int`)."""
    numbers, direct = _exact_numbers(values)
    if values.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            direct &= np.isnan(numbers) | (numbers == np.floor(numbers))
    taken = pd.Series(np.where(direct, numbers, np.nan), index=values.index).astype("Int64")
    return _with_text_rest(values, direct, taken, as_text, lambda t: parse_int(t, column))


def parse_decimal_values(values: pd.Series, column: str, *, as_text: AsText) -> Parsed:
    """Prices and money from a stored integer or float column (see `parse_decimal`)."""
    numbers, direct = _exact_numbers(values)
    taken = pd.Series(np.where(direct, numbers, np.nan), index=values.index, dtype="float64")
    return _with_text_rest(values, direct, taken, as_text, lambda t: parse_decimal(t, column))


def parse_bool_values(
    values: pd.Series,
    column: str,
    *,
    as_text: AsText,
    truthy: list[str],
    falsy: list[str],
    default: bool,
) -> Parsed:
    """Yes/no flags from a stored boolean column (true/false, as its text reads)."""
    if "true" in {t.casefold() for t in truthy} and "false" in {f.casefold() for f in falsy}:
        return Parsed(values.astype(bool), _no_problems(values.index))
    direct = np.zeros(len(values), dtype=bool)
    return _with_text_rest(
        values,
        direct,
        values.astype(bool),
        as_text,
        lambda t: parse_bool(t, column, truthy=truthy, falsy=falsy, default=default),
    )
