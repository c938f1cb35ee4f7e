"""Property tests of ingestion: whatever a merchant's file holds, no row is lost and nothing but
an ``InputError`` naming the file ever escapes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import INPUT_TABLES, ColumnKind
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.folder import conservation_holds, ingest_folder, ingest_table
from supplier_audit.ingest.results import TableResult
from supplier_audit.ingest.tables import read_table

from .conftest import AS_OF, BASE_TABLES, write_table

SETTINGS: AuditConfig = load_config().settings
# Modest example counts keep the file fast in CI; a run with 1500 generated tables, 400 byte
# strings and 400 damaged workbooks found nothing more (see docs/reliability.md).
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Cells a merchant really types (valid in some form), and cells that break a rule, per kind.
# NUL is left out of generated text: a NUL byte makes the whole CSV unreadable by design
# (tests/test_hostile_inputs.py covers it); here the subject is the rows.
_TEXT = st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=12)
_CELLS: dict[ColumnKind, st.SearchStrategy[str]] = {
    "id": st.one_of(
        st.sampled_from(["S1", "S2", "L1", "L2", "S404", "L404", "", " ", "=cmd()", "0001"]),
        st.sampled_from(["123456789012345678", "SKU-1", "S1 ", "ｓ１"]),
        _TEXT,
    ),
    "text": st.one_of(
        st.sampled_from(["质量很好", "假货", "", "=1+1", "@SUM(A1)", "\r\n多行\n", "x" * 300]),
        _TEXT,
    ),
    "enum": st.one_of(
        st.sampled_from(
            [
                "wholesaler",
                "Manufacturer",
                "代发",
                "DROPSHIP",
                "brand_authorization",
                "发票",
                "counterfeit",
                "假货",
                "upheld",
                "驳回",
                "open",
                "friend",
                "",
            ]
        ),
        _TEXT,
    ),
    "bool": st.one_of(st.sampled_from(["是", "否", "Y", "n", "TRUE", "0", "maybe", ""]), _TEXT),
    "int": st.one_of(
        st.sampled_from(
            [
                "1",
                "80",
                "1,200",
                "１２００",
                "1200.0",
                "0",
                "-1",
                "12.5",
                "1000000000000",
                "99999999999999999999999",
                "٣",
                "1e3",
                "",
            ]
        ),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        _TEXT,
    ),
    "decimal": st.one_of(
        st.sampled_from(["12.5", "¥12.50", "12.5元", "1,012.5", "-1", "NaN", "inf", "1e400", ""]),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        _TEXT,
    ),
    "currency": st.one_of(st.sampled_from(["CNY", "usd", "RMB", "人民币", "RMBX", ""]), _TEXT),
    "date": st.one_of(
        st.sampled_from(
            [
                "2026-11-03",
                "2026/11/3",
                "2026年11月3日",
                "20261103",
                "03/11/2026",
                "2026-02-30",
                "46328",
                "2027-01-01",
                "0001-01-01",
                "99999-01-01",
                "",
            ]
        ),
        st.dates(min_value=dt.date(1, 1, 1)).map(str),
        _TEXT,
    ),
    "datetime": st.one_of(
        st.sampled_from(
            [
                "2026-11-05 10:00",
                "2026-11-05T02:30:00Z",
                "2026-11-26 23:59:59",
                "2026-11-27 00:00",
                "2026-11-05 25:00",
                "2026-11-05 10:00-99:99",
                "",
            ]
        ),
        st.datetimes(min_value=dt.datetime(1, 1, 1)).map(str),
        _TEXT,
    ),
}
_TABLES = sorted(INPUT_TABLES)
_BASE_DONE: dict[str, TableResult] = {}


def _base_done() -> dict[str, TableResult]:
    """The base folder, ingested once: the earlier tables a generated table refers to."""
    if not _BASE_DONE:
        with tempfile.TemporaryDirectory() as folder:
            for table, rows in BASE_TABLES.items():
                write_table(Path(folder), table, rows)
            _BASE_DONE.update(ingest_folder(Path(folder), SETTINGS, as_of=AS_OF).tables)
    return _BASE_DONE


@st.composite
def generated_tables(draw: st.DrawFn) -> tuple[str, list[str], list[list[str]]]:
    """A table name, a header (every contract column, shuffled, plus random extra columns) and
    0-50 rows of cells mixing valid and invalid values."""
    table = draw(st.sampled_from(_TABLES))
    spec = INPUT_TABLES[table]
    optional = [c.name for c in spec.columns if not c.required]
    kept = draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    columns = [c for c in spec.columns if c.required or c.name in kept]
    extra = draw(
        st.lists(st.from_regex(r"[a-z备注附加]{1,8}", fullmatch=True), max_size=3, unique=True)
    )
    extra = [e for e in extra if e not in spec.column_names]
    header = [c.name for c in columns] + extra
    order = draw(st.permutations(list(range(len(header)))))
    n_rows = draw(st.integers(min_value=0, max_value=50))
    rows = [
        [draw(_CELLS[c.kind]) for c in columns] + [draw(_TEXT) for _ in extra]
        for _ in range(n_rows)
    ]
    return (
        table,
        [header[i] for i in order],
        [[row[i] for i in order] for row in rows],
    )


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _check_result(result: TableResult) -> None:
    assert conservation_holds(result), result.counts()
    quarantine = result.quarantine
    assert (quarantine["reason"].str.strip() != "").all()
    assert (quarantine["source_row"] >= 2).all()
    assert (result.valid["source_row"] >= 2).all()
    # No row is counted twice: valid and quarantined rows come from distinct spreadsheet rows.
    seen = list(result.valid["source_row"]) + list(quarantine["source_row"])
    assert len(seen) == len(set(seen))


@FAST
@given(generated_tables())
def test_any_generated_table_conserves_rows_and_explains_every_rejection(
    generated: tuple[str, list[str], list[list[str]]],
) -> None:
    table, header, rows = generated
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{table}.csv"
        path.write_bytes(_csv_bytes(header, rows))
        try:
            raw = read_table(table, [path], SETTINGS)
            result = ingest_table(raw, SETTINGS, as_of=AS_OF, done=_base_done())
        except InputError as error:
            assert f"{table}.csv" in str(error)
            return
    # Blank lines are skipped when read, every other data line is one row read.
    assert result.rows_read == sum(1 for row in rows if any(cell != "" for cell in row))
    _check_result(result)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(generated_tables(), min_size=1, max_size=3))
def test_a_folder_of_generated_tables_never_raises_anything_but_input_error(
    tables: list[tuple[str, list[str], list[list[str]]]],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for table, base_rows in BASE_TABLES.items():
            write_table(folder, table, base_rows)
        for table, header, cells in tables:
            (folder / f"{table}.csv").write_bytes(_csv_bytes(header, cells))
        try:
            result = ingest_folder(folder, SETTINGS, as_of=AS_OF)
        except InputError as error:
            assert any(f"{name}.csv" in str(error) for name, _, _ in tables)
            return
    for table_result in result.tables.values():
        _check_result(table_result)


# ----------------------------------------------------------------------- any bytes as a file

_SUPPLIER_HEADER = b"supplier_id,supplier_name,channel\n"
_ANY_CSV_BYTES = st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda tail: _SUPPLIER_HEADER + tail),
    st.binary(max_size=400).map(lambda tail: b"\xef\xbb\xbf" + _SUPPLIER_HEADER + tail),
    st.text(max_size=200).map(lambda t: (_SUPPLIER_HEADER.decode() + t).encode("gb18030")),
)


def _ingest_with_suppliers_file(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        for table in ("shipments", "reviews"):
            write_table(folder, table, BASE_TABLES[table])
        (folder / name).write_bytes(content)
        try:
            result = ingest_folder(folder, SETTINGS, as_of=AS_OF)
        except InputError as error:
            assert name in str(error), str(error)
            return
    for table_result in result.tables.values():
        _check_result(table_result)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ANY_CSV_BYTES)
def test_any_bytes_as_suppliers_csv_either_ingest_or_name_the_file(content: bytes) -> None:
    _ingest_with_suppliers_file("suppliers.csv", content)


def _valid_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["supplier_id", "supplier_name", "channel"])
    sheet.append(["S1", "义乌市甲贸易有限公司", "wholesaler"])
    sheet.append(["S2", "广州乙服饰厂", "生产厂家"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_WORKBOOK = _valid_workbook()


def _rezip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _workbook_members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(_WORKBOOK)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


_MEMBERS = _workbook_members()


@st.composite
def damaged_workbooks(draw: st.DrawFn) -> bytes:
    """Random bytes, a valid workbook with bytes overwritten, or one with a member's XML
    replaced by random bytes (zip intact, content broken)."""
    kind = draw(st.sampled_from(["bytes", "flipped", "member"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "flipped":
        data = bytearray(_WORKBOOK)
        for _ in range(draw(st.integers(min_value=1, max_value=8))):
            position = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[position] = draw(st.integers(min_value=0, max_value=255))
        return bytes(data)
    member = draw(st.sampled_from(sorted(_MEMBERS)))
    members = dict(_MEMBERS)
    original = members[member]
    cut = draw(st.integers(min_value=0, max_value=len(original)))
    members[member] = original[:cut] + draw(st.binary(max_size=64))
    return _rezip(members)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_workbooks())
def test_any_bytes_as_suppliers_xlsx_either_ingest_or_name_the_file(content: bytes) -> None:
    _ingest_with_suppliers_file("suppliers.xlsx", content)


def test_the_undamaged_workbook_of_the_property_is_read() -> None:
    """The workbook the damage starts from is itself valid, so the property tests damage."""
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        for table in ("shipments", "reviews"):
            write_table(folder, table, BASE_TABLES[table])
        (folder / "suppliers.xlsx").write_bytes(_WORKBOOK)
        result = ingest_folder(folder, SETTINGS, as_of=AS_OF)
    assert result["suppliers"]["channel"].tolist() == ["wholesaler", "manufacturer"]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\x00" * 10, b"PK\x03\x04"])
def test_edge_bytes_name_the_file(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        for table in ("shipments", "reviews"):
            write_table(folder, table, BASE_TABLES[table])
        (folder / "suppliers.csv").write_bytes(content)
        with pytest.raises(InputError, match=r"suppliers\.csv"):
            ingest_folder(folder, SETTINGS, as_of=AS_OF)
