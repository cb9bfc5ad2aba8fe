"""Typing cells: text, dates, enumerations, numbers, ID and phone numbers (DATA_CONTRACT 1).

A column arrives as a :class:`Raw`: each cell's type (empty, text, number,
date, boolean, other) and its value kept apart by type, in arrays. The
fast ``.xlsx`` reader builds it from Arrow arrays, the others from Python
values; the conversion below works on whole columns and never looks at a
cell in Python unless it goes into a message.

A value that cannot be used goes to the quarantine when the column is
required and is blanked with a warning when it is optional; personal data is
never echoed in a reason, and every echoed value is scrubbed
(:func:`sscard_analysis.privacy.scrub_message`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..dates.periods import normalize_label
from ..privacy import check_ids, normalize_phone, scrub_message
from . import ledgers as L
from .xlsx import BOOL, DT, EMPTY, EXCEL_EPOCH_MS, NUM, OTHER, STR as STR_CELL, ArrowColumn, Fixes, ms_to_datetime64, to_datetime64

EXCEL_ERRORS = re.compile(r"^#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|GETTING_DATA)$")

STR = "str"  # pandas' Arrow-backed string dtype: vectorised string kernels

# Words of the ledgers themselves (headers, values, ledger names): never masked as names in messages.
VOCABULARY = frozenset(
    w for lg in L.LEDGERS.values()
    for w in (lg.zh, *lg.aliases, *(h for c in lg.columns for h in c.headers()),
              *(v for c in lg.columns if c.values for k, syn in c.values.items() for v in (k, *syn)))
    if w and not w.isascii()
)


def shown(value: object) -> str:
    """A value as a message may show it: scrubbed and at most 40 characters, in quotes."""
    return f"“{scrub_message(str(value), VOCABULARY)[:40]}”"


# ---------------------------------------------------------------- raw columns

_NAT = np.datetime64("NaT", "ns")


class Raw:
    """The cells of one column: a type code per cell and the values by type.

    ``code`` is one of EMPTY, STR_CELL, NUM, DT, BOOL, OTHER; ``text`` holds
    the text cells (NA elsewhere), ``num`` numbers and booleans (1.0/0.0),
    ``dt`` date cells as datetime64[ns], ``other`` any other cell by position.
    """

    __slots__ = ("code", "_text", "num", "dt", "other", "_stripped")

    def __init__(self, code: np.ndarray, text: pd.Series | None = None, num: np.ndarray | None = None,
                 dt: np.ndarray | None = None, other: dict | None = None) -> None:
        self.code = code
        self._text = text
        self.num = num if num is not None else np.full(len(code), np.nan)
        self.dt = dt if dt is not None else np.full(len(code), _NAT)
        self.other = other or {}
        self._stripped: pd.Series | None = None

    def __len__(self) -> int:
        return len(self.code)

    @property
    def text(self) -> pd.Series:
        if self._text is None:
            self._text = pd.Series(pd.NA, index=range(len(self.code)), dtype=STR)
        return self._text

    def has(self, code: int) -> np.ndarray:
        return self.code == code

    def stripped(self) -> pd.Series:
        """The text cells stripped of surrounding whitespace (NA elsewhere)."""
        if self._stripped is None:
            self._stripped = self.text.str.strip()
        return self._stripped

    def empty(self) -> np.ndarray:
        """Cells with nothing in them (whitespace-only text counts as empty)."""
        out = self.code == EMPTY
        is_str = self.code == STR_CELL
        if is_str.any():
            blank = pc.utf8_is_space(_arrow(self.text)).fill_null(False).to_numpy(zero_copy_only=False)
            out = out | (is_str & blank)
        return out

    def take(self, idx: np.ndarray) -> Raw:
        text = None
        if self._text is not None:
            text = self._text.take(idx).reset_index(drop=True)
        other = {}
        if self.other:
            where = {int(p): i for i, p in enumerate(idx) if int(p) in self.other}
            other = {i: self.other[p] for p, i in where.items()}
        return Raw(self.code[idx], text, self.num[idx], self.dt[idx], other)

    def value(self, pos: int) -> object:
        """The cell as the Python value python-calamine gives (for messages and single-cell checks)."""
        c = self.code[pos]
        if c == STR_CELL:
            v = self.text.iloc[pos]
            return "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
        if c == NUM:
            return float(self.num[pos])
        if c == BOOL:
            return bool(self.num[pos])
        if c == DT:
            return _calamine_datetime(pd.Timestamp(self.dt[pos]))
        if c == OTHER:
            return self.other.get(pos, "")
        return ""

    def set_many(self, items: list[tuple[np.ndarray, int, object]]) -> None:
        """Give groups of cells one value each (merged ranges: the top-left value), in order."""
        self._stripped = None
        text = None
        for pos, code, value in items:
            pos = np.asarray(pos, dtype=np.int64)
            if not len(pos):
                continue
            self.code[pos] = code
            if code == STR_CELL:
                if text is None:
                    text = self.text.to_numpy(dtype=object, na_value=None).copy()
                text[pos] = value
            elif code in (NUM, BOOL):
                self.num[pos] = float(value)
            elif code == DT:
                self.dt[pos] = value
            elif code == OTHER:
                for p in pos:
                    self.other[int(p)] = value
            if code != OTHER and self.other:
                for p in pos:
                    self.other.pop(int(p), None)
        if text is not None:
            self._text = pd.Series(text, dtype=STR)

    @classmethod
    def empty_column(cls, n: int) -> Raw:
        return cls(np.zeros(n, dtype=np.int8))

    @classmethod
    def from_values(cls, values: list | np.ndarray) -> Raw:
        """From Python values as python-calamine or the CSV reader give them."""
        v = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
        n = len(v)
        code = np.fromiter((_TYPE_CODE.get(type(x), OTHER) for x in v), dtype=np.int8, count=n)
        text = num = dt = None
        is_str = code == STR_CELL
        if is_str.any():
            text = pd.Series(np.where(is_str, v, None), dtype=STR)
            code[is_str & text.eq("").fillna(False).to_numpy(dtype=bool)] = EMPTY
        is_num = (code == NUM) | (code == BOOL)
        if is_num.any():
            num = np.full(n, np.nan)
            num[is_num] = v[is_num].astype(float)
        is_dt = code == DT
        if is_dt.any():
            dt = np.full(n, _NAT)
            dt[is_dt] = [_as_datetime64(x) for x in v[is_dt]]
        other = {int(p): v[p] for p in np.flatnonzero(code == OTHER)}
        return cls(code, text, num, dt, other)

    @classmethod
    def from_arrow(cls, col: ArrowColumn, n: int, forced: str | None) -> Raw:
        """From a fastexcel column (``forced``: the dtype the reader asked for, if any)."""
        a = col.array
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        code = np.zeros(n, dtype=np.int8)
        valid = ~np.asarray(a.is_null().to_numpy(zero_copy_only=False), dtype=bool) if a.null_count else np.ones(n, dtype=bool)
        text = num = dt = None
        other: dict = {}
        typ = a.type
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            text = pd.Series(pd.array(a, dtype=STR))
            code[valid & ~text.eq("").fillna(True).to_numpy(dtype=bool)] = STR_CELL
        elif pa.types.is_floating(typ) or pa.types.is_integer(typ):
            num = np.asarray(a.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=float)
            code[valid] = NUM
        elif pa.types.is_boolean(typ):
            num = np.asarray(a.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=float)
            # forced on an ID column: a value means a number cell; guessed: the column holds booleans
            code[valid] = NUM if forced == "boolean" else BOOL
        elif pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            a = a.cast(pa.timestamp("ms")) if pa.types.is_date(typ) else a
            dt = to_datetime64(a)
            code[valid & ~np.isnat(dt)] = DT
            far = valid & np.isnat(dt)
            if far.any():  # beyond what datetime64[ns] holds (a number such as 20240506): keep the serial number
                ms = a.cast(pa.int64()).to_numpy(zero_copy_only=False)[far].astype(float)
                num = np.full(n, np.nan)
                num[far] = (ms - EXCEL_EPOCH_MS) / 86_400_000
                code[far] = NUM
        elif pa.types.is_duration(typ):
            for p in np.flatnonzero(valid):
                other[int(p)] = a[int(p)].as_py()
            code[valid] = OTHER
        elif pa.types.is_null(typ):
            pass
        else:  # pragma: no cover - fastexcel gives only the types above
            raise TypeError(typ)
        raw = cls(code, text, num, dt, other)
        if col.fixes:
            raw._apply_fixes(col.fixes)
        return raw

    def _apply_fixes(self, fixes: Fixes) -> None:
        """Put in the cells fastexcel gave as errors (text in a date column, an ID typed as text …)."""
        self._stripped = None
        codes, rows = fixes.codes, fixes.rows
        is_text = codes == STR_CELL
        if is_text.any():
            mask = np.zeros(len(self.code), dtype=bool)
            at = rows[is_text]
            mask[at] = True
            base = _arrow(self._text) if self._text is not None else pa.nulls(len(self.code), pa.string())
            if isinstance(base, pa.ChunkedArray):
                base = base.combine_chunks()
            merged = pc.replace_with_mask(base.cast(pa.string()), pa.array(mask), fixes.text.cast(pa.string()))
            self._text = pd.Series(pd.array(merged, dtype=STR))
            blank = pc.equal(fixes.text, "").to_numpy(zero_copy_only=False)
            self.code[at] = np.where(blank, EMPTY, STR_CELL)
        for c in np.unique(codes[~is_text]):
            sel = codes == c
            at, values = rows[sel], fixes.values[sel]
            self.code[at] = c
            if c in (NUM, BOOL):
                self.num[at] = values.astype(float)
            elif c == DT:
                ms = values.astype(float)
                self.dt[at] = [ms_to_datetime64(x) for x in ms]
                far = np.isnat(self.dt[at])
                self.code[at[far]] = NUM
                self.num[at[far]] = (ms[far] - EXCEL_EPOCH_MS) / 86_400_000
            elif c == OTHER:
                for p, v in zip(at, values):
                    self.other[int(p)] = v


def _arrow(text: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The Arrow array under an Arrow-backed string Series (no copy)."""
    return pa.array(text.array)


