"""Reading messy ledger exports into typed frames plus a quarantine.

Implements DATA_CONTRACT.md section 1: files are found by name prefix (or by
their headers), read from xlsx/xls/csv in any of the listed encodings, their
header row found under any title rows, headers matched through synonyms,
summary and blank rows dropped and counted, every value typed, and every row
that cannot be used quarantined with file, sheet, Excel row and reason. The
counts always reconcile: rows read = accepted + quarantined + dropped.

Input files are never modified. Parsed files are cached as parquet under
:func:`sscard_analysis.config.cache_dir`, keyed by the file's content hash.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import multiprocessing
import os
import re
import threading
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from . import ledgers as L
from .config import Settings, cache_dir, load_settings
from .privacy import check_ids, normalize_phone, scrub_text

PARSER_VERSION = "1"
DATA_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
HEADER_SEARCH_ROWS = 30
SUMMARY_WORDS = ("合计", "总计", "小计", "制表", "审核人", "填表人", "统计人", "负责人：", "负责人:")
EXCEL_ERRORS = re.compile(r"^#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|GETTING_DATA)$")
_WS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_WS_RE2 = "[\\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+"  # the same class for Arrow's RE2 (ASCII \\s)


class FatalInputError(Exception):
    """A file that cannot be read at all (named in the message)."""


@dataclass
class FileRecord:
    """What happened to one input file (the data-quality record)."""

    file: str
    ledger: str | None
    sheet: str = ""
    header_row: int = 0  # Excel row number of the header (0: none found)
    title_rows: int = 0  # rows above the header (banners, blanks)
    rows_read: int = 0  # rows below the header
    accepted: int = 0
    quarantined: int = 0
    dropped_blank: int = 0
    dropped_summary: int = 0
    dropped_duplicate: int = 0
    warnings: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def dropped(self) -> int:
        return self.dropped_blank + self.dropped_summary + self.dropped_duplicate

    def reconciles(self) -> bool:
        return self.rows_read == self.accepted + self.quarantined + self.dropped


@dataclass
class ParsedFile:
    record: FileRecord
    frame: pd.DataFrame  # accepted rows, typed, with _sheet and _row
    quarantine: list[dict]
    warnings: list[dict]


@dataclass
class DataSet:
    """Everything read from one data folder."""

    data_dir: Path
    settings: Settings
    frames: dict[str, pd.DataFrame]
    files: list[FileRecord]
    quarantine: pd.DataFrame
    warnings: pd.DataFrame
    ignored: list[tuple[str, str]]
    input_hashes: dict[str, str]

    def __getitem__(self, ledger: str) -> pd.DataFrame:
        return self.frames[ledger]

    def has(self, ledger: str) -> bool:
        """Whether the folder holds a file for ``ledger`` (an empty file counts)."""
        return any(r.ledger == ledger for r in self.files)

    def summary(self) -> pd.DataFrame:
        """Per-ledger reconciliation: files, rows read, accepted, quarantined, dropped, warnings."""
        rows = []
        for name, ledger in L.LEDGERS.items():
            recs = [r for r in self.files if r.ledger == name]
            rows.append({
                "ledger": name,
                "台账": ledger.zh,
                "files": len(recs),
                "rows_read": sum(r.rows_read for r in recs),
                "accepted": sum(r.accepted for r in recs),
                "quarantined": sum(r.quarantined for r in recs),
                "dropped_blank": sum(r.dropped_blank for r in recs),
                "dropped_summary": sum(r.dropped_summary for r in recs),
                "dropped_duplicate": sum(r.dropped_duplicate for r in recs),
                "warnings": sum(r.warnings for r in recs),
            })
        return pd.DataFrame(rows)


# ---------------------------------------------------------------- discovery


def discover(data_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Data files under ``data_dir`` (any depth, sorted) and the files ignored with a reason."""
    files, ignored = [], []
    for path in sorted(Path(data_dir).rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(data_dir))
        if path.name.startswith("~$") or path.name.startswith(".~lock"):
            ignored.append((rel, "Office 锁文件 (lock file)"))
        elif path.name.startswith(".") or path.name == "sscard.toml":
            continue
        elif path.suffix.lower() not in DATA_SUFFIXES:
            ignored.append((rel, f"不支持的文件类型 {path.suffix or '(无扩展名)'}"))
        else:
            files.append(path)
    return files, ignored


