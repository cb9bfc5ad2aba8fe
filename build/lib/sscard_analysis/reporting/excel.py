"""Excel workbooks of a report: KPI tables and the period's ledgers, masked and formula-safe.

Written with xlsxwriter in constant-memory mode (rows streamed to disk), so a
year of tickets stays fast and small. Every text cell is written as a string
cell, never a formula, so text starting with ``=`` is shown as typed, with
no visible apostrophe; control characters are dropped, over-long text is cut
to Excel's 32,767-character limit and every text, whatever its column, is
scrubbed of ID and phone patterns. CSV files (``quarantine.csv``,
``warnings.csv``) have no cell types: there :func:`csv_text` also puts a
``'`` before text a spreadsheet would read as a formula (OWASP CSV
injection).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from ..ingest.ledgers import mask_frame
from ..privacy import scrub_text

MAX_CELL = 32767
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: str) -> str:
    """Text for a string cell of a workbook: control characters dropped, length capped.

    A string cell is never evaluated, so ``=HYPERLINK(…)`` stays text and is
    shown as typed (no apostrophe).
    """
    return _CONTROL.sub("", value)[:MAX_CELL]


def csv_text(value: object) -> object:
    """A CSV cell: text scrubbed, control characters dropped, and a leading ``'`` before
    text that a spreadsheet would read as a formula or DDE command (``= + - @``, tab, CR, LF)."""
    if not isinstance(value, str):
        return value
    s = _CONTROL.sub("", scrub_text(value))
    return "'" + s if s.startswith(_FORMULA_START) else s


def _scrubbed(values: np.ndarray) -> np.ndarray:
    """A column's texts scrubbed of ID and phone patterns (each distinct text once)."""
    texts = {v for v in values if isinstance(v, str)}
    if not texts:
        return values
    clean = {t: scrub_text(t) for t in texts}
    out = np.empty(len(values), dtype=object)
    out[:] = [clean[v] if isinstance(v, str) else v for v in values]
    return out


class Workbook:
    """A report workbook: Chinese headers, frozen header row, widths, and number formats a reader can trust.

    Kinds of cell and their Excel number format: ``int`` counts ``#,##0``,
    ``pct`` rates ``0.00%`` (the value stays the exact fraction), ``pct0``
    probabilities ``0%``, ``yuan`` amounts ``#,##0.00``, ``float1`` paces
    ``#,##0.0``, ``id`` row numbers ``0``, ``date``/``datetime`` real Excel dates. A float column whose
    values are all whole numbers is written as counts.
    """

    NUMBER_FORMATS = {"int": "#,##0", "float": "#,##0.00", "float1": "#,##0.0", "yuan": "#,##0.00", "pct": "0.00%", "pct0": "0%", "id": "0",
                      "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}

    def __init__(self, path: Path, scrub: bool = True) -> None:
        """``scrub=False`` only for a workbook meant to hold personal data as read (the handover's 内部资料)."""
        self.scrub = scrub
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                                    "strings_to_urls": False, "strings_to_numbers": False})
        self.book.set_properties({"title": path.stem, "created": datetime(2000, 1, 1)})
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDE6F3", "border": 1, "text_wrap": True, "valign": "top"})
        self.formats = {k: self.book.add_format({"num_format": v}) for k, v in self.NUMBER_FORMATS.items()}
        self.formats["text"] = self.book.add_format({})
        self.formats["wrap"] = self.book.add_format({"text_wrap": True, "valign": "top"})

    def sheet(self, name: str, frame: pd.DataFrame, percent: tuple[str, ...] = (), widths: dict[str, int] | None = None,
              kinds: dict[str, str | list[str]] | None = None, hidden: tuple[str, ...] = ()) -> None:
        """Write one sheet.

        ``percent`` names columns of fractions shown as percentages; ``kinds``
        gives a column's kind (see the class) or one kind per row, for
        columns that mix rates and counts; ``hidden`` columns are written but
        hidden.
        """
        ws = self.book.add_worksheet(name[:31])
        cols = list(frame.columns)
        given = kinds or {}
        col_kinds = [given.get(c) if isinstance(given.get(c), str) else "id" if c == "行号" else self._kind(frame[c], c in percent) for c in cols]
        row_kinds = {j: given[c] for j, c in enumerate(cols) if isinstance(given.get(c), list)}
        for j, c in enumerate(cols):
            ws.write_string(0, j, safe_text(scrub_text(str(c)) if self.scrub else str(c)), self.header)
            width = (widths or {}).get(c) or min(max(8, _display_width(str(c)) + 2, _sample_width(frame[c])), 60)
            options = {"hidden": True} if c in hidden else None
            ws.set_column(j, j, width, self.formats.get(col_kinds[j]), options)
        ws.freeze_panes(1, 0)
        if len(cols):
            ws.autofilter(0, 0, max(len(frame), 1), len(cols) - 1)
        columns = [_scrubbed(frame[c].to_numpy(dtype=object)) if self.scrub else frame[c].to_numpy(dtype=object)
                   for c in cols]  # every text, whatever its column
        for i in range(len(frame)):
            for j, kind in enumerate(col_kinds):
                self._write(ws, i + 1, j, columns[j][i], row_kinds[j][i] if j in row_kinds else kind)

    def _kind(self, s: pd.Series, pct: bool) -> str:
        if pct:
            return "pct"
        if pd.api.types.is_datetime64_any_dtype(s):
            nonnull = s.dropna()
            return "date" if len(nonnull) and (nonnull == nonnull.dt.normalize()).all() else "datetime"
        if pd.api.types.is_bool_dtype(s):
            return "text"
        if pd.api.types.is_integer_dtype(s):
            return "int"
        if pd.api.types.is_float_dtype(s):
            nonnull = s.dropna()
            return "int" if len(nonnull) and (nonnull == nonnull.round()).all() else "float"
        return "text"

    def _write(self, ws, r: int, c: int, v, kind: str) -> None:
        fmt = self.formats.get(kind)
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            ws.write_blank(r, c, None, fmt)
        elif kind in ("date", "datetime") and isinstance(v, (datetime, date, pd.Timestamp, np.datetime64)):
            ws.write_datetime(r, c, pd.Timestamp(v).to_pydatetime(), fmt)
        elif kind in ("int", "id", "float", "float1", "yuan", "pct", "pct0") and isinstance(v, (int, float, np.integer, np.floating)) \
                and not isinstance(v, (bool, np.bool_)):
            ws.write_number(r, c, float(v), fmt)
        elif isinstance(v, (bool, np.bool_)):
            ws.write_string(r, c, "是" if v else "否")
        else:
            ws.write_string(r, c, safe_text(str(v)), fmt if kind == "wrap" else None)

    def close(self) -> None:
        self.book.close()


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sample_width(s: pd.Series) -> int:
    sample = s.dropna().head(200)
    if sample.empty:
        return 8
    if pd.api.types.is_datetime64_any_dtype(s):
        return 19
    return max(_display_width(str(v)[:60]) for v in sample) + 2


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """A ledger frame ready to publish: personal data masked, provenance columns dropped."""
    keep = [c for c in frame.columns if c not in ("_sheet",)]
    return mask_frame(frame[keep])