_TYPE_CODE = {type(None): EMPTY, str: STR_CELL, float: NUM, int: NUM, np.float64: NUM, np.int64: NUM,
              bool: BOOL, np.bool_: BOOL, datetime: DT, date: DT, time: DT, pd.Timestamp: DT}


def _as_datetime64(x) -> np.datetime64:
    if isinstance(x, time):  # python-calamine gives a time for a serial below 1: day 0 of the 1900 system
        return np.datetime64(datetime.combine(date(1899, 12, 31), x), "ns")
    if isinstance(x, pd.Timestamp):
        return x.to_datetime64().astype("datetime64[ns]")
    if isinstance(x, datetime):
        return np.datetime64(x, "ns")
    return np.datetime64(datetime(x.year, x.month, x.day), "ns")


def _calamine_datetime(ts: pd.Timestamp) -> object:
    """python-calamine's type for a date cell: a time before day 1, a date at midnight, else a datetime."""
    if ts is pd.NaT:
        return ""
    if ts < pd.Timestamp(1900, 1, 1):
        return ts.time()
    if ts == ts.normalize():
        return date(ts.year, ts.month, ts.day)
    return ts.to_pydatetime()


def as_text(raw: Raw) -> pd.Series:
    """Cells as stripped text (NA when empty); integral numbers lose their '.0'.

    Numbers and dates are written as python-calamine's values print: a whole
    number without decimals, a date ``2024-05-06``, a date and time
    ``2024-05-06 09:30:00``, a time ``09:30:00``, a boolean ``True``.
    Returns an Arrow-backed string Series.
    """
    code = raw.code
    n = len(code)
    is_str = code == STR_CELL
    if is_str.all() or ((code == STR_CELL) | (code == EMPTY)).all():  # only text: the text itself, stripped
        out = raw.stripped()
        blank = out.eq("").to_numpy(dtype=bool, na_value=True)
        return out.where(~blank) if blank.any() else out
    rendered = ~is_str & (code != EMPTY)  # numbers, dates, booleans: written out, then put among the text
    idx = np.flatnonzero(rendered)
    v = np.full(len(idx), None, dtype=object)
    c = code[idx]
    is_num = c == NUM
    if is_num.any():
        f = raw.num[idx[is_num]]
        integral = np.isfinite(f) & (f == np.floor(f)) & (np.abs(f) < 1e15)
        s = np.full(len(f), None, dtype=object)
        if integral.any():
            s[integral] = f[integral].astype(np.int64).astype(str).astype(object)
        rest = ~integral  # other numbers as Python prints them; inf and nan (text read as a number) too
        if rest.any():
            s[rest] = [repr(float(x)) for x in f[rest]]
        v[is_num] = s
    is_bool = c == BOOL
    if is_bool.any():
        v[is_bool] = np.where(raw.num[idx[is_bool]] != 0, "True", "False")
    is_dt = c == DT
    if is_dt.any():
        v[is_dt] = _dt_text(raw.dt[idx[is_dt]])
    for k in np.flatnonzero(c == OTHER):
        x = raw.other.get(int(idx[k]), "")
        v[k] = x.isoformat(sep=" ") if isinstance(x, datetime) else (x.isoformat() if isinstance(x, (date, time)) else str(x))
    base = _arrow(raw.stripped()) if is_str.any() else pa.nulls(n, pa.string())
    if isinstance(base, pa.ChunkedArray):
        base = base.combine_chunks()
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    merged = pc.replace_with_mask(base.cast(pa.string()), pa.array(mask), pc.utf8_trim_whitespace(pa.array(v, pa.string())))
    merged = pc.if_else(pc.equal(merged, ""), pa.scalar(None, pa.string()), merged)
    return pd.Series(pd.array(merged, dtype=STR))