# ---------------------------------------------------------------- raw tables


def _sniff(path: Path, head: bytes) -> str:
    """'xlsx', 'ole', or 'text'; fatal for HTML/XML pages and encrypted workbooks."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise FatalInputError(f"{path.name}: 工作簿已加密（设置了打开密码），请去掉密码后另存为 .xlsx 再放入数据目录")
        return "ole"
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff\x00 \t\r\n").lower()
    if stripped.startswith((b"<", b"<\x00")):
        raise FatalInputError(
            f"{path.name}: 不是 Excel 工作簿，而是另存为 {path.suffix} 的 HTML/XML 网页；请用 Excel 打开后另存为 .xlsx"
        )
    return "text"


def _decode(data: bytes) -> str:
    """UTF-16 (BOM), UTF-8 (with or without BOM; tried strictly first), else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_text(path: Path) -> list[list]:
    text = _decode(path.read_bytes())
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    tabs = sum(ln.count("\t") for ln in lines)
    commas = sum(ln.count(",") for ln in lines)
    delim = "\t" if tabs > commas else ","
    return [list(r) for r in csv.reader(_io.StringIO(text, newline=""), delimiter=delim)]


def _pick_sheet(names: list[str], visible: list[bool], ledger: L.Ledger | None) -> int:
    if ledger is not None:
        prefixes = [L.normalize_header(p) for p in ledger.prefixes]
        for i, name in enumerate(names):
            if any(L.normalize_header(name).startswith(p) for p in prefixes):
                return i
    for i, vis in enumerate(visible):
        if vis:
            return i
    return 0


def _read_workbook(path: Path, ledger: L.Ledger | None) -> tuple[str, list[list], list[str]]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    notes = []
    try:
        with open(path, "rb") as fh:  # by content, not extension: an .xlsx renamed .xls opens too
            wb = CalamineWorkbook.from_filelike(_io.BytesIO(fh.read()))
        meta = wb.sheets_metadata
        names = [m.name for m in meta]
        visible = [m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet for m in meta]
        idx = _pick_sheet(names, visible, ledger)
        sheet = wb.get_sheet_by_index(idx)
        rows = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except FatalInputError:
        raise
    except Exception as exc:  # calamine raises its own error types
        raise FatalInputError(f"{path.name}: 无法打开工作簿（{type(exc).__name__}: {str(exc)[:120]}）") from None
    # Merged cells: every cell of a merged range holds the top-left value (BAD_INPUTS 2).
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value
    if path.suffix.lower() == ".xls" and len(rows) == 65536:
        notes.append("旧版 .xls 恰好 65,536 行：导出可能被截断，请改用 .xlsx 重新导出")
    if len(names) > 1:
        notes.append(f"工作簿有 {len(names)} 个工作表，读取的是“{names[idx]}”")
    return names[idx], rows, notes


def read_table(path: Path, ledger: L.Ledger | None) -> tuple[str, list[list], list[str]]:
    """The raw cells of a file's sheet: (sheet name, rows, notes). Row i is Excel row i+1."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return "", [], ["空文件"]
    kind = _sniff(path, head)
    if kind == "text":
        try:
            return "", _read_text(path), []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FatalInputError(f"{path.name}: 无法解析文本文件（{exc}）") from None
    return _read_workbook(path, ledger)


# ---------------------------------------------------------------- headers


def _header_index(ledger: L.Ledger) -> dict[str, str]:
    idx: dict[str, str] = {}
    for col in ledger.columns:
        for h in col.headers():
            idx.setdefault(L.normalize_header(h), col.name)
    return idx


def _map_headers(cells: list, index: dict[str, str]) -> list[str | None]:
    return [index.get(L.normalize_header(c)) if _nonempty(c) else None for c in cells]


def _nonempty(v) -> bool:
    return not (v is None or v == "" or (isinstance(v, str) and not v.strip()))


def find_header(rows: list[list], ledger: L.Ledger) -> tuple[int, list[str | None]] | None:
    """Index of the first row holding all required columns, and that row's column mapping."""
    index = _header_index(ledger)
    required = {c.name for c in ledger.required}
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapped = _map_headers(row, index)
        if required <= set(m for m in mapped if m):
            return i, mapped
    return None


