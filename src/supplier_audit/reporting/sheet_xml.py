"""Rows of a write-only sheet as worksheet XML, the bytes openpyxl writes for the same cells.

openpyxl makes a cell object per value, looks its style up by hash and writes it element by
element; a sheet of 50,000 rows costs it about a minute. :func:`stream_rows` writes each row as
XML text straight into the sheet's file, as lxml would serialise it (non-ASCII characters as
decimal character references, ``& < > \r`` escaped), between what openpyxl's own stream writes
(or, for what the text path does not take, builds the ``<row>`` element by element and hands
it to that stream), with style ids registered once per :class:`CellStyle`.
``tests/test_report_cells.py`` holds it to openpyxl's bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from typing import Any, cast

from lxml import etree
from lxml.etree import SubElement
from openpyxl.cell.cell import Cell, get_time_format
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.compat import NUMERIC_TYPES, safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel, to_ISO8601
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import RowDimension

from supplier_audit.reporting.cell_style import CellStyle, Formula, Styled
from supplier_audit.reporting.sheet_file import open_rows

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_SPACE = ' xml:space="preserve">'


class _ByElements(Exception):
    """A row the XML-text path leaves to the element-by-element one."""


def _escaped(text: str) -> str:
    """Text as XML element content that parses back to itself (a carriage return too)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


_PRESERVE = {_XML_SPACE: "preserve"}
_NUMBER_TYPES = tuple(t for t in NUMERIC_TYPES if t is not bool)
_TIME_TYPES = (dt.datetime, dt.date, dt.time, dt.timedelta)


