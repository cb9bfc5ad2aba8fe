"""Shared pieces of the sample generator: the working-day calendar, fake personal data, table writers."""

from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..ledgers import (
    BANKS,
    DISTRICTS,
    LEDGERS,
)

# Fixed document properties keep the xlsx output deterministic.
_CREATED = datetime(2025, 3, 3, 9, 0, 0)
_EXCEL_EPOCH = date(1899, 12, 30)
END_OF_DAY = 86399.0 / 86400.0

DT_FMT = "yyyy-mm-dd hh:mm:ss"
DATE_FMT = "yyyy-mm-dd"
MONTH_FMT = "yyyy-mm"
# Fake-name material (all characters inside GBK).
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向汤"
)
_COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛"]
_GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建国志文斌宇浩凯健俊帆鹏辉嘉欣怡婷雪琳晨阳"
    "子涵梓轩思雨佳琪雅晴博然诗家豪泽颖慧丹倩芬燕洁海峰佩珊咏晓彤锦荣耀坤铭瑞雯露"
)
SPECIAL_NAMES = ("买买提·艾力", "John Smith", "Maria Lopez", "Nguyen Van An")

# Guangzhou district codes of GB/T 2260 used as ID-number area codes.
_AREA_CODES = np.array([440103, 440104, 440105, 440106, 440111, 440112, 440113, 440114, 440115, 440117, 440118])
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_MOBILE_PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159,
                             166, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199])

DISTRICT_NAMES = list(DISTRICTS)
DISTRICT_P = np.array([0.08, 0.12, 0.08, 0.14, 0.16, 0.08, 0.13, 0.07, 0.05, 0.03, 0.06])
BANK_NAMES = list(BANKS)
BANK_P = np.array([0.13, 0.12, 0.10, 0.12, 0.06, 0.10, 0.04, 0.05, 0.04, 0.06, 0.09, 0.03, 0.02, 0.02, 0.02])
ROADS = [
    "中山", "环市", "东风", "解放", "天河", "体育", "黄埔大道", "广州大道", "江南大道", "工业大道", "滨江", "昌岗",
    "芳村大道", "中山八", "龙津", "白云大道", "机场", "同和", "新市", "石井", "开发大道", "科学大道", "香雪",
    "市桥", "大石", "迎宾", "新华", "花城", "凤凰", "进港大道", "蕉门", "街口", "荔城", "新塘", "五羊", "员村",
    "珠江", "华夏", "林和", "沙河", "瘦狗岭", "北京", "人民", "东华", "越秀", "海珠", "宝岗", "南华", "江燕",
]

# ---------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------


def _day_kind(day: date) -> tuple[bool, str]:
    """State Council working day, and the festival name of a statutory rest day ("" otherwise).

    Weekdays are working days outside the years the calendar package covers.
    """
    import chinese_calendar

    try:
        work = bool(chinese_calendar.is_workday(day))
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return day.weekday() < 5, ""
    return work, (str(name) if on_holiday and name and not work else "")


