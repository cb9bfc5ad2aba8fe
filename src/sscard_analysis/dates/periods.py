"""Reporting periods and the cut-off rule (DATA_CONTRACT 3 and 4).

Periods: ``2024-W18`` (ISO week), ``2024-05``, ``2024-Q2``, ``2024``,
``contract`` (the whole service period), ``contract-Q1`` … ``contract-Q4``
(service quarters; a service longer than 12 months continues with
``contract-Q5`` …) and ``2024-05-06..2024-05-19`` (an explicit range).
Labels are normalised (``2024-5`` is ``2024-05``, ``2024-w18`` is
``2024-W18``), so one period always has one label and one report folder.
The cut-off (``as_of``) defaults to 23:59:59 of the period's last day or
now, whichever is earlier.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..config import Settings, add_months
from .calendar import ADD_YEAR, CalendarError, calendar_for, end_of_day

MIN_YEAR, MAX_YEAR = 1900, 2100
# The period forms each kind of report accepts (a 月报 is about a month, not a week).
KIND_FORMS = {
    "weekly": ("week",),
    "monthly": ("month",),
    "quarterly": ("contract-quarter", "quarter"),
    "annual": ("contract", "year"),
}
FORM_EXAMPLES = {"week": "2024-W18", "month": "2024-05", "quarter": "2024-Q2", "year": "2024", "contract": "contract",
                 "contract-quarter": "contract-Q1…contract-Q4", "range": "2024-05-06..2024-05-19"}
KIND_ZH = {"weekly": "周报", "monthly": "月报", "quarterly": "季报", "annual": "年报"}


class PeriodError(ValueError):
    """A period label or cut-off that cannot be read."""


@dataclass(frozen=True)
class Period:
    """A closed date range [start, end] with its label and cut-off."""

    label: str
    start: date
    end: date
    as_of: datetime
    form: str = "range"  # week, month, quarter, year, contract, contract-quarter or range

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time())

    @property
    def end_dt(self) -> datetime:
        """The last instant of the period that counts: its end of day, or the cut-off if earlier."""
        return min(end_of_day(self.end), self.as_of)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(), "as_of": self.as_of.isoformat()}


def _year(text: str, label: str) -> int:
    y = int(text)
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise PeriodError(f"{label}: 年份应在 {MIN_YEAR}–{MAX_YEAR} 之间")
    return y


def _day(text: str, label: str) -> date:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{label}: {text} 不是有效日期") from None
    _year(str(d.year), label)
    return d


def _bounds(label: str, settings: Settings) -> tuple[date, date, str, str]:
    """(start, end, form, normalised label) of a period label."""
    s = label.strip()
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", s, re.I):
        y = _year(m[1], label)
        try:
            start = date.fromisocalendar(y, int(m[2]), 1)
        except ValueError:
            raise PeriodError(f"{label}: {m[1]} 年没有第 {int(m[2])} 周") from None
        return start, start + timedelta(days=6), "week", f"{y}-W{int(m[2]):02d}"
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", s):
        y, mo = _year(m[1], label), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(f"{label}: 月份应为 01–12")
        start = date(y, mo, 1)
        return start, add_months(start, 1) - timedelta(days=1), "month", f"{y}-{mo:02d}"
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", s, re.I):
        y = _year(m[1], label)
        start = date(y, 3 * int(m[2]) - 2, 1)
        return start, add_months(start, 3) - timedelta(days=1), "quarter", f"{y}-Q{m[2]}"
    if m := re.fullmatch(r"(\d{4})", s):
        y = _year(m[1], label)
        return date(y, 1, 1), date(y, 12, 31), "year", str(y)
    if s.lower() == "contract":
        return settings.start, settings.end, "contract", "contract"
    if m := re.fullmatch(r"contract-Q(\d{1,2})", s, re.I):
        quarters = service_quarters(settings)
        q = int(m[1])
        if not 1 <= q <= len(quarters):
            raise PeriodError(f"{label}: 服务期只有 {len(quarters)} 个季度（contract-Q1…Q{len(quarters)}）")
        return (*quarters[q - 1][1:], "contract-quarter", f"contract-Q{q}")
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", s):
        a, b = _day(m[1], label), _day(m[2], label)
        if b < a:
            raise PeriodError(f"{label}: 结束日期早于开始日期")
        return a, b, "range", f"{a.isoformat()}..{b.isoformat()}"
    raise PeriodError(
        f"{label}: 无法识别的期间；可用 2024-W18、2024-05、2024-Q2、2024、contract、contract-Q1…Q4、2024-05-06..2024-05-19"
    )


def parse_day(text: str, option: str = "--today") -> date:
    """A date given on the command line (``2025-02-28``); PeriodError in one Chinese line otherwise."""
    try:
        d = date.fromisoformat(str(text).strip())
    except ValueError:
        raise PeriodError(f"{option} {text}: 不是有效日期（应为日期，如 2025-02-28）") from None
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise PeriodError(f"{option} {text}: 年份应在 {MIN_YEAR}–{MAX_YEAR} 之间")
    return d


def service_quarters(settings: Settings) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of each service quarter: three months from the service start, the last one
    clipped to the service end; a service longer than 12 months continues with ``contract-Q5`` …."""
    out, q = [], 0
    while (start := add_months(settings.start, 3 * q)) <= settings.end:  # counted from the start: no drift after a 31st
        out.append((f"contract-Q{q + 1}", start, min(add_months(settings.start, 3 * (q + 1)) - timedelta(days=1), settings.end)))
        q += 1
    return out