def _dt_text(values: np.ndarray) -> np.ndarray:
    """Date cells written as Python prints python-calamine's values (date, time or datetime)."""
    out = np.empty(len(values), dtype=object)
    day = values.astype("datetime64[D]")
    tod = values - day
    is_time = values < np.datetime64("1900-01-01")
    is_date = ~is_time & (tod == np.timedelta64(0))
    frac = (tod % np.timedelta64(1, "s")) != np.timedelta64(0)
    if is_date.any():
        out[is_date] = np.datetime_as_string(day[is_date], unit="D").astype(object)
    whole = ~is_time & ~is_date & ~frac
    if whole.any():
        out[whole] = np.char.replace(np.datetime_as_string(values[whole], unit="s"), "T", " ").astype(object)
    micro = ~is_time & ~is_date & frac
    if micro.any():
        out[micro] = np.char.replace(np.datetime_as_string(values[micro], unit="us"), "T", " ").astype(object)
    if is_time.any():
        out[is_time] = [pd.Timestamp(x).time().isoformat() for x in values[is_time]]
    return out


# ---------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?(?:\.\d+)?\s*秒?)?$"
)
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[\sT]*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_MIN, SERIAL_MAX = 32874, 73415  # Excel serials of 1990-01-01 and 2100-12-31 (text serials)
_SERIAL_LIMIT = 106_000  # beyond this serial (year 2190) a number is not read as a date at all


