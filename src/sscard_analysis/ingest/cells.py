"""Typing cells: text, dates, enumerations, numbers, ID and phone numbers (DATA_CONTRACT 1).

Each column is converted as a whole (vectorised where the data allows). A
value that cannot be used goes to the quarantine when the column is required
and is blanked with a warning when it is optional; personal data is never
echoed in a reason.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from ..dates.periods import normalize_label
from ..privacy import check_ids, normalize_phone, scrub_text
from . import ledgers as L

EXCEL_ERRORS = re.compile(r"^#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|GETTING_DATA)$")


def types_of(s: pd.Series) -> np.ndarray:
    return s.map(type).to_numpy()


STR = "str"  # pandas' Arrow-backed string dtype: vectorised string kernels


def as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text (NA when empty); integral floats lose their '.0'.

    Returns an Arrow-backed string Series, so the string work that follows
    runs in compiled kernels rather than per cell in Python.
    """
    if s.dtype != object:
        return s.astype(STR).str.strip().replace("", pd.NA)
    t = types_of(s)
    is_str = t == str
    if not is_str.all():
        v = s.to_numpy(dtype=object, copy=True)
        is_float = t == float
        if is_float.any():
            f = v[is_float].astype(float)
            ok = np.isfinite(f)
            integral = ok & (f == np.floor(f)) & (np.abs(f) < 1e15)
            v[is_float] = [str(int(x)) if i else (repr(float(x)) if k else None) for x, i, k in zip(f, integral, ok)]
        other = ~(is_str | is_float) & pd.notna(v)
        if other.any():
            v[other] = [x.isoformat(sep=" ") if isinstance(x, datetime) else (x.isoformat() if isinstance(x, (date, time)) else str(x))
                        for x in v[other]]
        s = pd.Series(v, index=s.index)
    out = s.astype(STR).str.strip()
    return out.where(out != "")


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?(?:\.\d+)?\s*秒?)?$"
)
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[\sT]*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_MIN, SERIAL_MAX = 32874, 73415  # Excel serials of 1990-01-01 and 2100-12-31


def _from_serial(f: pd.Series) -> pd.Series:
    ok = (f >= SERIAL_MIN) & (f <= SERIAL_MAX)
    secs = (f.where(ok) * 86400).round()
    return (_EXCEL_EPOCH + pd.to_timedelta(secs, unit="s")).where(ok)


def _from_yyyymmdd(f: pd.Series) -> pd.Series:
    ok = (f >= 19000101) & (f <= 21001231) & (f == np.floor(f))
    return pd.to_datetime(f.where(ok).astype("Int64").astype(str), format="%Y%m%d", errors="coerce").where(ok)