def _best_header_guess(rows: list[list], ledger: L.Ledger) -> tuple[int, list]:
    index = _header_index(ledger)
    best = (0, -1)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        n = sum(1 for m in _map_headers(row, index) if m)
        if n > best[1]:
            best = (i, n)
    if best[1] <= 0:
        return best[0], []  # no row holds a known header: show none (a data row may hold personal data)
    return best[0], [scrub_text(str(c).strip())[:30] for c in rows[best[0]] if _nonempty(c)]


def _is_subheader(row: list, mapped: list, nxt: list, nxt_mapped: list, key_pos: int | None) -> bool:
    """Whether the row under the header is a second header row.

    Either its key cell repeats the header (a vertically merged header cell),
    or every filled cell of it names a known column and at least one of them
    sits under a cell that named none (sub-headers under a group banner).
    """
    if not nxt or key_pos is None:
        return False
    if key_pos < len(nxt) and _nonempty(nxt[key_pos]) and L.normalize_header(nxt[key_pos]) == L.normalize_header(row[key_pos]):
        return True
    filled = [i for i, v in enumerate(nxt) if _nonempty(v)]
    if not filled or any(nxt_mapped[i] is None for i in filled):
        return False
    return any(i >= len(mapped) or mapped[i] is None for i in filled)


def guess_ledger(rows: list[list]) -> tuple[L.Ledger | None, list[str]]:
    """The single ledger whose required columns all appear in one header row (else None, candidates)."""
    hits = [lg for lg in L.LEDGERS.values() if find_header(rows, lg) is not None]
    return (hits[0] if len(hits) == 1 else None), [h.name for h in hits]


# ---------------------------------------------------------------- values


def _types(s: pd.Series) -> np.ndarray:
    return s.map(type).to_numpy()


