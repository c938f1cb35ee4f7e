"""A write-only sheet's file open for rows made as XML bytes: openpyxl's worksheet writer with
its file as a Python file object, and a row stream that writes bytes, ``<row>`` elements and
rows given to ``sheet.append`` into it in order."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

from lxml import etree
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS


class RowCounter(Protocol):
    """Who numbers the rows: the stream counts each row it writes."""

    next_row: int


class SheetFileWriter(WorksheetWriter):  # type: ignore[misc]
    """openpyxl's worksheet writer (the same bytes) with its file open as ``handle``, so that
    rows made as XML bytes can go into it between what lxml writes."""

    handle: Any = None

    def get_stream(self) -> Generator[Any, Any, None]:
        with open(self.out, "wb") as handle, etree.xmlfile(handle) as xf:
            self.handle = handle
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        element = yield
                        if element is True:
                            yield xf
                        elif element is not None:
                            xf.write(element)
                except GeneratorExit:
                    pass


def open_rows(sheet: WriteOnlyWorksheet, counter: RowCounter) -> None:
    """Give a sheet that has written nothing yet a :class:`SheetFileWriter` and a row stream
    taking XML bytes, ``<row>`` elements or a row's values (``sheet.append``)."""
    if sheet._rows is not None or sheet._writer is not None:
        raise ValueError("stream_rows must write a sheet's rows from its first row on")
    sheet._writer = SheetFileWriter(sheet)
    sheet._writer.write_top()
    sheet._rows = _stream(sheet, counter)
    next(sheet._rows)


def _stream(sheet: WriteOnlyWorksheet, counter: RowCounter) -> Generator[None, Any, None]:
    """What openpyxl's ``WriteOnlyWorksheet._write_rows`` does, for every kind of row: bytes go
    straight into the file once lxml has written out what it holds."""
    writer = sheet._writer
    xf = writer.xf.send(True)
    with xf.element("sheetData"):
        pending = True  # lxml holds output not yet in the file
        try:
            while True:
                row = yield
                if type(row) is bytes:
                    if pending:
                        xf.flush()
                        pending = False
                    writer.handle.write(row)
                else:
                    if isinstance(row, etree._Element):
                        xf.write(row)
                    else:  # a row given to sheet.append
                        cells = sheet._values_to_row(row, counter.next_row)
                        writer.write_row(xf, cells, counter.next_row)
                    pending = True
                counter.next_row += 1
        except GeneratorExit:
            pass
    writer.xf.send(None)