_CN_DIGIT = {"一": "1", "二": "2", "三": "3", "四": "4"}
_WEEK_RE = re.compile(r"(\d{4})(?:-?W(\d{1,2})|年第?(\d{1,2})周)", re.I)
_MONTH_RE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})|年(\d{1,2})月|(\d{2}))(?:[-/.]0?1(?:00:00(?::00)?)?)?")
_QUARTER_RE = re.compile(r"(\d{4})(?:-?Q([1-4])|年Q([1-4])|年第?([1-4一二三四])季度?)", re.I)
_SERVICE_RE = re.compile(r"contract(?:-Q(\d{1,2}))?", re.I)
_YEAR_RE = re.compile(r"(\d{4})年?(?:度|全年)?")


def normalize_label(text: object) -> str | None:
    """The canonical label of a period written in any usual form, or None when it cannot be read.

    Weeks ``2024-W18``, ``2024W18``, ``2024年第18周``, ``2024年18周`` → ``2024-W18``;
    months ``2024-05``, ``2024-5``, ``2024/05``, ``2024.5``, ``2024年5月``, ``202405``
    (and a first-of-month date such as ``2024-05-01``, which is how Excel stores a
    typed ``2024-05``) → ``2024-05``; quarters ``2024Q3``, ``2024-Q3``, ``2024年Q3``,
    ``2024年3季度``, ``2024年第3季度``, ``2024年第三季度``, ``2024年三季度`` →
    ``2024-Q3``; ``contract`` and ``contract-Q2``; a year ``2024`` / ``2024年`` /
    ``2024年度``. Full-width characters and spaces are ignored (NFKC).
    """
    if text is None or (isinstance(text, float) and text != text):
        return None
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    if not s:
        return None
    if m := _WEEK_RE.fullmatch(s):
        y, w = int(m[1]), int(m[2] or m[3])
        try:
            date.fromisocalendar(y, w, 1)
        except ValueError:
            return None
        return f"{y}-W{w:02d}"
    if m := _QUARTER_RE.fullmatch(s):
        q = m[2] or m[3] or _CN_DIGIT.get(m[4], m[4])
        return f"{m[1]}-Q{q}"
    if m := _MONTH_RE.fullmatch(s):
        mo = int(m[2] or m[3] or m[4])
        return f"{m[1]}-{mo:02d}" if 1 <= mo <= 12 else None
    if m := _SERVICE_RE.fullmatch(s):
        return f"contract-Q{int(m[1])}" if m[1] else "contract"
    if m := _YEAR_RE.fullmatch(s):
        return m[1]
    return None


def label_bounds(label: str, settings: Settings | None = None) -> tuple[date, date] | None:
    """(first day, last day) of a canonical label from :func:`normalize_label`; None when it has none."""
    try:
        return _bounds(label, settings or Settings())[:2]
    except PeriodError:
        return None


