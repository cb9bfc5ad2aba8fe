"""What one report is about: its kind, period, data, KPIs and the previous period's, and how it is filed."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from ..config import add_months
from ..contract.kpi import compute_kpis
from ..contract.penalties import compute_penalties
from ..dates.calendar import CalendarError, WorkCalendar, calendar_for
from ..dates.periods import Period, parse_period
from ..ingest.reader import DataSet, load
from ..measures.hotline import (
    KPI_COLUMNS,
    as_at,
    prepare_tickets,
    received,
)

KINDS = {"weekly": "周报", "monthly": "月报", "quarterly": "季报", "annual": "年报"}
REPORT_COLUMNS = KPI_COLUMNS + ["category", "district", "bank", "handler", "content", "citizen_name"]


@dataclass
class ReportContext:
    """Everything one report shows: the data, the period, its KPIs and the previous period's."""

    kind: str
    ds: DataSet
    period: Period
    kpis: dict
    previous: Period | None
    previous_kpis: dict | None
    tickets: pd.DataFrame
    cal: WorkCalendar
    generated_at: datetime = field(default_factory=lambda: generation_time())
    _received: dict = field(default_factory=dict, repr=False, compare=False)  # received_in per period, computed once

    @property
    def name(self) -> str:
        """The report's name without the period: ``广州市社会保障卡服务项目月报``."""
        return f"{PROJECT}{KINDS[self.kind]}"

    @property
    def title(self) -> str:
        """One line, brackets never nested: ``广州市社会保障卡服务项目周报（2024年第19周，5月6日—5月12日）``."""
        return f"{self.name}（{period_title(self.period)}）"

    @property
    def issue_number(self) -> int:
        """期号: the report's ordinal among the service period's reports of its kind (the first month is 第1期)."""
        return issue_number(self.kind, self.period, self.ds.settings)

    @property
    def due_date(self) -> date:
        """报送日期: the first working day after the period (表2 "次周、次月前"), or the next day past the known calendar."""
        try:
            return self.cal.add_workdays(self.period.end, 1)
        except CalendarError:
            return self.period.end + timedelta(days=1)


PROJECT = "广州市社会保障卡服务项目"