class Calendar:
    """Day-indexed working-day calendar over a fixed window of dates.

    ``work`` marks working days (调休 weekend days included); ``festival`` names the statutory
    holiday a rest day belongs to ("Spring Festival", "National Day" …), "" for other days.
    """

    def __init__(self, first: date, last: date) -> None:
        self.base = first
        n = (last - first).days + 1
        self.dates = [first + timedelta(days=i) for i in range(n)]
        kinds = [_day_kind(d) for d in self.dates]
        self.work = np.array([k[0] for k in kinds])
        self.festival = [k[1] for k in kinds]
        self.cum = np.cumsum(self.work)
        self.work_idx = np.flatnonzero(self.work)
        self.base_serial = (first - _EXCEL_EPOCH).days

    def idx(self, day: date) -> int:
        """Index of ``day`` in the window."""
        return (day - self.base).days

    def day(self, i: int | np.integer) -> date:
        """Date of index ``i``."""
        return self.base + timedelta(days=int(i))

    def nth_after(self, i: Any, n: Any) -> Any:
        """Index of the ``n``-th working day after day ``i`` (the day itself never counts)."""
        return self.work_idx[self.cum[i] + np.asarray(n) - 1]

    def workdays(self, first: date, last: date) -> np.ndarray:
        """Indices of the working days in ``[first, last]``."""
        a, b = self.idx(first), self.idx(last)
        w = self.work_idx
        return w[(w >= a) & (w <= b)]

    def first_workday_on_or_after(self, day: date) -> date:
        """``day`` itself when it is a working day, else the next working day."""
        i = self.idx(day)
        return self.day(i if self.work[i] else self.nth_after(i, 1))

    def dt(self, i: int | np.integer, seconds: float = 0.0) -> datetime:
        """Datetime of day ``i`` plus ``seconds``."""
        return datetime.combine(self.day(i), datetime.min.time()) + timedelta(seconds=float(seconds))


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar months (year, month) overlapping ``[start, end]``."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _serial(value: date | datetime) -> float:
    """Excel serial number (1900 date system) of a date or datetime."""
    if isinstance(value, datetime):
        delta = value - datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400.0
    return float((value - _EXCEL_EPOCH).days)


# ---------------------------------------------------------------------------
# Fake personal data
# ---------------------------------------------------------------------------


def fake_names(rng: np.random.Generator, n: int, compound_rate: float = 0.02) -> np.ndarray:
    """``n`` fake Chinese names (object array): surname plus one or two given characters."""
    sur = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    comp = rng.random(n) < compound_rate
    sur[comp] = np.array(_COMPOUND_SURNAMES, dtype=object)[rng.integers(0, len(_COMPOUND_SURNAMES), comp.sum())]
    given = np.array(_GIVEN, dtype=object)
    g1 = given[rng.integers(0, len(given), n)]
    g2 = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    return sur + g1 + g2


def unique_fake_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct fake names (for staff)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for name in fake_names(rng, 2 * n, compound_rate=0.03):
            if name not in seen:
                seen.add(name)
                out.append(str(name))
                if len(out) == n:
                    break
    return out


def fake_id_numbers(rng: np.random.Generator, n: int, born_from: int = 1940, born_to: int = 2005) -> np.ndarray:
    """``n`` fake 18-character resident ID numbers of Guangzhou with a valid check digit."""
    if n == 0:
        return np.array([], dtype=object)
    area = _AREA_CODES[rng.integers(0, len(_AREA_CODES), n)]
    lo = np.datetime64(f"{born_from}-01-01")
    span = (np.datetime64(f"{born_to}-12-31") - lo).astype(int)
    born = lo + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
    seq = rng.integers(0, 1000, n)
    first17 = [f"{a}{b}{s:03d}" for a, b, s in zip(area.tolist(), ymd.tolist(), seq.tolist())]
    digits = (np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48).astype(np.int64)
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return np.array([f + c for f, c in zip(first17, check.tolist())], dtype=object)