STR = "str"  # pandas' Arrow-backed string dtype: vectorised string kernels


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text (NA when empty); integral floats lose their '.0'.

    Returns an Arrow-backed string Series, so the string work that follows
    runs in compiled kernels rather than per cell in Python.
    """
    if s.dtype != object:
        return s.astype(STR).str.strip().replace("", pd.NA)
    t = _types(s)
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
    t = _types(s)
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
        txt = _nfkc(s[is_str].astype(STR)).str.strip()
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
    t = _types(s)
    is_str = t == str
    if is_str.any():
        txt = _nfkc(s[is_str].astype(STR)).str.strip()
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


def _nfkc(text: pd.Series) -> pd.Series:
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


class _Problems:
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


def _convert(col: L.Column, raw: pd.Series, problems: _Problems, today: date) -> pd.Series:
    """Type one column; record quarantine reasons (required) or warnings (optional)."""
    if col.kind in (L.DATETIME, L.DATE, L.MONTH):
        return _convert_dates(col, raw, problems)
    text = _as_text(raw)
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
            value = _nfkc(value).str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
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
        t = _types(raw)
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
    elif col.kind == L.ID_NUMBER:
        return _convert_ids(col, raw, text, empty, problems, today)
    elif col.kind == L.PHONE:
        return _convert_phones(col, text, problems)
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(col.kind)

    _report(col, raw, bad, empty, why, problems)
    return value


def _report(col: L.Column, raw: pd.Series, bad: np.ndarray, empty: np.ndarray, why: str, problems: _Problems) -> None:
    """Quarantine (required column) or warn (optional column) about unusable and missing values."""
    shown = _shown(raw, col)
    bad = np.asarray(bad, dtype=bool)
    if col.required:
        problems.quarantine(bad, col, lambda p: f"{why} {shown(p)}")
        problems.quarantine(empty, col, lambda p: "缺少" + ("主键" if col.name in _KEY_COLS else "必填值"))
    else:
        problems.warn(bad, col, lambda p: f"{why} {shown(p)}，已置空")


def _convert_dates(col: L.Column, raw: pd.Series, problems: _Problems) -> pd.Series:
    """Dates, datetimes and months; a date alone in a deadline column means 23:59:59 of that day."""
    t = _types(raw)
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


def _convert_ids(col: L.Column, raw: pd.Series, text: pd.Series, empty: np.ndarray, problems: _Problems, today: date) -> pd.Series:
    """ID numbers: tidy (full-width digits, spaces, a leading ', lower-case x), validate, blank what is wrong.

    A number stored by Excel as a number has already lost digits: blanked and
    warned, never "repaired".
    """
    t = _types(raw)
    as_number = ((t == float) | (t == int)) & ~empty
    problems.warn(as_number, col, lambda p: "身份证号被 Excel 存成数字，后几位已丢失，已置空")
    present = ~empty & ~as_number
    value = pd.Series(pd.NA, index=raw.index, dtype=STR)
    if present.any():
        norm = _nfkc(text[present]).str.replace(r"[\s']", "", regex=True).str.upper()
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


def _convert_phones(col: L.Column, text: pd.Series, problems: _Problems) -> pd.Series:
    """Phone numbers: +86, hyphens, spaces and brackets dropped; malformed ones blanked with a warning."""
    cleaned = _nfkc(text).str.replace(r"[\s\-()（）]", "", regex=True)
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


# ---------------------------------------------------------------- one file


def _is_summary_row(row: list) -> bool:
    for v in row:
        if _nonempty(v):
            return isinstance(v, str) and L.normalize_header(v).startswith(tuple(L.normalize_header(w) for w in SUMMARY_WORDS))
    return False


_COUNT_IN_TEXT = re.compile(r"共\s*(\d+)\s*(?:条|件|笔|行|个|项|宗)")


def _declared_count(row: list, key_pos: int | None) -> int | None:
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


def parse_file(path: Path, rel: str, ledger: L.Ledger | None, today: date | None = None) -> ParsedFile:
    """Read one file into accepted rows, quarantine and warnings (no cross-file logic)."""
    today = today or date.today()
    sheet, rows, notes = read_table(path, ledger)
    if ledger is None:
        ledger, candidates = guess_ledger(rows)
        if ledger is None:
            raise _Unassigned("表头同时符合多个台账: " + ", ".join(candidates) if candidates else "文件名与表头都无法对应任何台账")
    rec = FileRecord(file=rel, ledger=ledger.name, sheet=sheet, notes=notes)
    if not rows:
        return ParsedFile(rec, _empty_frame(ledger), [], [])
    found = find_header(rows, ledger)
    if found is None:
        guess_row, headers = _best_header_guess(rows, ledger)
        index = _header_index(ledger)
        have = set(m for m in _map_headers(rows[guess_row], index) if m)
        missing = [f"{c.zh}({c.name})" for c in ledger.required if c.name not in have]
        found_text = f"在第 {guess_row + 1} 行找到的表头: {', '.join(headers[:40])}" if headers else f"前 {HEADER_SEARCH_ROWS} 行中没有任何可识别的表头"
        raise FatalInputError(f"{rel}: 缺少必填列 {', '.join(missing)}；{found_text}")
    h, mapped = found
    width = max(len(r) for r in rows)
    # A second header row (sub-headers under a merged banner): its cells name known columns.
    nxt = rows[h + 1] if h + 1 < len(rows) else []
    index = _header_index(ledger)
    nxt_mapped = _map_headers(nxt, index)
    key_pos = mapped.index(ledger.key[0]) if ledger.key[0] in mapped else None
    if _is_subheader(rows[h], mapped, nxt, nxt_mapped, key_pos):
        mapped = [b or a for a, b in zip(mapped + [None] * (len(nxt_mapped) - len(mapped)), nxt_mapped)]
        header_cells = [n if _nonempty(n) else o for o, n in zip(list(rows[h]) + [""] * width, list(nxt) + [""] * width)]
        data_start = h + 2
    else:
        header_cells = list(rows[h]) + [""] * (width - len(rows[h]))
        data_start = h + 1
    rec.header_row = h + 1
    rec.title_rows = h
    # Column names: canonical where matched (first occurrence), else the header as written.
    names, seen = [], set()
    for i in range(width):
        m = mapped[i] if i < len(mapped) else None
        if m and m not in seen:
            names.append(m)
            seen.add(m)
        else:
            label = str(header_cells[i]).strip() if i < len(header_cells) and _nonempty(header_cells[i]) else f"列{i + 1}"
            if m:
                rec.notes.append(f"表头“{label}”重复出现，后一列作为附加列保留")
                label = f"{label}(重复)"
            while label in names or label in seen:
                label += "_"
            names.append(label)
    body = [r if len(r) == width else list(r) + [""] * (width - len(r)) for r in rows[data_start:]]
    rec.rows_read = len(body)
    excel_rows = np.arange(data_start + 1, data_start + 1 + len(body))
    cells = np.empty((len(body), width), dtype=object)
    for j in range(width):  # column by column: numpy would otherwise look inside the values
        cells[:, j] = [r[j] for r in body]
    # Blank rows (whitespace-only text is empty too). A row with a usable key is not blank; only
    # the others are checked cell by cell.
    keyed = np.zeros(len(body), dtype=bool)
    if key_pos is not None and len(body):
        keyed = np.array([_nonempty(v) for v in cells[:, key_pos]], dtype=bool)
    blank = np.zeros(len(body), dtype=bool)
    for i in np.flatnonzero(~keyed):
        blank[i] = not any(_nonempty(v) for v in body[i])
    # A summary row's first filled cell is text such as 合计; only rows whose first cell is empty or text can be one.
    first = cells[:, 0] if width else np.array([], dtype=object)
    maybe = ~blank & np.array([v is None or isinstance(v, str) for v in first], dtype=bool)
    summary = np.zeros(len(body), dtype=bool)
    for i in np.flatnonzero(maybe):
        summary[i] = _is_summary_row(body[i])
    rec.dropped_blank = int(blank.sum())
    rec.dropped_summary = int(summary.sum())
    keep = ~(blank | summary)
    for i in np.flatnonzero(summary):
        declared = _declared_count(body[i], key_pos)
        actual = int(keep[:i].sum())
        if declared is not None and declared != actual:
            rec.notes.append(f"第 {excel_rows[i]} 行合计写 {declared} 条，实际读到 {actual} 条数据行")
    kept = cells[keep]
    raw = {name: pd.Series(kept[:, j], dtype=object) for j, name in enumerate(names)}
    rows_no = excel_rows[keep]
    problems = _Problems(len(kept))
    out: dict[str, pd.Series] = {}
    for col in ledger.columns:
        out[col.name] = _convert(col, raw[col.name], problems, today) if col.name in raw else pd.Series(None, index=range(len(kept)), dtype=object)
    for extra in [c for c in names if c not in ledger._by_name]:
        out[extra] = _as_text(raw[extra])
    out[L.SRC_SHEET] = pd.Series(sheet, index=range(len(kept)), dtype=STR)
    out[L.SRC_ROW] = pd.Series(rows_no.astype(np.int64))
    out = pd.DataFrame(out)

    q_mask = problems.quarantined()
    quarantine = [
        {"file": rel, "sheet": sheet, "row": int(rows_no[p]), "ledger": ledger.name, "reason": "；".join(problems.reasons[p])}
        for p in np.flatnonzero(q_mask)
    ]
    warnings = [
        {"file": rel, "sheet": sheet, "row": int(rows_no[p]), "ledger": ledger.name, "column": c, "reason": r}
        for p, c, r in problems.warnings
        if not q_mask[p]
    ]
    # Duplicates inside one file: identical repeats dropped quietly; conflicting ones warned, the later wins.
    key = list(ledger.key)
    valid = np.flatnonzero(~q_mask)
    dup_key = np.zeros(len(out), dtype=bool)
    dup_key[valid] = out.iloc[valid][key].duplicated(keep="last").to_numpy()
    if dup_key.any():
        good = out.iloc[valid]
        content = [c for c in good.columns if c not in (L.SRC_SHEET, L.SRC_ROW)]
        involved = good[good.duplicated(subset=key, keep=False)]  # only rows sharing a key are compared in full
        identical = involved.astype(str).duplicated(subset=content, keep="last").reindex(out.index, fill_value=False).to_numpy()
        dropped_rows = set(out.loc[dup_key, L.SRC_ROW].tolist())
        warnings = [w for w in warnings if w["row"] not in dropped_rows]
        for idx in np.flatnonzero(dup_key & ~identical):
            later = good.loc[good.index > idx]
            later = later[(later[key] == out.loc[idx, key]).all(axis=1)]
            warnings.append({
                "file": rel, "sheet": sheet, "row": int(out.at[idx, L.SRC_ROW]), "ledger": ledger.name, "column": ",".join(key),
                "reason": f"同一文件内主键重复且内容不同，以第 {int(later[L.SRC_ROW].iloc[-1])} 行为准",
            })
        rec.dropped_duplicate = int(dup_key.sum())
    final = ~q_mask & ~dup_key
    good = out if final.all() else out[final].reset_index(drop=True)
    rec.quarantined = int(q_mask.sum())
    rec.accepted = len(good)
    rec.warnings = len(warnings)
    return ParsedFile(rec, normalize_dtypes(good, ledger), quarantine, warnings)


class _Unassigned(Exception):
    """A file no ledger can claim (listed as ignored)."""


def _empty_frame(ledger: L.Ledger) -> pd.DataFrame:
    cols = [c.name for c in ledger.columns] + [L.SRC_SHEET, L.SRC_ROW]
    return normalize_dtypes(pd.DataFrame({c: pd.Series(dtype=object) for c in cols}), ledger)


# ---------------------------------------------------------------- cache


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cache_paths(digest: str, ledger: str | None) -> tuple[Path, Path]:
    base = cache_dir() / f"{digest[:32]}-{ledger or 'auto'}-v{PARSER_VERSION}"
    return base.with_suffix(".parquet"), base.with_suffix(".json")


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


def _cache_load(digest: str, ledger: str | None, rel: str) -> ParsedFile | None:
    pq, meta = _cache_paths(digest, ledger)
    if not (pq.is_file() and meta.is_file()):
        return None
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
        frame = pd.read_parquet(pq)
    except Exception:
        return None
    rec = FileRecord(**m["record"])
    rec.file = rel
    ledger_spec = L.LEDGERS.get(rec.ledger or "")
    if ledger_spec is not None:
        frame = normalize_dtypes(frame, ledger_spec)
    for item in m["quarantine"] + m["warnings"]:
        item["file"] = rel
    return ParsedFile(rec, frame, m["quarantine"], m["warnings"])


def _cache_store(digest: str, ledger: str | None, parsed: ParsedFile) -> None:
    pq, meta = _cache_paths(digest, ledger)
    try:
        pq.parent.mkdir(parents=True, exist_ok=True)
        tmp = pq.with_suffix(f".tmp{os.getpid()}")
        parsed.frame.to_parquet(tmp, index=False)
        os.replace(tmp, pq)
        tmpm = meta.with_suffix(f".tmp{os.getpid()}")
        tmpm.write_text(json.dumps({"record": asdict(parsed.record), "quarantine": parsed.quarantine, "warnings": parsed.warnings}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmpm, meta)
    except OSError:
        pass  # a read-only cache folder only costs speed


def _parse_job(args: tuple) -> ParsedFile | str:
    """Parse one file (in a worker process when there are several) and cache the result."""
    path, rel, ledger_name, digest, store = args
    try:
        parsed = parse_file(path, rel, L.LEDGERS[ledger_name] if ledger_name else None)
        if store:
            _cache_store(digest, ledger_name, parsed)
        return parsed
    except _Unassigned as exc:
        return "unassigned:" + str(exc)
    except FatalInputError as exc:
        return "fatal:" + str(exc)


# ---------------------------------------------------------------- the folder


def load(data_dir: Path | str, settings: Settings | None = None, use_cache: bool = True, workers: int | None = None) -> DataSet:
    """Read every ledger file of a data folder.

    Parameters
    ----------
    data_dir : the folder (any depth).
    settings : contract settings; read from ``sscard.toml`` in the folder when None.
    use_cache : reuse parsed files from the cache when their content is unchanged.
    workers : processes for parsing uncached files (default: up to 2 when there is enough to do).

    Raises
    ------
    FatalInputError
        A file cannot be opened, is not what its extension says, is encrypted,
        or lacks a required column (the message names the file and column).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FatalInputError(f"{data_dir}: 数据目录不存在")
    settings = settings or load_settings(data_dir)
    paths, ignored = discover(data_dir)
    # The same files read again in this process (a kernel rendering report after report): reuse.
    memo_key = (str(data_dir.resolve()), settings, tuple((str(p), _file_hash(p)) for p in paths)) if use_cache else None
    if memo_key is not None and _LAST_LOAD.get("key") == memo_key:
        return _LAST_LOAD["data"]
    jobs, results, hashes = [], {}, {}
    digests = dict(p for p in memo_key[2]) if memo_key else {}
    for path in paths:
        rel = str(path.relative_to(data_dir))
        ledger = L.ledger_for_prefix(path.stem)
        digest = digests.get(str(path)) or _file_hash(path)
        hashes[rel] = digest
        cached = _cache_load(digest, ledger.name if ledger else None, rel) if use_cache else None
        if cached is not None:
            results[rel] = cached
        else:
            jobs.append((path, rel, ledger.name if ledger else None, digest))
    big = sum(p.stat().st_size for p, *_ in jobs) > 4_000_000
    n_workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if len(jobs) > 1 and big else 1)
    args = [(p, r, lg, digest, use_cache) for p, r, lg, digest in jobs]
    if n_workers > 1:
        # fork is fast, but unsafe in a process that already runs threads (a Jupyter kernel): spawn there
        ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
        with ProcessPoolExecutor(n_workers, mp_context=ctx) as pool:
            outputs = list(pool.map(_parse_job, args))
    else:
        outputs = [_parse_job(a) for a in args]
    for (path, rel, ledger_name, digest), out in zip(jobs, outputs):
        if isinstance(out, str):
            kind, _, msg = out.partition(":")
            if kind == "fatal":
                raise FatalInputError(msg)
            ignored.append((rel, msg))
            continue
        results[rel] = out
    ds = _assemble(data_dir, settings, results, ignored, hashes)
    if memo_key is not None:
        _LAST_LOAD.update(key=memo_key, data=ds)
    return ds