def _from_serial(f: pd.Series, lo: float = SERIAL_MIN, hi: float = SERIAL_MAX) -> pd.Series:
    ok = (f >= lo) & (f <= hi)
    secs = (f.where(ok) * 86400).round()
    return (_EXCEL_EPOCH + pd.to_timedelta(secs, unit="s")).where(ok)


def _from_yyyymmdd(f: pd.Series) -> pd.Series:
    ok = (f >= 19000101) & (f <= 21001231) & (f == np.floor(f))
    return pd.to_datetime(f.where(ok).astype("Int64").astype(str), format="%Y%m%d", errors="coerce").where(ok)


def _extract(text: pd.Series, pattern: re.Pattern) -> pd.DataFrame:
    """``str.extract`` in Arrow's regex engine (pandas runs it cell by cell in Python).

    Groups that did not take part, and rows that do not match, are NA. The
    patterns here only use what both engines read alike (after NFKC, digits
    and spaces are ASCII).
    """
    groups = pattern.groups
    named = re.sub(r"\((?!\?)", lambda m, it=iter(range(groups)): f"(?P<g{next(it)}>", pattern.pattern)
    arr = pa.array(text.array) if text.dtype == STR else pa.array(text.to_numpy(dtype=object, na_value=None), pa.string())
    res = pc.extract_regex(arr, named)
    valid = res.is_valid()
    out = {}
    for g in range(groups):
        col = res.field(f"g{g}")
        col = pc.if_else(pc.and_(valid, pc.not_equal(col, "")), col, None)
        out[g] = pd.Series(pd.array(col, dtype=STR), index=text.index)
    return pd.DataFrame(out, index=text.index)


_EPOCH_NS = np.datetime64("1899-12-30", "ns")
_S = 1_000_000_000