# What an XML 1.0 document cannot hold: a row with such a character takes the element path
# (which refuses it as openpyxl does).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _RowWriter:
    """The XML rows of one write-only sheet: openpyxl's own row stream replaced by one that also
    takes rows as XML bytes or prebuilt ``<row>`` elements (and still writes rows given to
    ``sheet.append``)."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self.book = sheet.parent
        self.next_row = 1
        self._letters: list[str] = []
        self._heights: dict[float, dict[str, str]] = {}
        self._rich_fonts: dict[int, tuple[InlineFont, Any]] = {}
        self._font_texts: dict[int, tuple[InlineFont, str]] = {}
        self._date_styles: dict[tuple[type, CellStyle | None], CellStyle] = {}
        open_rows(sheet, self)

    def letters(self, columns: int) -> list[str]:
        """The letters of the first ``columns`` columns (A, B, …)."""
        while len(self._letters) < columns:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters

    def row_element(self, values: Iterable[object], height: float | None) -> Any:
        """The ``<row>`` of ``values``: as the XML bytes lxml would write for it, or made element
        by element for what the text path does not take (cell objects, odd rich text, a
        character XML cannot hold)."""
        number = self.next_row
        attributes = {"r": str(number)}
        if height:
            attributes.update(self._height_attributes(height))
        else:
            set_before = self.sheet.row_dimensions.get(number)
            if set_before is not None:
                attributes.update(set_before)
        values = values if isinstance(values, list | tuple) else list(values)
        try:
            return self._row_by_text(attributes, values)
        except _ByElements:
            return self._row_by_elements(attributes, values)

    def _row_by_text(self, attributes: dict[str, str], values: Sequence[object]) -> bytes:
        """The row as lxml writes it: an element with no text as ``<c …></c>``, as openpyxl's
        cells are written (an empty row too: ``<row r="1"></row>``)."""
        suffix = attributes["r"]
        xml = ["<row", *(f' {name}="{setting}"' for name, setting in attributes.items()), ">"]
        for letter, value in zip(self.letters(len(values)), values, strict=False):
            style = None
            if value is None:
                continue
            if type(value) is Styled:
                value, style = value
            kind = type(value)
            if kind is not str and kind is not int and kind is not float:
                self._cell_text(xml, letter + suffix, value, style)
                continue
            # text and numbers, the most cells of a big sheet
            start = f'<c r="{letter}{suffix}"'
            if style is not None and style.styled:
                start += f' s="{style.style_id(self.book)}"'
            if isinstance(value, str):
                if not value:
                    xml.append(start + ' t="inlineStr"></c>')
                else:
                    space = _SPACE if value[0].isspace() or value[-1].isspace() else ">"
                    xml.append(f'{start} t="inlineStr"><is><t{space}{_escaped(value)}</t></is></c>')
            else:  # safe_string's text of a number: NaN and the infinities as ""
                number = cast(float, value)
                text = format(number, ".16g") if number - number == 0 else ""
                xml.append(f'{start} t="n"><v>{text}</v></c>')
        xml.append("</row>")
        text = "".join(xml)
        if _NOT_XML.search(text) is not None:
            raise _ByElements
        return text.encode("ascii", "xmlcharrefreplace")

    def _cell_text(
        self, xml: list[str], reference: str, value: object, style: CellStyle | None
    ) -> None:
        """A non-text ``<c>`` as XML text."""
        if type(value) is Cell:
            raise _ByElements
        if isinstance(value, _TIME_TYPES) and (style is None or not style.dates):
            style = self._date_style(type(value), style)
        start = f'<c r="{reference}"'
        if style is not None and style.styled:
            start += f' s="{style.style_id(self.book)}"'
        if value is None:
            xml.append(start + ' t="n"></c>')
            return
        if type(value) is Formula:
            if len(value) < 2:
                raise _ByElements
            xml.append(f"{start}><f>{_escaped(value[1:])}</f><v></v></c>")
            return
        if isinstance(value, str):  # a kind of text other than str itself
            raise _ByElements
        if type(value) is bool:
            xml.append(f'{start} t="b"><v>{"1" if value else "0"}</v></c>')
            return
        if isinstance(value, _NUMBER_TYPES):
            text = safe_string(value)
        elif isinstance(value, _TIME_TYPES):
            if getattr(value, "tzinfo", None) is not None or self.book.iso_dates:
                raise _ByElements
            text = safe_string(to_excel(value, self.book.epoch))
        elif isinstance(value, CellRichText):
            xml.append(f'{start} t="inlineStr">{self._rich_text_xml(value)}</c>')
            return
        else:
            raise _ByElements
        xml.append(f'{start} t="n"><v>{_escaped(text)}</v></c>')

    def _rich_text_xml(self, value: CellRichText) -> str:
        """``CellRichText.to_tree()`` as XML text."""
        parts = ["<is>"]
        for part in value:
            if isinstance(part, TextBlock):
                text = part.text
                parts.append("<r>" + self._font_xml(part.font))
            else:
                text = part
                parts.append("<r>")
            if not isinstance(text, str) or not text:
                raise _ByElements
            stripped = text.strip()
            space = _SPACE if stripped and text != stripped else ">"
            parts.append(f"<t{space}{_escaped(text)}</t></r>")
        parts.append("</is>")
        return "".join(parts)

    def _font_xml(self, font: InlineFont) -> str:
        found = self._font_texts.get(id(font))
        if found is None or found[0] is not font:
            text = etree.tostring(self._font_element(font), encoding="unicode")
            found = self._font_texts[id(font)] = (font, text)
        return found[1]

    def _cells(self, values: Sequence[object]) -> Iterator[tuple[str, object, CellStyle | None]]:
        """Each cell of a row that is written: its column letter, value and style."""
        for letter, value in zip(self.letters(len(values)), values, strict=False):
            if value is None:
                continue
            if type(value) is Styled:
                yield letter, value.value, value.style
            else:
                yield letter, value, None

    def _row_by_elements(self, attributes: dict[str, str], values: Sequence[object]) -> Any:
        row = etree.Element("row", attributes)
        suffix = attributes["r"]
        for letter, value, style in self._cells(values):
            self._cell(row, letter + suffix, value, style)
        if not len(row):
            row.text = ""  # <row r="1"></row>, as openpyxl writes an empty row
        return row

    def _height_attributes(self, height: float) -> dict[str, str]:
        found = self._heights.get(height)
        if found is None:
            found = self._heights[height] = dict(RowDimension(self.sheet, index=1, ht=height))
        return found

    def _cell(self, row: Any, reference: str, value: object, style: CellStyle | None) -> None:
        """One ``<c>`` as openpyxl's ``lxml_write_cell`` writes it."""
        attributes = {"r": reference}
        if type(value) is Cell:
            self._openpyxl_cell(row, attributes, value)
            return
        if isinstance(value, _TIME_TYPES) and (style is None or not style.dates):
            style = self._date_style(type(value), style)
        if style is not None and style.styled:
            attributes["s"] = style.style_id(self.book)
        self._content(row, attributes, value)

    def _content(self, row: Any, attributes: dict[str, str], value: object) -> None:
        """The ``<c>`` of a value: its type attribute and what it holds."""
        if value is None:
            attributes["t"] = "n"
            SubElement(row, "c", attributes).text = ""
        elif isinstance(value, str):
            if type(value) is Formula:
                cell = SubElement(row, "c", attributes)
                SubElement(cell, "f").text = value[1:]
                SubElement(cell, "v").text = ""
                return
            attributes["t"] = "inlineStr"
            cell = SubElement(row, "c", attributes)
            if not value:
                cell.text = ""
                return
            inline = SubElement(cell, "is")
            text = SubElement(inline, "t", _PRESERVE if value != value.strip() else None)
            text.text = value
        elif type(value) is bool:
            attributes["t"] = "b"
            SubElement(SubElement(row, "c", attributes), "v").text = "1" if value else "0"
        elif isinstance(value, _NUMBER_TYPES):
            attributes["t"] = "n"
            SubElement(SubElement(row, "c", attributes), "v").text = safe_string(value)
        elif isinstance(value, _TIME_TYPES):
            if getattr(value, "tzinfo", None) is not None:
                raise TypeError("Excel does not support timezones in datetimes")
            if self.book.iso_dates and not isinstance(value, dt.timedelta):
                attributes["t"] = "d"
                serial: object = to_ISO8601(value)
            else:
                attributes["t"] = "n"
                serial = to_excel(value, self.book.epoch)
            SubElement(SubElement(row, "c", attributes), "v").text = safe_string(serial)
        elif isinstance(value, CellRichText):
            attributes["t"] = "inlineStr"
            SubElement(row, "c", attributes).append(self._rich_text(value))
        else:
            raise ValueError(f"Cannot convert {value!r} to Excel")

    def _openpyxl_cell(self, row: Any, attributes: dict[str, str], cell: Cell) -> None:
        """A cell object (small rows): written by its data type, as openpyxl would."""
        if cell.has_style:
            attributes["s"] = str(cell.style_id)
        value, kind = cell._value, cell.data_type
        if value is None or value == "":
            if kind == "s":
                attributes["t"] = "inlineStr"
            elif kind != "f":
                attributes["t"] = kind
            SubElement(row, "c", attributes).text = ""
        elif kind == "s":
            self._content(row, attributes, value if isinstance(value, CellRichText) else str(value))
        elif kind == "f":
            self._content(row, attributes, Formula(value))
        elif kind == "d":
            self._content(row, attributes, value)
        else:  # n, b, e
            attributes["t"] = kind
            SubElement(SubElement(row, "c", attributes), "v").text = safe_string(value)

    def _date_style(self, kind: type, style: CellStyle | None) -> CellStyle:
        """The style openpyxl gives a date cell whose number format is not a date's."""
        key = (kind, style)
        found = self._date_styles.get(key)
        if found is None:
            found = self._date_styles[key] = CellStyle(
                self.sheet, style, number_format=get_time_format(kind)
            )
        return found

    def _rich_text(self, value: CellRichText) -> Any:
        """``CellRichText.to_tree()``, each font's ``<rPr>`` built once and copied."""
        inline = etree.Element("is")
        for part in value:
            run = SubElement(inline, "r")
            if isinstance(part, TextBlock):
                run.append(copy(self._font_element(part.font)))
                text = part.text
            else:
                text = part
            element = SubElement(run, "t")
            element.text = text
            stripped = text.strip()
            if stripped and text != stripped:
                element.set(_XML_SPACE, "preserve")
        return inline

    def _font_element(self, font: InlineFont) -> Any:
        found = self._rich_fonts.get(id(font))
        if found is None or found[0] is not font:
            found = self._rich_fonts[id(font)] = (font, font.to_tree(tagname="rPr"))
        return found[1]


def stream_rows(
    sheet: WriteOnlyWorksheet,
    rows: Iterable[Iterable[object]],
    *,
    heights: Iterable[float | None] | None = None,
) -> int:
    """Write ``rows`` to a write-only sheet as prebuilt XML, the same bytes ``sheet.append``
    would write for the same cells, without a cell object per value; returns the next row's
    number.

    A value is None (no cell), text (always a string cell, whatever it starts with), a number,
    a bool, a date or time, rich text (``CellRichText``), a :class:`Formula`, or one of these
    with a style (``style(value)`` of a :class:`CellStyle`; a styled None is an empty styled
    cell). ``heights`` gives each row's height in points (None or 0: the default). A sheet
    written by ``stream_rows`` may also be given rows by ``sheet.append`` (small rows, cell
    objects) before or after, but ``stream_rows`` must write or open its first row.
    """
    writer = getattr(sheet, "_stream_rows_writer", None)
    if writer is None:
        writer = sheet._stream_rows_writer = _RowWriter(sheet)
    send = sheet._rows.send
    build = writer.row_element
    if heights is None:
        for values in rows:
            send(build(values, None))
    else:
        for values, height in zip(rows, heights, strict=True):
            send(build(values, height))
    return writer.next_row
