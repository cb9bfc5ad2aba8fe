"""Finding the header row and matching headers to a ledger's columns (DATA_CONTRACT 1).

The header is the first row (within the first {HEADER_SEARCH_ROWS} rows) that holds all of
a ledger's required columns, matched after NFKC, whitespace and bracketed
remarks are dropped; a second header row under a merged banner is merged in.
Trailing summary rows (合计, 制表人 …) are recognised here too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from ..privacy import scrub_message
from . import ledgers as L
from .cells import VOCABULARY

HEADER_SEARCH_ROWS = 30
SUMMARY_WORDS = ("合计", "总计", "小计", "制表", "审核人", "填表人", "统计人", "负责人：", "负责人:")


def header_index(ledger: L.Ledger) -> dict[str, str]:
    idx: dict[str, str] = {}
    for col in ledger.columns:
        for h in col.headers():
            idx.setdefault(L.normalize_header(h), col.name)
    return idx


def map_headers(cells: list, index: dict[str, str]) -> list[str | None]:
    return [index.get(L.normalize_header(c)) if nonempty(c) else None for c in cells]


def nonempty(v) -> bool:
    return not (v is None or v == "" or (isinstance(v, str) and not v.strip()))


def find_header(rows: list[list], ledger: L.Ledger) -> tuple[int, list[str | None]] | None:
    """Index of the first row holding all required columns, and that row's column mapping."""
    index = header_index(ledger)
    required = {c.name for c in ledger.required}
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapped = map_headers(row, index)
        if required <= set(m for m in mapped if m):
            return i, mapped
    return None


def best_header_guess(rows: list[list], ledger: L.Ledger) -> tuple[int, list]:
    index = header_index(ledger)
    best = (0, -1)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        n = sum(1 for m in map_headers(row, index) if m)
        if n > best[1]:
            best = (i, n)
    if best[1] <= 0:
        return best[0], []  # no row holds a known header: show none (a data row may hold personal data)
    return best[0], [scrub_message(str(c).strip(), VOCABULARY)[:30] for c in rows[best[0]] if nonempty(c)]


def is_subheader(row: list, mapped: list, nxt: list, nxt_mapped: list, key_pos: int | None) -> bool:
    """Whether the row under the header is a second header row.

    Either its key cell repeats the header (a vertically merged header cell),
    or every filled cell of it names a known column and at least one of them
    sits under a cell that named none (sub-headers under a group banner).
    """
    if not nxt or key_pos is None:
        return False
    if key_pos < len(nxt) and nonempty(nxt[key_pos]) and L.normalize_header(nxt[key_pos]) == L.normalize_header(row[key_pos]):
        return True
    filled = [i for i, v in enumerate(nxt) if nonempty(v)]
    if not filled or any(nxt_mapped[i] is None for i in filled):
        return False
    return any(i >= len(mapped) or mapped[i] is None for i in filled)


def guess_ledger(rows: list[list]) -> tuple[L.Ledger | None, list[str]]:
    """The single ledger whose required columns all appear in one header row (else None, candidates)."""
    hits = [lg for lg in L.LEDGERS.values() if find_header(rows, lg) is not None]
    return (hits[0] if len(hits) == 1 else None), [h.name for h in hits]


def is_summary_row(row: list) -> bool:
    for v in row:
        if nonempty(v):
            return isinstance(v, str) and L.normalize_header(v).startswith(tuple(L.normalize_header(w) for w in SUMMARY_WORDS))
    return False


_COUNT_IN_TEXT = re.compile(r"共\s*(\d+)\s*(?:条|件|笔|行|个|项|宗)")


def declared_count(row: list, key_pos: int | None) -> int | None:
    """A row count stated by a 合计 row: 'xx 共 N 条', or a number under the key column."""
    for v in row:
        if isinstance(v, str):
            m = _COUNT_IN_TEXT.search(unicodedata.normalize("NFKC", v))
            if m:
                return int(m.group(1))
    if key_pos is not None and key_pos < len(row):
        v = row[key_pos]
        if isinstance(v, (int, float)) and float(v).is_integer():
            return int(v)
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
    return None


_EXPORT_LABEL = re.compile(r"(?:导出|生成|打印|制表)(?:时间|日期)\s*[:：]?\s*(.*)$")
_EXPORT_VALUE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)


def export_time(rows: list[list]) -> datetime | None:
    """The export time written in the title rows (“导出时间：2024-06-01 10:00”), if any.

    The time may follow the label in the same cell or stand in the next cell
    (as text, an Excel date or an Excel serial number).
    """
    for row in rows:
        for i, v in enumerate(row):
            if not isinstance(v, str):
                continue
            m = _EXPORT_LABEL.search(unicodedata.normalize("NFKC", v).strip())
            if not m:
                continue
            rest = m.group(1).strip()
            nxt = next((x for x in row[i + 1:] if nonempty(x)), None) if not rest else rest
            when = _as_export_time(nxt)
            if when is not None:
                return when
    return None


def _as_export_time(v) -> datetime | None:
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 20000 < v < 80000:
        return datetime(1899, 12, 30) + timedelta(days=float(v))
    if isinstance(v, str):
        m = _EXPORT_VALUE.match(unicodedata.normalize("NFKC", v).strip())
        if m:
            try:
                return datetime(*(int(g) if g else 0 for g in m.groups()))
            except ValueError:
                return None
    return None