def _round_seconds(v: np.ndarray) -> np.ndarray:
    """datetime64[ns] rounded to the second, half to even (as pandas ``dt.round("s")``)."""
    i = v.view(np.int64)
    q, r = np.divmod(i, _S)
    up = (r > _S // 2) | ((r == _S // 2) & (q % 2 == 1))
    return ((q + up) * _S).view("datetime64[ns]")


def _from_numbers(f: np.ndarray) -> np.ndarray:
    """Numbers as dates: ``20240506`` is that day, any other number an Excel serial (1900 system)."""
    out = np.full(len(f), _NAT)
    ymd = (f >= 19000101) & (f <= 21001231) & (f == np.floor(f))
    if ymd.any():
        out[ymd] = pd.to_datetime(pd.Series(f[ymd].astype(np.int64)).astype(str), format="%Y%m%d", errors="coerce").to_numpy()
    serial = np.isnat(out) & (f >= -1) & (f <= _SERIAL_LIMIT)
    if serial.any():
        x = f[serial]
        x = np.where(x < 60, x + 1, x)  # Excel's 1900 leap-year bug, as calamine reads a date cell
        secs = np.round(x * 86400).astype(np.int64)
        out[serial] = _EPOCH_NS + secs.astype("timedelta64[s]")
    return out


def _ints(parts: pd.DataFrame, g: int) -> np.ndarray:
    return pd.to_numeric(parts[g], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


_MIN_NS, _MAX_NS = np.datetime64(pd.Timestamp.min.ceil("s")), np.datetime64(pd.Timestamp.max.floor("s"))


def assemble_datetimes(y, m, d, hh, mm, ss) -> np.ndarray:
    """datetime64[ns] from component arrays (NaN: missing); NaT where they make no date (30 February, 25:00)."""
    ok = ~(np.isnan(y) | np.isnan(m) | np.isnan(d)) & (m >= 1) & (m <= 12) & (hh >= 0) & (hh <= 23) \
        & (mm >= 0) & (mm <= 59) & (ss >= 0) & (ss <= 59) & (y >= 1) & (y <= 9999)
    out = np.full(len(y), _NAT)
    if not ok.any():
        return out
    yi, mi, di = y[ok].astype(np.int64), m[ok].astype(np.int64), d[ok].astype(np.int64)
    leap = (yi % 4 == 0) & ((yi % 100 != 0) | (yi % 400 == 0))
    dim = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[mi - 1] + ((mi == 2) & leap)
    good = (di >= 1) & (di <= dim)
    months = ((yi - 1970) * 12 + (mi - 1)).astype("timedelta64[M]")
    day = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]") + (di - 1).astype("timedelta64[D]")
    secs = (hh[ok] * 3600 + mm[ok] * 60 + ss[ok]).astype(np.int64).astype("timedelta64[s]")
    when = day.astype("datetime64[s]") + secs
    good &= (when >= _MIN_NS) & (when <= _MAX_NS)
    res = np.full(len(when), _NAT)
    res[good] = when[good].astype("datetime64[ns]")
    out[ok] = res
    return out


def _text_dates(txt: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dates written as text (NFKC'd and stripped): values and whether a time was given."""
    parts = _extract(txt, _DATE_RE)
    compact = _extract(txt, _COMPACT_RE)
    parts = parts.where(parts[0].notna(), compact)
    y, m, d, hh, mm, ss = (_ints(parts, g) for g in range(6))
    given = ~np.isnan(hh)
    v = assemble_datetimes(y, m, d, np.nan_to_num(hh), np.nan_to_num(mm), np.nan_to_num(ss))
    # Excel serials that arrived as text ("45356" or "45356.5").
    serial = np.isnat(v) & txt.str.fullmatch(r"[0-9]{5}(?:\.[0-9]+)?").to_numpy(dtype=bool, na_value=False)
    frac = np.zeros(len(v), dtype=bool)
    if serial.any():
        f = pd.to_numeric(txt[serial], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        inside = (f >= SERIAL_MIN) & (f <= SERIAL_MAX)
        secs = np.round(np.where(inside, f, 0) * 86400).astype(np.int64)
        v[serial] = np.where(inside, _EPOCH_NS + secs.astype("timedelta64[s]"), _NAT)
        frac[serial] = inside & (f != np.floor(f))
    return v, given | frac


def parse_datetimes(raw: Raw) -> tuple[pd.Series, pd.Series]:
    """Parse a column of dates/times in every form DATA_CONTRACT 1 lists.

    Returns (values, has_time): NaT where nothing could be read. Forms: Excel
    dates, Excel serial numbers (whole or fractional, rounded to the second),
    ``2024-05-06``, ``2024/5/6``, ``2024.5.6``, ``2024年5月6日``, ``20240506``,
    each with an optional ``14:03`` or ``14:03:27``. A number that is an
    eight-digit ``20240506`` is that day; any other number is an Excel serial,
    however far out (the window check says what is out of range).
    """
    n = len(raw)
    out = np.full(n, _NAT)
    has_time = np.zeros(n, dtype=bool)
    code = raw.code
    is_dt = code == DT
    if is_dt.any():
        v = _round_seconds(raw.dt[is_dt]) if not is_dt.all() else _round_seconds(raw.dt)
        out[is_dt] = v
        has_time[is_dt] = v != v.astype("datetime64[D]")
    is_num = code == NUM
    if is_num.any():
        f = raw.num[is_num]
        out[is_num] = _from_numbers(f)
        has_time[is_num] = (f != np.floor(f)) & (f < _SERIAL_LIMIT + 1)
    is_str = code == STR_CELL
    if is_str.any():
        v, t = _text_dates(nfkc(raw.text[is_str]).str.strip())
        out[is_str] = v
        has_time[is_str] = t
    return pd.Series(out, dtype="datetime64[ns]"), pd.Series(has_time)


def _parse_months(raw: Raw) -> pd.Series:
    n = len(raw)
    out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    is_str = raw.code == STR_CELL
    if is_str.any():
        txt = nfkc(raw.text[is_str]).str.strip()
        m = _extract(txt, _MONTH_RE)
        month = pd.to_numeric(m[1].fillna(m[2]), errors="coerce")
        year = pd.to_numeric(m[0], errors="coerce")
        out[is_str] = pd.to_datetime({"year": year, "month": month, "day": 1}, errors="coerce").to_numpy()
    rest = ~is_str & (raw.code != EMPTY)
    if rest.any():
        v, _ = parse_datetimes(raw.take(np.flatnonzero(rest)))
        out[rest] = v.dt.to_period("M").dt.to_timestamp().to_numpy()
    return out


@dataclass(frozen=True)
class DateWindow:
    """The dates a ledger may hold (13.3 of the review): the service period, a year either side,
    within the years the working-day calendar knows.

    ``first``/``last`` bound service dates (start − 1 year, end + 1 year);
    ``years`` are the calendar's years. Reference dates (an outlet's opening,
    a worker's joining) only need to be after 1950 and before ``last``.
    """

    first: date
    last: date
    years: tuple[int, ...]

    def key(self) -> str:
        ys = self.years
        spans = f"{ys[0]}-{ys[-1]}" if ys and list(ys) == list(range(ys[0], ys[-1] + 1)) else ",".join(map(str, ys))
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}-{spans}"


REFERENCE_FIRST = date(1950, 1, 1)


def _window_reasons(col: L.Column, value: pd.Series, window: DateWindow | None) -> tuple[np.ndarray, dict[int, str]]:
    """Dates outside the window: (mask, reason by position)."""
    present = value.notna().to_numpy()
    out = np.zeros(len(value), dtype=bool)
    reasons: dict[int, str] = {}
    if window is None or not present.any():
        return out, reasons
    v = value.to_numpy()
    zero = present & (v < np.datetime64("1900-01-01"))
    if col.window:
        lo, hi = np.datetime64(window.first, "ns"), np.datetime64(window.last, "ns") + np.timedelta64(1, "D")
        outside = present & ((v < lo) | (v >= hi))
        years = pd.DatetimeIndex(v).year.to_numpy()
        uncovered = present & ~np.isin(years, np.array(window.years))
    else:
        lo, hi = np.datetime64(REFERENCE_FIRST, "ns"), np.datetime64(window.last, "ns") + np.timedelta64(1, "D")
        outside = present & ((v < lo) | (v >= hi))
        uncovered = np.zeros(len(v), dtype=bool)
    out = zero | outside | uncovered
    ys = window.years
    year_span = f"{ys[0]}–{ys[-1]} 年" if ys else "（无）"
    for p in np.flatnonzero(out):
        ts = pd.Timestamp(v[p])
        shown_ts = ts.strftime("%Y-%m-%d %H:%M:%S") if ts != ts.normalize() else ts.strftime("%Y-%m-%d")
        if zero[p]:
            reasons[int(p)] = "Excel 零值日期（1900-01-00），不是有效日期"
        elif outside[p] and col.window:
            reasons[int(p)] = f"日期 {shown_ts} 超出服务期前后一年（{window.first:%Y-%m-%d} 至 {window.last:%Y-%m-%d}）"
        elif outside[p]:
            reasons[int(p)] = f"日期 {shown_ts} 不合理（应在 {REFERENCE_FIRST:%Y-%m-%d} 至 {window.last:%Y-%m-%d} 之间）"
        else:
            reasons[int(p)] = (f"日期 {shown_ts} 不在工作日历覆盖的年份（{year_span}）内；"
                               f"如确属 {ts.year} 年，请在 sscard.toml [calendar] 中补充该年的安排")
    return out, reasons


# ---------------------------------------------------------------- text helpers


def _enum_index(values: dict[str, tuple[str, ...]]) -> dict[str, str]:
    idx = {}
    for canon, syns in values.items():
        for v in (canon, *syns):
            idx[L.normalize_value(v)] = canon
    return idx


def nfkc(text: pd.Series) -> pd.Series:
    """NFKC (full-width digits and letters to ASCII) on the values that are not plain ASCII."""
    wide = ~text.str.isascii().fillna(True).to_numpy(dtype=bool)
    if not wide.any():
        return text
    out = text.copy()
    out[wide] = text[wide].str.normalize("NFKC")
    return out


def _from_codes(values: list, codes: np.ndarray) -> pd.Series:
    """A string column from the values of its distinct cells and each cell's code (-1: missing)."""
    table = pa.array(list(values) + [None], pa.string())
    idx = np.where(codes < 0, len(values), codes)
    return pd.Series(pd.array(table.take(pa.array(idx)), dtype=STR))


def _parse_numbers(text: pd.Series) -> pd.Series:
    cleaned = text.str.normalize("NFKC").str.replace(r"[,\s]", "", regex=True).str.rstrip("份次人天")
    return pd.to_numeric(cleaned, errors="coerce")


class Problems:
    """Collects quarantine reasons and warnings by row position."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.reasons: dict[int, list[str]] = {}
        self.warnings: list[tuple[int, str, str]] = []

    def quarantine(self, mask: np.ndarray, col: L.Column, reason_of) -> None:
        for pos in np.flatnonzero(mask):
            self.reasons.setdefault(int(pos), []).append(f"{col.zh}({col.name}): {reason_of(pos)}")

    def quarantined(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[list(self.reasons)] = True
        return out

    def warn(self, mask: np.ndarray, col: L.Column, reason_of) -> None:
        for pos in np.flatnonzero(mask):
            self.warnings.append((int(pos), col.name, f"{col.zh}: {reason_of(pos)}"))


def _shown(raw: Raw, col: L.Column):
    """The raw value as it may appear in a message (never personal data)."""
    if col.kind in L.PERSONAL_KINDS:
        return lambda pos: "（个人信息，不显示）"
    return lambda pos: shown(raw.value(int(pos)))


# Largest magnitude a whole-number column accepts: beyond 2**53 a float no longer holds every integer.
INT_LIMIT = 2.0 ** 53


def convert(col: L.Column, raw: Raw, problems: Problems, today: date, window: DateWindow | None = None) -> pd.Series:
    """Type one column; record quarantine reasons (required) or warnings (optional)."""
    if col.kind in (L.DATETIME, L.DATE, L.MONTH):
        return _convert_dates(col, raw, problems, window)
    text = as_text(raw)
    empty = text.isna().to_numpy()
    maybe_error = text.str.startswith("#").fillna(False).to_numpy(dtype=bool)
    is_error = np.zeros(len(raw), dtype=bool)
    if maybe_error.any():
        is_error[maybe_error] = text[maybe_error].str.fullmatch(EXCEL_ERRORS.pattern).fillna(False).to_numpy(dtype=bool)
    shown_at = _shown(raw, col)
    bad = np.zeros(len(raw), dtype=bool)  # a value was present but unusable
    why = "无法识别"

    if col.kind in (L.TEXT, L.KEYTEXT, L.NAME):
        value = text.where(~is_error) if is_error.any() else text
        bad = is_error
        why = "Excel 错误值"
        if col.kind == L.KEYTEXT:
            value = nfkc(value)
            dotted = value.str.contains(".", regex=False).fillna(False).to_numpy(dtype=bool)
            if dotted.any():
                value = value.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    elif col.kind in (L.ENUM, L.BOOL):
        # Each distinct value is looked up once; the column is then built from the codes.
        codes, uniques = pd.factorize(text)
        index = _enum_index(col.values if col.kind == L.ENUM else L.YES_NO)
        canon = [index.get(L.normalize_value(u)) for u in uniques]
        known = np.array([c is not None for c in canon] + [False])[codes]
        bad = ~empty & ~known
        if col.open_enum:
            problems.warn(bad, col, lambda p: f"{shown_at(p)} 不在名录内，按原文保留")
            kept = [c if c is not None else u for c, u in zip(canon, uniques)]
            value = _from_codes(kept, codes)
            bad = np.zeros(len(raw), dtype=bool)
        elif col.kind == L.ENUM:
            value = _from_codes(canon, codes)
        else:
            flags = np.array([{"是": True, "否": False}.get(c) for c in canon] + [None], dtype=object)
            value = pd.Series(flags[codes], dtype=object)
        why = "不在可选值内"
    elif col.kind in (L.INT, L.FLOAT):
        numeric = raw.code == NUM
        num = pd.Series(np.where(numeric, raw.num, np.nan))
        rest = ~numeric & ~empty
        if rest.any():
            num[rest] = _parse_numbers(text[rest]).to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(num.to_numpy())
        out_of_range = num.notna() & ~finite  # inf from "inf" or "1e400": never a count (13.9)
        if col.lo is not None:
            out_of_range |= num < col.lo
        if col.hi is not None:
            out_of_range |= num > col.hi
        if col.kind == L.INT:
            out_of_range |= num.notna() & finite & ((num != np.floor(num)) | (num.abs() > INT_LIMIT))
        num = num.where(~out_of_range)
        bad = ~empty & num.isna().to_numpy()
        value = num.astype("Int64") if col.kind == L.INT else num.astype(float)
        why = "不是有效数字或超出范围"
    elif col.kind == L.PERIOD:
        return _convert_periods(col, raw, text, problems)
    elif col.kind == L.ID_NUMBER:
        return _convert_ids(col, raw, text, empty, problems, today)
    elif col.kind == L.PHONE:
        return _convert_phones(col, text, problems)
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(col.kind)

    _report(col, raw, bad, empty, why, problems)
    return value


def _report(col: L.Column, raw: Raw, bad: np.ndarray, empty: np.ndarray, why: str, problems: Problems,
            reason_at: dict[int, str] | None = None) -> None:
    """Quarantine (required column) or warn (optional column) about unusable and missing values."""
    shown_at = _shown(raw, col)
    bad = np.asarray(bad, dtype=bool)
    reason_at = reason_at or {}

    def why_of(p):
        return reason_at.get(int(p)) or f"{why} {shown_at(p)}"

    if col.required:
        problems.quarantine(bad, col, why_of)
        problems.quarantine(empty, col, lambda p: "缺少" + ("主键" if col.name in _KEY_COLS else "必填值"))
    else:
        problems.warn(bad, col, lambda p: f"{why_of(p)}，已置空")


def _convert_dates(col: L.Column, raw: Raw, problems: Problems, window: DateWindow | None) -> pd.Series:
    """Dates, datetimes and months; a date alone in a deadline column means 23:59:59 of that day."""
    empty = raw.empty()
    if col.kind == L.MONTH:
        value = _parse_months(raw)
        why = "无法识别的月份"
    else:
        value, has_time = parse_datetimes(raw)
        v = value.to_numpy()
        day = v.astype("datetime64[D]").astype("datetime64[ns]")
        if col.deadline:
            midnight = ~np.isnat(v) & ~has_time.to_numpy() & (v == day)
            if midnight.any():
                v = np.where(midnight, v + np.timedelta64(86399, "s"), v)
        if col.kind == L.DATE:
            v = day
        value = pd.Series(v, dtype="datetime64[ns]")
        why = "无法识别的日期"
    outside, reasons = _window_reasons(col, value, window)
    if outside.any():
        value = value.where(~outside)
    bad = ~empty & value.isna().to_numpy()
    _report(col, raw, bad, empty, why, problems, reasons)
    return value


def _convert_periods(col: L.Column, raw: Raw, text: pd.Series, problems: Problems) -> pd.Series:
    """Period labels normalised (``2024年5月`` -> ``2024-05``, ``2024年第18周`` -> ``2024-W18``), once per distinct
    value; one that cannot be read is kept as written with a warning (nothing lost)."""
    codes, uniques = pd.factorize(text)
    mapped = np.array([normalize_label(u) for u in uniques] + [None], dtype=object)
    value = pd.Series(mapped[codes], index=text.index, dtype=object)
    bad = text.notna().to_numpy() & value.isna().to_numpy()
    problems.warn(bad, col, lambda p: f"{_shown(raw, col)(p)} 不是可识别的期间（如 2024-05、2024-W18、2024-Q2），按原文保留")
    return value.where(~bad, text.astype(object))


def _convert_ids(col: L.Column, raw: Raw, text: pd.Series, empty: np.ndarray, problems: Problems, today: date) -> pd.Series:
    """ID numbers: tidy (full-width digits, spaces, a leading ', lower-case x), validate, blank what is wrong.

    A number stored by Excel as a number has already lost digits: blanked and
    warned, never "repaired".
    """
    as_number = (raw.code == NUM) & ~empty
    problems.warn(as_number, col, lambda p: "身份证号被 Excel 存成数字，后几位已丢失，已置空")
    present = ~empty & ~as_number
    value = pd.Series(pd.NA, index=range(len(raw)), dtype=STR)
    if present.any():
        norm = text[present]
        tidy = norm.str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool, na_value=False)
        if not tidy.all():  # full-width digits, spaces, a leading ', lower-case x: only where needed
            rest = ~tidy
            norm = norm.copy()
            norm[rest] = nfkc(norm[rest]).str.replace(r"[\s']", "", regex=True).str.upper().to_numpy()
        reasons = check_ids(norm, today)
        ok = reasons.isna().to_numpy()
        value[present] = norm.where(ok).to_numpy()
        badpos = np.flatnonzero(present)[~ok]
        why = reasons.to_numpy()[~ok]
        bad = np.zeros(len(raw), dtype=bool)
        bad[badpos] = True
        reason_at = dict(zip(badpos, why))
        problems.warn(bad, col, lambda p: f"{reason_at[p]}，已置空")
    return value


_MOBILE_RE2 = r"1[3-9]\d{9}"
_LANDLINE_RE2 = r"0\d{2,3}\d{7,8}|[2-9]\d{6,7}"
_PLAIN_PHONE = r"1[3-9][0-9]{9}|0[0-9]{2,3}[0-9]{7,8}|[2-9][0-9]{6,7}"  # ASCII digits only: nothing to tidy


def _convert_phones(col: L.Column, text: pd.Series, problems: Problems) -> pd.Series:
    """Phone numbers: +86, hyphens, spaces and brackets dropped; malformed ones blanked with a warning."""
    plain = text.str.fullmatch(_PLAIN_PHONE).to_numpy(dtype=bool, na_value=False)
    cleaned = text.copy()
    other = ~plain & text.notna().to_numpy()
    if other.any():  # +86, hyphens, spaces, brackets, full-width digits: only where needed
        c = nfkc(text[other]).str.replace(r"[\s\-()（）]", "", regex=True)
        c = c.str.replace(r"^(?:\+86|0086)", "", regex=True).str.replace(r"^86(1\d{10})$", r"\1", regex=True)
        cleaned[other] = c.to_numpy()
    simple = cleaned.str.fullmatch(f"{_MOBILE_RE2}|{_LANDLINE_RE2}").fillna(False).to_numpy(dtype=bool)
    value = cleaned.where(simple)
    rest = text.notna().to_numpy() & ~simple
    if rest.any():
        parsed = [normalize_phone(v) for v in text[rest]]
        value[rest] = [v for v, _ in parsed]
        bad = np.zeros(len(text), dtype=bool)
        bad[np.flatnonzero(rest)[[r is not None for _, r in parsed]]] = True
        problems.warn(bad, col, lambda p: "电话号码格式无法识别，已置空")
    return value


_KEY_COLS = {k for lg in L.LEDGERS.values() for k in lg.key}


_KIND_DTYPES = {L.DATETIME: "datetime64[ns]", L.DATE: "datetime64[ns]", L.MONTH: "datetime64[ns]", L.FLOAT: "float64", L.INT: "Int64"}


def normalize_dtypes(frame: pd.DataFrame, ledger: L.Ledger) -> pd.DataFrame:
    """One dtype per column kind, so parsed and cached frames are identical.

    Text of every kind (and extra columns) is pandas' string dtype (missing =
    NaN); 是/否 columns hold True/False/None (object); numbers and dates their
    numeric dtypes.
    """
    out = {}
    for c in frame.columns:
        col = ledger._by_name.get(c)
        kind = col.kind if col else L.TEXT
        if c == L.SRC_FILE:
            out[c] = frame[c]
        elif kind == L.BOOL:
            s = frame[c]
            v = s.to_numpy(dtype=object)
            is_bool = np.fromiter((type(x) is bool or type(x) is np.bool_ for x in v), dtype=bool, count=len(v))
            v = np.where(is_bool, v, None)
            out[c] = pd.Series(v, index=frame.index, dtype=object)
        else:
            target = np.int64 if c == L.SRC_ROW else _KIND_DTYPES.get(kind, STR)
            out[c] = frame[c] if frame[c].dtype == target else frame[c].astype(target)
    return pd.DataFrame(out, index=frame.index)
