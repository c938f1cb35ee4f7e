"""The risk report's last sheets: data quality, and run info (what the night was made from)."""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from supplier_audit.reporting.cells import (
    text_cell,
    value_cell,
)
from supplier_audit.reporting.labels import reason_in_words
from supplier_audit.reporting.risk_cells import Column, translated
from supplier_audit.reporting.risk_inputs import RiskReportInputs
from supplier_audit.reporting.risk_tables import Sheet, header_cells, print_setup, table_sheet


def data_quality_sheet(book: Workbook, inputs: RiskReportInputs) -> None:
    language = inputs.language
    counts = pd.DataFrame(
        [
            {
                "table": name,
                **{
                    k: t[k] for k in ("rows_read", "rows_valid", "rows_quarantined", "rows_pending")
                },
            }
            for name, t in inputs.manifest["inputs"].items()
        ]
    )
    columns = [
        Column("table"),
        Column("rows_read", "int"),
        Column("rows_valid", "int"),
        Column("rows_quarantined", "int"),
        Column("rows_pending", "int"),
    ]
    sheet = table_sheet(book, translated("sheet.data_quality", language), counts, columns, language)
    _cleaned_rows(sheet, inputs)
    if inputs.quarantine_reasons.empty:
        return
    sheet.blank()
    sheet.append(
        [text_cell(sheet.ws, translated("quarantine_reasons", language), font=Font(bold=True))]
    )
    sheet.append(
        header_cells(
            sheet,
            [
                translated("table", language),
                translated("rows", language),
                translated("reason", language),
            ],
        )
    )
    for row in inputs.quarantine_reasons.itertuples(index=False):
        sheet.append(
            [
                text_cell(sheet.ws, translated(f"table.{row.table}", language)),
                value_cell(sheet.ws, row.rows),
                text_cell(sheet.ws, reason_in_words(str(row.reason), language)),
            ]
        )


# The data-quality sheet names at most this many cleaned rows (the manifest counts them all).
MAX_CLEANED_ROWS_SHOWN = 1000


def _cleaned_rows(sheet: Sheet, inputs: RiskReportInputs) -> None:
    """How many rows lost control characters, and which (table, file, row, columns)."""
    cleaned = inputs.cleaned_rows
    if cleaned is None or cleaned.empty:
        return
    language = inputs.language
    sheet.blank()
    title = f"{translated('cleaned_rows', language)}: {len(cleaned):,}"
    sheet.append([text_cell(sheet.ws, title, font=Font(bold=True))])
    sheet.append(
        header_cells(
            sheet,
            [
                translated("table", language),
                translated("file", language),
                translated("source_row", language),
                translated("cleaned_columns", language),
            ],
        )
    )
    for row in cleaned.head(MAX_CLEANED_ROWS_SHOWN).itertuples(index=False):
        sheet.append(
            [
                text_cell(sheet.ws, translated(f"table.{row.table}", language)),
                text_cell(sheet.ws, row.source_file),
                value_cell(sheet.ws, row.source_row),
                text_cell(sheet.ws, row.columns),
            ]
        )
    if len(cleaned) > MAX_CLEANED_ROWS_SHOWN:
        note = translated("cleaned_capped_note", language).format(
            shown=f"{MAX_CLEANED_ROWS_SHOWN:,}", total=f"{len(cleaned):,}"
        )
        sheet.append([text_cell(sheet.ws, note, font=Font(italic=True))])


def run_info_sheet(book: Workbook, inputs: RiskReportInputs) -> None:
    language = inputs.language
    manifest = inputs.manifest
    sheet = Sheet(book, translated("sheet.run_info", language))
    for letter, width in zip("ABCD", (28, 40, 70, 12), strict=True):
        sheet.ws.column_dimensions[letter].width = width
    print_setup(sheet, title_rows=None)
    bold = Font(bold=True)
    rows = [
        ("as_of", manifest["as_of"]),
        ("config_version", manifest["config"]["version"]),
        ("config_sha256", manifest["config"]["sha256"]),
        ("seed", manifest["seed"]),
        ("timezone", manifest["config"].get("timezone", "")),
    ]
    sheet.append(
        header_cells(sheet, [translated("setting", language), translated("value", language)])
    )
    for key, value in rows:
        sheet.append(
            [text_cell(sheet.ws, translated(key, language), font=bold), value_cell(sheet.ws, value)]
        )
    sheet.blank()
    sheet.append(
        header_cells(
            sheet,
            [
                translated("table", language),
                translated("file", language),
                translated("sha256", language),
                translated("rows_read", language),
            ],
        )
    )
    for table, entry in manifest["inputs"].items():
        for source in entry.get("files", []):
            sheet.append(
                [
                    text_cell(sheet.ws, table),
                    text_cell(sheet.ws, source["file"]),
                    text_cell(sheet.ws, source["sha256"]),
                    value_cell(sheet.ws, source["rows_read"]),
                ]
            )
    sheet.blank()
    sheet.append([text_cell(sheet.ws, translated("versions", language), font=bold)])
    for name, version in manifest["versions"].items():
        sheet.append([text_cell(sheet.ws, name), text_cell(sheet.ws, version)])
    if manifest.get("stages"):
        sheet.blank()
        sheet.append([text_cell(sheet.ws, translated("stage_seconds", language), font=bold)])
        for name, stage in manifest["stages"].items():
            sheet.append([text_cell(sheet.ws, name), value_cell(sheet.ws, stage["seconds"])])