_LAST_LOAD: dict = {}

OUTLET_REFERENCES = ("outlet_inspections", "phone_checks", "complaints")


def _unknown_outlets(frames: dict[str, pd.DataFrame], records: dict[str, FileRecord]) -> list[dict]:
    """An outlet_id unknown to the outlets ledger keeps its row and is a warning (DATA_CONTRACT 2)."""
    if not any(r.ledger == "outlets" for r in records.values()):
        return []
    known = set(frames["outlets"]["outlet_id"].dropna())
    out = []
    for name in OUTLET_REFERENCES:
        f = frames[name]
        unknown = f[f["outlet_id"].notna() & ~f["outlet_id"].isin(known)]
        for r in unknown[[L.SRC_FILE, L.SRC_SHEET, L.SRC_ROW, "outlet_id"]].to_dict("records"):
            rel = str(r[L.SRC_FILE])
            out.append({"file": rel, "sheet": r[L.SRC_SHEET], "row": int(r[L.SRC_ROW]), "ledger": name,
                        "column": "outlet_id", "reason": f"网点编号: “{r['outlet_id']}” 不在网点名录中，按原文保留"})
            records[rel].warnings += 1
    return out


def _assemble(data_dir: Path, settings: Settings, results: dict[str, ParsedFile], ignored, hashes) -> DataSet:
    frames: dict[str, pd.DataFrame] = {}
    quarantine, warnings = [], []
    records = {rel: p.record for rel, p in results.items()}
    for name, ledger in L.LEDGERS.items():
        rels = sorted(r for r, p in results.items() if p.record.ledger == name)
        for rel in rels:
            quarantine += results[rel].quarantine
            warnings += results[rel].warnings
        if not rels:
            empty = _empty_frame(ledger)
            empty.insert(0, L.SRC_FILE, pd.Categorical([]))
            frames[name] = empty
            continue
        # The same key in several files: the file whose path sorts last wins.
        key = list(ledger.key)
        parts = [results[rel].frame for rel in rels]
        dup = pd.concat([p[key] for p in parts], ignore_index=True).duplicated(keep="last").to_numpy() if len(parts) > 1 else np.zeros(len(parts[0]), dtype=bool)
        kept, start = [], 0
        for rel, part in zip(rels, parts):
            d = dup[start:start + len(part)]
            start += len(part)
            if d.any():
                records[rel].dropped_duplicate += int(d.sum())
                records[rel].accepted -= int(d.sum())
                part = part[~d]
            kept.append(part)
        frame = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0].reset_index(drop=True)
        codes = np.repeat(np.arange(len(rels)), [len(k) for k in kept])
        frame.insert(0, L.SRC_FILE, pd.Categorical.from_codes(codes, categories=rels))
        frames[name] = frame
    warnings += _unknown_outlets(frames, records)
    q = pd.DataFrame(quarantine, columns=["file", "sheet", "row", "ledger", "reason"])
    w = pd.DataFrame(warnings, columns=["file", "sheet", "row", "ledger", "column", "reason"])
    files = [records[r] for r in sorted(records)]
    return DataSet(data_dir, settings, frames, files, q, w, ignored, hashes)
