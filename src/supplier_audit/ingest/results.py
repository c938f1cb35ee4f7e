"""What ingest hands on: per table the valid rows, the quarantined ones and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from supplier_audit.contracts.inputs import INPUT_TABLES
from supplier_audit.contracts.text_hashes import TextMap
from supplier_audit.ingest.discover import SourceFile


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
    # supplier_audit.night.partitions); ``valid`` is then empty.
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

    @cached_property
    def lot_supplier_map(self) -> TextMap:
        """:attr:`lot_suppliers` as a hash look-up (built once; every review partition looks
        up the lot of each of its reviews in it)."""
        return TextMap(self.lot_suppliers)

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


def empty_cleaned() -> pd.DataFrame:
    """No row cleaned of control characters."""
    return pd.DataFrame(
        {
            "source_file": pd.Series(dtype="str"),
            "source_row": pd.Series(dtype="int64"),
            "columns": pd.Series(dtype="str"),
        }
    )