def issue_number(kind: str, p: Period, settings) -> int:
    """The ordinal of the period among the service's periods of ``kind`` (weeks counted from the week the service starts)."""
    start = settings.start
    if kind == "weekly":
        first_monday = start - timedelta(days=start.weekday())
        return max(1, (p.start - first_monday).days // 7 + 1)
    if kind == "monthly":
        return max(1, (p.start.year - start.year) * 12 + p.start.month - start.month + 1)
    if kind == "quarterly":
        months = (p.start.year - start.year) * 12 + p.start.month - start.month
        return max(1, months // 3 + 1)
    return 1  # the service year has one annual report


def generation_time() -> datetime:
    """Now, or the time in ``SOURCE_DATE_EPOCH`` (reproducible builds) as Asia/Shanghai local time.

    Document packages set it so that the same inputs give byte-identical reports.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return datetime.now().replace(microsecond=0)


def period_title(p: Period) -> str:
    """``2024年5月``, ``2024年第18周，4月29日—5月5日``, ``2024年第二季度`` … (no brackets: the title adds them)."""
    label = p.label
    span = f"{p.start.year}年{p.start.month}月{p.start.day}日至{p.end.year}年{p.end.month}月{p.end.day}日"
    if label.lower() == "contract":
        return f"服务期，{span}"
    if label.lower().startswith("contract-q"):
        return f"服务期第{'一二三四'[int(label[-1]) - 1]}季度，{span}"
    if "-W" in label:
        y, w = label.split("-W")
        return f"{y}年第{int(w)}周，{p.start.month}月{p.start.day}日—{p.end.month}月{p.end.day}日"
    if "-Q" in label and not label.startswith("contract"):
        y, q = label.split("-Q")
        return f"{y}年第{'一二三四'[int(q) - 1]}季度"
    if len(label) == 7 and label[4] == "-":
        return f"{label[:4]}年{int(label[5:])}月"
    if len(label) == 4 and label.isdigit():
        return f"{label}年"
    return span


def previous_period(p: Period, kind: str, settings) -> Period:
    """The period before ``p`` of the same length (last week, month, quarter or year)."""
    if kind == "weekly":
        start = p.start - timedelta(days=7)
        end = p.start - timedelta(days=1)
    elif kind == "monthly":
        start, end = add_months(p.start, -1), p.start - timedelta(days=1)
    elif kind == "quarterly":
        start, end = add_months(p.start, -3), p.start - timedelta(days=1)
    else:
        start, end = add_months(p.start, -12), p.start - timedelta(days=1)
    return Period(f"{start}..{end}", start, end, datetime.combine(end, datetime.max.time()).replace(microsecond=0))


def build_context(kind: str, period: str, data_dir: str | Path, as_of: str | None = None) -> ReportContext:
    """Load the data folder and compute the period's KPIs and the previous period's.

    In a report's kernel the context ``sscard report`` has just built for
    these very arguments is used instead (:func:`adopt`): the data are read
    and the KPIs computed once per report, and the notebook shows exactly
    what the Excel workbook and the fingerprint were made from.
    """
    if kind not in KINDS:
        raise ValueError(f"report kind must be one of {sorted(KINDS)}")
    handed = _handed.pop(_handover_key(kind, period, data_dir, as_of), None)
    if handed is not None:
        return handed
    return context_for(kind, load(Path(data_dir)), period, as_of)


_handed: dict[tuple, ReportContext] = {}  # at most one: the context of the report about to run in this kernel


def _handover_key(kind: str, period: str, data_dir: str | Path, as_of: str | None) -> tuple:
    return kind, str(period), str(Path(data_dir).resolve()), as_of or ""


def hand_over(ctx: ReportContext, data_dir: str | Path, as_of: str | None, path: Path) -> None:
    """Save a built context for the report's kernel (:func:`adopt`), private to the user (0600).

    The file holds the data as read, personal data included, like the parse
    cache: the runner puts it beside that cache and deletes it as soon as the
    kernel has read it.
    """
    key = _handover_key(ctx.kind, ctx.period.label, data_dir, as_of)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        pickle.dump((key, ctx), f, protocol=pickle.HIGHEST_PROTOCOL)


def adopt(path: str | Path) -> None:
    """In a report's kernel: take the context saved by :func:`hand_over` (and delete the file) for the next
    :func:`build_context` with the same kind, period label, data folder and cut-off. It replaces any earlier one."""
    _handed.clear()  # first: if this one cannot be taken, no earlier report's context is left to be used
    _adopted.clear()
    path = Path(path)
    try:
        with path.open("rb") as f:
            key, ctx = pickle.load(f)
    finally:
        path.unlink(missing_ok=True)
    _handed[key] = ctx
    _adopted[:] = [ctx]


_adopted: list[ReportContext] = []  # the context this kernel took last (its workbook is written from it)


def adopted() -> ReportContext | None:
    """The context this kernel took last with :func:`adopt`, or None."""
    return _adopted[0] if _adopted else None


def context_for(kind: str, ds: DataSet, period: str, as_of: str | None = None) -> ReportContext:
    """The report context of an already loaded data set.

    The previous period (same length, just before) gets the section-4 KPIs
    and the deductions charged in it (B1 and the turnover rules B9/B10 are
    settled on the whole service only, so no indicators are needed there);
    a previous period wholly before the service start has none.
    """
    p = parse_period(period, ds.settings, as_of or None)
    cal = calendar_for(ds.settings)
    kpis = compute_kpis(ds, p)
    prev = previous_period(p, kind, ds.settings)
    # No comparison with a period before the service started (there is nothing to compare with).
    prev_kpis = compute_kpis(ds, prev, contract=False) if prev.end >= ds.settings.start else None
    if prev_kpis is None:
        prev = None
    else:
        pen = compute_penalties(ds, prev, {}, cal)
        prev_kpis["penalties"] = {"total_yuan": pen["total_yuan"], "items": pen["items"]}
    tickets = prepare_tickets(ds["tickets"], ds.settings, cal, REPORT_COLUMNS)
    return ReportContext(kind, ds, p, kpis, prev, prev_kpis, tickets, cal)


def report_filename(kind: str, period_label: str, ext: str) -> str:
    """How the office files a report: ``社保卡服务月报_2024-05.pdf``."""
    return f"社保卡服务{KINDS[kind]}_{period_label}.{ext}"


def received_in(ctx: ReportContext, period: Period | None = None) -> pd.DataFrame:
    """Tickets of every channel received in the period (the report's own by default), as at its cut-off.

    Computed once per period and shared by every section: callers must not modify the frame.
    """
    p = period or ctx.period
    key = (p.start, p.end, p.as_of)
    if key not in ctx._received:
        ctx._received[key] = received(as_at(ctx.tickets, p.as_of), p)
    return ctx._received[key]