def fake_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` fake phone numbers: mostly mobiles, some ``+86 138-xxxx-xxxx``, some ``020-8xxxxxxx``."""
    pre = _MOBILE_PREFIXES[rng.integers(0, len(_MOBILE_PREFIXES), n)].tolist()
    mid = rng.integers(0, 10000, n).tolist()
    tail = rng.integers(0, 10000, n).tolist()
    form = rng.choice(3, n, p=[0.90, 0.03, 0.07]).tolist()
    land = rng.integers(0, 10_000_000, n).tolist()
    out = []
    for p, a, b, f, ll in zip(pre, mid, tail, form, land):
        if f == 0:
            out.append(f"{p}{a:04d}{b:04d}")
        elif f == 1:
            out.append(f"+86 {p}-{a:04d}-{b:04d}")
        else:
            out.append(f"020-8{ll:07d}")
    return np.array(out, dtype=object)


def fake_landline(rng: np.random.Generator) -> str:
    """One fake Guangzhou landline."""
    return f"020-{rng.choice([3, 8])}{rng.integers(0, 10_000_000):07d}"


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


@dataclass
class Table:
    """One sheet to write: headers and column-wise values.

    Values are ``str`` (text), ``int``/``float`` (a number, shown with the
    column's number format), ``date``/``datetime`` (an Excel date) or ``None``
    (no cell). ``formats`` holds a number format per column (or None).
    """

    headers: list[str]
    columns: list[list[Any]]
    formats: list[str | None]

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def new_workbook(path: Path, constant_memory: bool = False) -> xlsxwriter.Workbook:
    """A workbook with fixed document properties (deterministic bytes)."""
    options: dict[str, Any] = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    if constant_memory:
        options["constant_memory"] = True
    wb = xlsxwriter.Workbook(str(path), options)
    wb.set_properties({"created": _CREATED, "title": path.stem})
    return wb


def write_table(wb: xlsxwriter.Workbook, ws: Worksheet, table: Table, first_row: int) -> int:
    """Write the header row and data rows from ``first_row``; return the next free row."""
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    number_formats = {f: wb.add_format({"num_format": f}) for f in set(table.formats) if f}
    fmts = [number_formats[f] if f else None for f in table.formats]
    date_fmt = number_formats.get(DATE_FMT) or wb.add_format({"num_format": DATE_FMT})
    dt_fmt = number_formats.get(DT_FMT) or wb.add_format({"num_format": DT_FMT})
    for c, h in enumerate(table.headers):
        ws.write_string(first_row, c, h, head)
    # Unwrapped writers skip xlsxwriter's A1-notation argument check (rows are ints).
    write_string = Worksheet.write_string.__wrapped__  # type: ignore[attr-defined]
    write_number = Worksheet.write_number.__wrapped__  # type: ignore[attr-defined]
    r = first_row + 1
    for row in zip(*table.columns):
        for c, v in enumerate(row):
            t = type(v)
            if t is str:
                if v:
                    write_string(ws, r, c, v)
            elif v is None:
                continue
            elif t is float or t is int:
                write_number(ws, r, c, v, fmts[c])
            elif t is datetime:
                write_number(ws, r, c, _serial(v), fmts[c] or dt_fmt)
            elif t is date:
                write_number(ws, r, c, _serial(v), fmts[c] or date_fmt)
            else:
                write_number(ws, r, c, float(v), fmts[c])
        r += 1
    return r


def write_xlsx(path: Path, table: Table, sheet: str = "Sheet1", widths: Sequence[float] | None = None) -> int:
    """Write a one-sheet workbook with the header in row 1; return the data rows written."""
    wb = new_workbook(path)
    ws = wb.add_worksheet(sheet)
    for c, w in enumerate(widths or [14] * len(table.headers)):
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 0)
    write_table(wb, ws, table, 0)
    wb.close()
    return table.n_rows


def slash_dt(v: datetime) -> str:
    """``2024/5/6 14:03`` (the form Excel gives a datetime in CSV)."""
    return f"{v.year}/{v.month}/{v.day} {v.hour}:{v.minute:02d}"


def slash_date(v: date) -> str:
    """``2024/5/6``."""
    return f"{v.year}/{v.month}/{v.day}"


def iso_dt(v: datetime) -> str:
    """``2024-05-06 14:03``."""
    return v.strftime("%Y-%m-%d %H:%M")


def write_csv(path: Path, table: Table, encoding: str, dt_text: Callable[[datetime], str],
               date_text: Callable[[date], str]) -> int:
    """Write a CSV file (CRLF line ends, as Excel does); return the data rows written."""

    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, datetime):
            return dt_text(v)
        if isinstance(v, date):
            return date_text(v)
        return str(v)

    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(table.headers)
        for row in zip(*table.columns):
            w.writerow([text(v) for v in row])
    return table.n_rows


def ledger_headers(ledger: str, overrides: dict[str, str] | None = None) -> list[str]:
    """Chinese headers of a ledger in contract order, with some replaced."""
    overrides = overrides or {}
    return [overrides.get(c.name, c.zh) for c in LEDGERS[ledger].columns]
