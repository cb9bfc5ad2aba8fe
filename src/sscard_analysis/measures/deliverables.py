"""Scheduled reports: what the service calendar expects and which rows of 成果台账 fill it.

表1 asks for reports on a schedule: 工单报告 (#6) and 巡检报告 (#9), one per
service quarter (≥ 4 a year); 周报 (#10, ≥ 50 a year), one per week; 月报
(#10, ≥ 12 a year) and 应用案例分析报告 (#13, "每月形成分析报告"), one per
month. Each expected report is a *slot*: every ISO week, calendar month or
service quarter that overlaps the service period. A slot's report is due by
the end of the ``report_due_workdays``-th working day after the period it
covers (表2 row 5 "次周、次月前"; CONTRACT_RULES A and C), so a report not yet
due is never "missing".

Only the deliverables ledger counts as submission (DATA_CONTRACT 2): a file
``sscard`` rendered is not a report handed to the purchaser.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from ..config import Settings, add_months
from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import label_bounds, normalize_label, report_due, service_quarters

WEEK, MONTH, QUARTER = "week", "month", "quarter"
SCHEDULES = {"工单报告": QUARTER, "巡检报告": QUARTER, "周报": WEEK, "月报": MONTH, "应用案例分析报告": MONTH}
SLOT_COLUMNS = ["label", "first", "last", "deadline", "submitted_on", "report_id"]


def report_deadline(last: date, settings: Settings, cal: WorkCalendar) -> pd.Timestamp:
    """The end of the ``report_due_workdays``-th working day after ``last`` (0: the end of ``last`` itself)."""
    return pd.Timestamp(end_of_day(report_due(last, settings, cal)))


def expected_reports(kind: str, settings: Settings, cal: WorkCalendar) -> pd.DataFrame:
    """The slots of a scheduled report ``kind`` over the service period: label, first, last (the period it
    covers, unclipped) and deadline."""
    start, end = settings.start, settings.end
    spans: list[tuple[str, date, date]] = []
    if SCHEDULES[kind] == WEEK:
        monday = start - timedelta(days=start.weekday())
        while monday <= end:
            y, w, _ = monday.isocalendar()
            spans.append((f"{y}-W{w:02d}", monday, monday + timedelta(days=6)))
            monday += timedelta(days=7)
    elif SCHEDULES[kind] == MONTH:
        m = date(start.year, start.month, 1)
        while m <= end:
            spans.append((f"{m.year}-{m.month:02d}", m, add_months(m, 1) - timedelta(days=1)))
            m = add_months(m, 1)
    else:
        spans = service_quarters(settings)
    out = pd.DataFrame(spans, columns=["label", "first", "last"])
    # Vectorised report_deadline; a deadline past the known calendar is NaT (after every period the calendar
    # covers), so a service running into a year without its schedule still computes the periods before it.
    last = pd.Series(pd.to_datetime(out["last"]), index=out.index)
    n = settings.report_due_workdays
    out["deadline"] = cal.due_after(last, pd.Series(n, index=out.index)) if n else last + pd.Timedelta(seconds=86399)
    return out


def report_slots(deliverables: pd.DataFrame, kind: str, settings: Settings, cal: WorkCalendar,
                 as_of: datetime | None = None) -> pd.DataFrame:
    """Each slot of ``kind`` with the earliest report that fills it (submitted by ``as_of``).

    A row fills the slot its ``covers`` names (any usual form, normalised);
    a ``covers`` of another granularity fills the slot holding the covered
    period's last day, and one outside the service fills none. A row that
    names no readable period fills the earliest slot still open that had
    begun by its submission day (a weekly report handed in on Monday fills
    the week before). Returns :data:`SLOT_COLUMNS`; ``submitted_on`` and
    ``report_id`` are empty for a slot no report fills.
    """
    slots = expected_reports(kind, settings, cal)
    slots["submitted_on"] = pd.Series(pd.NaT, index=slots.index, dtype="datetime64[ns]")
    slots["report_id"] = pd.Series(None, index=slots.index, dtype=object)
    rows = deliverables[deliverables["kind"] == kind]
    if as_of is not None:
        rows = rows[rows["submitted_on"] <= pd.Timestamp(as_of)]
    if rows.empty or slots.empty:
        return slots
    index = {label: i for i, label in enumerate(slots["label"])}
    lasts = [pd.Timestamp(b) for b in slots["last"]]
    firsts = [pd.Timestamp(a) for a in slots["first"]]
    filled: dict[int, list[tuple[pd.Timestamp, str]]] = {}
    pending = []
    for r in rows.sort_values(["submitted_on", "deliverable_id"]).itertuples(index=False):
        label = normalize_label(r.covers)
        if label is None:
            pending.append(r)
            continue
        bounds = label_bounds(label, settings)
        if label in index:
            slot = index[label]
        elif bounds is not None:
            slot = next((i for i, (a, b) in enumerate(zip(firsts, lasts)) if a <= pd.Timestamp(bounds[1]) <= b), None)
        else:
            slot = None
        if slot is not None:
            filled.setdefault(slot, []).append((r.submitted_on, r.deliverable_id))
    for r in pending:
        slot = next((i for i, a in enumerate(firsts) if i not in filled and a <= r.submitted_on), None)
        if slot is not None:
            filled[slot] = [(r.submitted_on, r.deliverable_id)]
    for i, reports in filled.items():
        when, rid = min(reports)
        slots.at[i, "submitted_on"] = when
        slots.at[i, "report_id"] = rid
    return slots
