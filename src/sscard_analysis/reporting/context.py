"""What one report is about: its kind, period, data, KPIs and the previous period's, and how it is filed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from ..config import add_months
from ..contract.kpi import compute_kpis
from ..dates.calendar import WorkCalendar, calendar_for
from ..dates.periods import Period, parse_period
from ..ingest.reader import DataSet, load
from ..measures.hotline import (
    KPI_COLUMNS,
    as_at,
    prepare_tickets,
    received,
)
from . import charts

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

    @property
    def title(self) -> str:
        return f"广州市社会保障卡服务项目{KINDS[self.kind]}（{period_title(self.period)}）"


def generation_time() -> datetime:
    """Now, or the time in ``SOURCE_DATE_EPOCH`` (reproducible builds) as Asia/Shanghai local time.

    Document packages set it so that the same inputs give byte-identical reports.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return datetime.now().replace(microsecond=0)


def period_title(p: Period) -> str:
    """``2024年5月``, ``2024年第18周（4月29日—5月5日）``, ``2024年第二季度`` …"""
    label = p.label
    span = f"{p.start.year}年{p.start.month}月{p.start.day}日至{p.end.year}年{p.end.month}月{p.end.day}日"
    if label.lower() == "contract":
        return f"服务期，{span}"
    if label.lower().startswith("contract-q"):
        return f"服务期第{'一二三四'[int(label[-1]) - 1]}季度，{span}"
    if "-W" in label:
        y, w = label.split("-W")
        return f"{y}年第{int(w)}周（{p.start.month}月{p.start.day}日—{p.end.month}月{p.end.day}日）"
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
    """Load the data folder and compute the period's KPIs and the previous period's."""
    if kind not in KINDS:
        raise ValueError(f"report kind must be one of {sorted(KINDS)}")
    charts.use_cjk_font()
    ds = load(Path(data_dir))
    p = parse_period(period, ds.settings, as_of or None)
    cal = calendar_for(ds.settings)
    kpis = compute_kpis(ds, p)
    prev = previous_period(p, kind, ds.settings)
    # No comparison with a period before the service started (there is nothing to compare with).
    prev_kpis = compute_kpis(ds, prev, contract=False) if prev.end >= ds.settings.start else None
    if prev_kpis is None:
        prev = None
    tickets = prepare_tickets(ds["tickets"], ds.settings, cal, REPORT_COLUMNS)
    return ReportContext(kind, ds, p, kpis, prev, prev_kpis, tickets, cal)


def report_filename(kind: str, period_label: str, ext: str) -> str:
    """How the office files a report: ``社保卡服务月报_2024-05.pdf``."""
    return f"社保卡服务{KINDS[kind]}_{period_label}.{ext}"


def received_in(ctx: ReportContext, period: Period | None = None) -> pd.DataFrame:
    """Tickets of every channel received in the period (the report's own by default), as at its cut-off."""
    p = period or ctx.period
    return received(as_at(ctx.tickets, p.as_of), p)
