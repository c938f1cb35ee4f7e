"""A cell style registered with a workbook once for many cells, and the values written with one:
a :class:`Styled` value, a :class:`Formula` the audit wrote itself (no other text is ever a
formula).
"""

from __future__ import annotations

from copy import copy
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import is_date_format
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


class CellStyle:
    """A cell style registered with a sheet's workbook once, for many cells.

    openpyxl looks each font, fill, border, alignment and number format up in the workbook's
    style lists (by hash) whenever one is assigned to a cell; on a big sheet that costs more than
    the data. Here the look-ups happen once and each cell gets a copy of the resulting style ids
    (what openpyxl itself does for a named style, without adding a named style to the gallery
    Excel shows). ``style`` takes the cell attributes: font, fill, border, alignment,
    number_format, protection, quotePrefix; ``base`` is a style this one starts from.
    """

    _ids: StyleArray

    def __init__(
        self, sheet: WriteOnlyWorksheet, base: CellStyle | None = None, **style: Any
    ) -> None:
        prototype = WriteOnlyCell(sheet)
        if base is not None:
            prototype._style = copy(base._ids)
        for name, setting in style.items():
            setattr(prototype, name, setting)
        self._ids = prototype._style
        self.styled = any(self._ids)  # openpyxl's has_style: a cell with an "s" attribute
        self.dates = is_date_format(prototype.number_format)
        self._id: str | None = None

    def apply(self, cell: WriteOnlyCell) -> WriteOnlyCell:
        """The cell, now carrying this style (replacing any it had)."""
        cell._style = copy(self._ids)
        return cell

    def __call__(self, value: object) -> Styled:
        """``value`` to be written by ``sheet_xml.stream_rows`` with this style."""
        return Styled(value, self)

    def style_id(self, book: Workbook) -> str:
        """The style's index in the workbook's cell styles, added on first use (as openpyxl
        adds a cell's style when it writes the cell, so the styles keep openpyxl's order)."""
        if self._id is None:
            self._id = str(book._cell_styles.add(copy(self._ids)))
        return self._id


class Formula(str):
    """A formula the audit writes itself (``=IF(…)``): the only text ``sheet_xml.stream_rows``
    writes as a formula; any other text, whatever it starts with, is written as text."""

    __slots__ = ()


class Styled(NamedTuple):
    """A value to be written with a :class:`CellStyle` (see :meth:`CellStyle.__call__`)."""

    value: object
    style: CellStyle