def parse_as_of(text: str) -> datetime:
    """``2024-05-20``, ``2024-05-20T10:00`` or ``2024-05-20 10:00:00`` (a date alone: end of that day).

    Times are Asia/Shanghai local time; a time with an offset (``+08:00``,
    ``Z``) is converted to it.
    """
    t = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return end_of_day(date.fromisoformat(t))
        value = datetime.fromisoformat(t.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        raise PeriodError(f"--as-of {text}: 应为 2024-05-20 或 2024-05-20T10:00") from None
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return value


def report_due(last: date, settings: Settings, cal) -> date:
    """The day by whose end a report on a period ending ``last`` is due: the ``report_due_workdays``-th working
    day after it (表2 "次周、次月前"; default 1; 0 = ``last`` itself)."""
    n = settings.report_due_workdays
    return cal.add_workdays(last, n) if n else last


def assessment_day(settings: Settings, cal) -> date:
    """The day the service year is assessed (CONTRACT_RULES A): the day the reports on its last week, month and
    quarter are due; the year is assessed once this day is over."""
    return report_due(settings.end, settings, cal)


def parse_period(label: str, settings: Settings | None = None, as_of: datetime | str | None = None, now: datetime | None = None) -> Period:
    """A :class:`Period` from its label; the cut-off defaults to min(end of period, now).

    For the whole service period (``contract``) the default cut-off is instead
    min(end of the :func:`assessment_day`, now): the reports due after the last
    day still count, and once that day is over the year is assessed (B1, 3.1(1)).
    """
    settings = settings or Settings()
    start, end, form, normal = _bounds(label, settings)
    if isinstance(as_of, str):
        as_of = parse_as_of(as_of)
    if as_of is None:
        last = end_of_day(end)
        if form == "contract":
            try:
                last = end_of_day(assessment_day(settings, calendar_for(settings)))
            except CalendarError:
                pass  # the year after the service is not in the calendar yet: cut off at the service end
        as_of = min(last, now or datetime.now().replace(microsecond=0))
    return Period(normal, start, end, as_of, form)


def check_period(period: Period, settings: Settings, kind: str | None = None) -> list[str]:
    """Refuse a period that cannot be computed as asked; return warnings worth a line.

    Raises PeriodError when ``kind`` (weekly, monthly, quarterly, annual) does
    not fit the period's form (a 月报 for a week) or the cut-off falls before
    the period starts (nothing has happened yet); CalendarError when the
    working-day calendar does not cover the days up to the cut-off (the
    on-time and deadline figures need them). Returns a warning when the
    period lies wholly or partly outside the service period.
    """
    if kind is not None and period.form not in KIND_FORMS[kind]:
        forms = "、".join(FORM_EXAMPLES[f] for f in KIND_FORMS[kind])
        raise PeriodError(f"{period.label}: {KIND_ZH[kind]}的期间应为 {forms}，不是{_FORM_ZH[period.form]}")
    if period.as_of < period.start_dt:
        raise PeriodError(f"{period.label}: 统计时点 {period.as_of:%Y-%m-%d %H:%M} 早于期间开始 {period.start}，该期间尚未开始")
    cal = calendar_for(settings)
    last = min(period.end, period.as_of.date())
    for year in range(period.start.year, last.year + 1):
        if not cal.covers(year):
            raise CalendarError(f"{period.label}: 工作日历只有 {cal.describe()} 年的安排；" + ADD_YEAR.format(year=year))
    service = f"服务期 {settings.start} 至 {settings.end}"
    if period.end < settings.start or period.start > settings.end:
        return [f"期间 {period.label}（{period.start} 至 {period.end}）不在{service} 内，合同指标不适用"]
    if period.start < settings.start or period.end > settings.end:
        return [f"期间 {period.label}（{period.start} 至 {period.end}）部分超出{service}，合同指标只计服务期内"]
    return []


_FORM_ZH = {"week": "一周", "month": "一个月", "quarter": "一个季度", "year": "一年", "contract": "整个服务期",
            "contract-quarter": "服务期的一个季度", "range": "自定日期区间"}


def months_in(period: Period) -> list[str]:
    """Labels of the calendar months that overlap the period (``2024-05`` …)."""
    out, d = [], date(period.start.year, period.start.month, 1)
    while d <= period.end:
        out.append(f"{d.year}-{d.month:02d}")
        d = add_months(d, 1)
    return out


def latest_complete_month(today: date, settings: Settings) -> str:
    """The last calendar month that ended before ``today``, clipped to the service period."""
    first = date(today.year, today.month, 1)
    last_end = min(first - timedelta(days=1), settings.end)
    if last_end < settings.start:
        last_end = min(add_months(date(settings.start.year, settings.start.month, 1), 1) - timedelta(days=1), settings.end)
    return f"{last_end.year}-{last_end.month:02d}"