def parse_datetimes(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of dates/times in every form DATA_CONTRACT 1 lists.

    Returns (values, has_time): NaT where nothing could be read. Forms: Excel
    datetimes, Excel serials (whole or fractional, rounded to the second),
    ``2024-05-06``, ``2024/5/6``, ``2024.5.6``, ``2024年5月6日``, ``20240506``,
    each with an optional ``14:03`` or ``14:03:27``.
    """
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    has_time = pd.Series(False, index=s.index)
    if s.empty:
        return out, has_time
    t = types_of(s)
    is_dt = (t == datetime) | (t == pd.Timestamp)
    if is_dt.any():
        v = pd.to_datetime(s[is_dt], errors="coerce").dt.round("s")
        out[is_dt] = v
        has_time[is_dt] = (v - v.dt.normalize()) != pd.Timedelta(0)
    is_date = t == date
    if is_date.any():
        out[is_date] = pd.to_datetime(s[is_date].map(lambda d: datetime(d.year, d.month, d.day)))
    is_num = (t == float) | (t == int)
    if is_num.any():
        f = s[is_num].astype(float)
        v = _from_yyyymmdd(f).fillna(_from_serial(f))
        out[is_num] = v
        has_time[is_num] = ((f != np.floor(f)) & (f < SERIAL_MAX + 1)).to_numpy()
    is_str = t == str
    if is_str.any():
        txt = nfkc(s[is_str].astype(STR)).str.strip()
        parts = txt.str.extract(_DATE_RE)
        compact = txt.str.extract(_COMPACT_RE)
        parts = parts.fillna(compact) if len(parts) else parts
        parts = parts.where(parts[0].notna(), compact)
        nums = parts.apply(pd.to_numeric, errors="coerce")
        v = pd.to_datetime(
            {"year": nums[0], "month": nums[1], "day": nums[2],
             "hour": nums[3].fillna(0), "minute": nums[4].fillna(0), "second": nums[5].fillna(0)},
            errors="coerce",
        )
        # Excel serials that arrived as text ("45356" or "45356.5").
        serial_txt = pd.to_numeric(txt.where(v.isna() & txt.str.fullmatch(r"\d{5}(?:\.\d+)?")), errors="coerce")
        v = v.fillna(_from_serial(serial_txt))
        out[is_str] = v
        has_time[is_str] = (nums[3].notna() | (serial_txt.notna() & (serial_txt != np.floor(serial_txt)))).to_numpy()
    return out, has_time


def _parse_months(s: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    t = types_of(s)
    is_str = t == str
    if is_str.any():
        txt = nfkc(s[is_str].astype(STR)).str.strip()
        m = txt.str.extract(_MONTH_RE)
        month = pd.to_numeric(m[1].fillna(m[2]), errors="coerce")
        year = pd.to_numeric(m[0], errors="coerce")
        out[is_str] = pd.to_datetime({"year": year, "month": month, "day": 1}, errors="coerce")
    rest = ~is_str
    if rest.any():
        v, _ = parse_datetimes(s[rest])
        out[rest] = v.dt.to_period("M").dt.to_timestamp()
    return out


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


def _lookup(text: pd.Series, index: dict[str, str]) -> pd.Series:
    """Map text through ``index`` by its normalised form (NA where unknown), once per distinct value."""
    codes, uniques = pd.factorize(text)
    mapped = np.array([index.get(L.normalize_value(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=text.index, dtype=object)


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


def _shown(raw: pd.Series, col: L.Column):
    """The raw value as it may appear in a message (never personal data)."""
    if col.kind in L.PERSONAL_KINDS:
        return lambda pos: "（个人信息，不显示）"

    def f(pos: int) -> str:
        v = raw.iloc[pos]
        return f"“{scrub_text(str(v))[:40]}”"

    return f


def convert(col: L.Column, raw: pd.Series, problems: Problems, today: date) -> pd.Series:
    """Type one column; record quarantine reasons (required) or warnings (optional)."""
    if col.kind in (L.DATETIME, L.DATE, L.MONTH):
        return _convert_dates(col, raw, problems)
    text = as_text(raw)
    empty = text.isna().to_numpy()
    maybe_error = text.str.startswith("#").fillna(False).to_numpy(dtype=bool)
    is_error = np.zeros(len(raw), dtype=bool)
    if maybe_error.any():
        is_error[maybe_error] = text[maybe_error].str.fullmatch(EXCEL_ERRORS.pattern).fillna(False).to_numpy(dtype=bool)
    shown = _shown(raw, col)
    bad = np.zeros(len(raw), dtype=bool)  # a value was present but unusable
    why = "无法识别"

    if col.kind in (L.TEXT, L.KEYTEXT, L.NAME):
        value = text.where(~is_error)
        bad = is_error
        why = "Excel 错误值"
        if col.kind == L.KEYTEXT:
            value = nfkc(value).str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    elif col.kind in (L.ENUM, L.BOOL):
        mapped = _lookup(text, _enum_index(col.values if col.kind == L.ENUM else L.YES_NO))
        bad = ~empty & mapped.isna().to_numpy()
        if col.open_enum:
            problems.warn(bad, col, lambda p: f"{shown(p)} 不在名录内，按原文保留")
            value = mapped.where(~bad, text.astype(object))
            bad = np.zeros(len(raw), dtype=bool)
        else:
            value = mapped if col.kind == L.ENUM else mapped.map({"是": True, "否": False}).astype(object)
        why = "不在可选值内"
    elif col.kind in (L.INT, L.FLOAT):
        t = types_of(raw)
        numeric = (t == float) | (t == int)
        num = pd.Series(np.nan, index=raw.index)
        if numeric.any():
            num[numeric] = raw[numeric].astype(float)
        rest = ~numeric & ~empty
        if rest.any():
            num[rest] = _parse_numbers(text[rest]).to_numpy()
        out_of_range = num.notna() & (((num < col.lo) if col.lo is not None else False) | ((num > col.hi) if col.hi is not None else False))
        if col.kind == L.INT:
            out_of_range |= num.notna() & (num != np.floor(num))
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


def _report(col: L.Column, raw: pd.Series, bad: np.ndarray, empty: np.ndarray, why: str, problems: Problems) -> None:
    """Quarantine (required column) or warn (optional column) about unusable and missing values."""
    shown = _shown(raw, col)
    bad = np.asarray(bad, dtype=bool)
    if col.required:
        problems.quarantine(bad, col, lambda p: f"{why} {shown(p)}")
        problems.quarantine(empty, col, lambda p: "缺少" + ("主键" if col.name in _KEY_COLS else "必填值"))
    else:
        problems.warn(bad, col, lambda p: f"{why} {shown(p)}，已置空")


def _convert_dates(col: L.Column, raw: pd.Series, problems: Problems) -> pd.Series:
    """Dates, datetimes and months; a date alone in a deadline column means 23:59:59 of that day."""
    t = types_of(raw)
    empty = pd.isna(raw).to_numpy() | ((t == str) & (raw.astype(object) == "").to_numpy())
    if ((t == str) & ~empty).any():
        blank_text = np.zeros(len(raw), dtype=bool)
        strs = (t == str) & ~empty
        blank_text[strs] = raw[strs].astype(STR).str.strip().eq("").to_numpy(dtype=bool)
        empty |= blank_text
    if col.kind == L.MONTH:
        value = _parse_months(raw)
        why = "无法识别的月份"
    else:
        value, has_time = parse_datetimes(raw)
        if col.deadline:
            midnight = value.notna() & ~has_time & (value == value.dt.normalize())
            value = value.where(~midnight, value + pd.Timedelta(seconds=86399))
        if col.kind == L.DATE:
            value = value.dt.normalize()
        why = "无法识别的日期"
    bad = ~empty & value.isna().to_numpy()
    _report(col, raw, bad, empty, why, problems)
    return value


def _convert_periods(col: L.Column, raw: pd.Series, text: pd.Series, problems: Problems) -> pd.Series:
    """Period labels normalised (``2024年5月`` -> ``2024-05``, ``2024年第18周`` -> ``2024-W18``), once per distinct
    value; one that cannot be read is kept as written with a warning (nothing lost)."""
    codes, uniques = pd.factorize(text)
    mapped = np.array([normalize_label(u) for u in uniques] + [None], dtype=object)
    value = pd.Series(mapped[codes], index=text.index, dtype=object)
    bad = text.notna().to_numpy() & value.isna().to_numpy()
    problems.warn(bad, col, lambda p: f"{_shown(raw, col)(p)} 不是可识别的期间（如 2024-05、2024-W18、2024-Q2），按原文保留")
    return value.where(~bad, text.astype(object))


def _convert_ids(col: L.Column, raw: pd.Series, text: pd.Series, empty: np.ndarray, problems: Problems, today: date) -> pd.Series:
    """ID numbers: tidy (full-width digits, spaces, a leading ', lower-case x), validate, blank what is wrong.

    A number stored by Excel as a number has already lost digits: blanked and
    warned, never "repaired".
    """
    t = types_of(raw)
    as_number = ((t == float) | (t == int)) & ~empty
    problems.warn(as_number, col, lambda p: "身份证号被 Excel 存成数字，后几位已丢失，已置空")
    present = ~empty & ~as_number
    value = pd.Series(pd.NA, index=raw.index, dtype=STR)
    if present.any():
        norm = nfkc(text[present]).str.replace(r"[\s']", "", regex=True).str.upper()
        reasons = check_ids(norm.astype(object), today)
        ok = reasons.isna().to_numpy()
        value[present] = norm.where(ok)
        badpos = np.flatnonzero(present)[~ok]
        why = reasons.to_numpy()[~ok]
        bad = np.zeros(len(raw), dtype=bool)
        bad[badpos] = True
        reason_at = dict(zip(badpos, why))
        problems.warn(bad, col, lambda p: f"{reason_at[p]}，已置空")
    return value


_MOBILE_RE2 = r"1[3-9]\d{9}"
_LANDLINE_RE2 = r"0\d{2,3}\d{7,8}|[2-9]\d{6,7}"


def _convert_phones(col: L.Column, text: pd.Series, problems: Problems) -> pd.Series:
    """Phone numbers: +86, hyphens, spaces and brackets dropped; malformed ones blanked with a warning."""
    cleaned = nfkc(text).str.replace(r"[\s\-()（）]", "", regex=True)
    cleaned = cleaned.str.replace(r"^(?:\+86|0086)", "", regex=True).str.replace(r"^86(1\d{10})$", r"\1", regex=True)
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
            out[c] = frame[c].map(lambda v: v if isinstance(v, bool) else None).astype(object)
        else:
            target = np.int64 if c == L.SRC_ROW else _KIND_DTYPES.get(kind, STR)
            out[c] = frame[c] if frame[c].dtype == target else frame[c].astype(target)
    return pd.DataFrame(out, index=frame.index)
