"""Document deadlines and lateness (3.7(1), 表2; DATA_CONTRACT 3; CONTRACT_RULES C).

Each purchaser request has a first-draft deadline (the end of the N-th working
day after the request day, N by type and difficulty; or ``deadline_on`` when
given, as for 来文办阅 and 会议材料) and, when comments came back, a revision
deadline (1 working day after the comments, 表2 note 1). Each stage is a task
that can be late (3.7(1): "每项工作任务或每份文件"). An approved extension
(延期报备) is never late.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from ..config import REVISION_DAYS, Settings, add_months
from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import Period

STAGE_COLUMNS = ["doc_id", "doc_type", "title", "stage", "deadline", "done_at", "extension"]


def document_stages(docs: pd.DataFrame, settings: Settings, cal: WorkCalendar) -> pd.DataFrame:
    """One row per deadline: the first draft and, where comments came, the revision.

    ``deadline`` is NaT when none can be set (来文办阅/会议材料 without deadline_on).
    """
    rows = []
    for d in docs.itertuples(index=False):
        extension = bool(d.extension_approved) if isinstance(d.extension_approved, bool) else False
        if pd.notna(d.deadline_on):
            deadline = d.deadline_on
        else:
            days = settings.doc_days.get(d.doc_type, {}).get(d.difficulty if isinstance(d.difficulty, str) else "中等")
            deadline = pd.Timestamp(end_of_day(cal.add_workdays(d.requested_at.date(), days))) if days else pd.NaT
        rows.append((d.doc_id, d.doc_type, d.title, "初稿", deadline, d.submitted_at, extension))
        if pd.notna(d.revision_requested_at):
            rdeadline = pd.Timestamp(end_of_day(cal.add_workdays(d.revision_requested_at.date(), REVISION_DAYS)))
            rows.append((d.doc_id, d.doc_type, d.title, "修改", rdeadline, d.revised_at, extension))
    out = pd.DataFrame(rows, columns=STAGE_COLUMNS)
    for c in ("deadline", "done_at"):
        out[c] = pd.to_datetime(out[c])
    return out


def report_stages(deliverables: pd.DataFrame, cal: WorkCalendar) -> pd.DataFrame:
    """Weekly and monthly reports as tasks with a deadline (表2 row 5 "次周、次月前").

    A 周报 covering ``2024-W18`` or a 月报 covering ``2024-05`` is due by the
    end of the first working day after that week or month (CONTRACT_RULES C).
    Rows without a readable ``covers`` have no deadline and are left out.
    """
    rows = []
    d = deliverables[deliverables["kind"].isin(["周报", "月报"]) & deliverables["covers"].notna()]
    for r in d.itertuples(index=False):
        last = _period_end(str(r.covers).strip())
        if last is None:
            continue
        deadline = pd.Timestamp(end_of_day(cal.add_workdays(last, 1)))
        rows.append((r.deliverable_id, r.kind, r.title, "报送", deadline, r.submitted_on, False))
    out = pd.DataFrame(rows, columns=STAGE_COLUMNS)
    for c in ("deadline", "done_at"):
        out[c] = pd.to_datetime(out[c])
    return out


def _period_end(covers: str) -> date | None:
    if m := re.fullmatch(r"(\d{4})-?W(\d{1,2})", covers, re.I):
        try:
            return date.fromisocalendar(int(m[1]), int(m[2]), 7)
        except ValueError:
            return None
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", covers):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12:
            return add_months(date(y, mo, 1), 1) - timedelta(days=1)
    return None


def task_stages(docs: pd.DataFrame, deliverables: pd.DataFrame | None, settings: Settings, cal: WorkCalendar) -> pd.DataFrame:
    """Every deadline the team is held to under 3.7(1): purchaser requests and weekly/monthly reports."""
    parts = [document_stages(docs, settings, cal)]
    if deliverables is not None and len(deliverables):
        parts.append(report_stages(deliverables, cal))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else document_stages(docs, settings, cal)


def _days(first: date, last: date, basis: str, cal: WorkCalendar) -> int:
    if last < first:
        return 0
    return cal.workdays_in(first, last) if basis == "working" else (last - first).days + 1


def lateness(stages: pd.DataFrame, period: Period, basis: str, cal: WorkCalendar) -> pd.DataFrame:
    """Late stages with their late days inside the period.

    A stage is late when done (by the cut-off) after its deadline, or still
    not done at the cut-off past its deadline. Late days count from the day
    after the deadline through the day it was done (or the cut-off day), in
    working days (``basis="working"``) or calendar days; a late stage whose
    span holds no working day counts 1 day, on the day it was done. Only days
    inside the period are counted, so months add up to the year.

    Returns columns of ``stages`` plus ``late_in_period`` (its deadline falls
    in the period) and ``late_days`` (days inside the period).
    """
    cut = period.as_of
    s = stages[stages["deadline"].notna() & ~stages["extension"] & (stages["deadline"] < cut)].copy()
    s["done_eff"] = s["done_at"].where(s["done_at"] <= cut)
    s = s[s["done_eff"].isna() | (s["done_eff"] > s["deadline"])].copy()
    if s.empty:
        return s.assign(late_in_period=pd.Series(dtype=bool), late_days=pd.Series(dtype=int))
    first_p, last_p = period.start, min(period.end, cut.date())
    late_days = []
    for r in s.itertuples():
        first = r.deadline.date() + timedelta(days=1)
        last = r.done_eff.date() if pd.notna(r.done_eff) else cut.date()
        total = _days(first, last, basis, cal)
        if total == 0:
            late_days.append(1 if first_p <= last <= last_p else 0)
        else:
            late_days.append(_days(max(first, first_p), min(last, last_p), basis, cal))
    s["late_days"] = late_days
    s["late_in_period"] = (s["deadline"] >= period.start_dt) & (s["deadline"] <= period.end_dt)
    return s


def document_kpis(docs: pd.DataFrame, period: Period, settings: Settings, cal: WorkCalendar,
                  deliverables: pd.DataFrame | None = None) -> dict:
    """The ``documents`` block: ``late`` (late tasks whose deadline falls in the period) and
    ``late_days`` (days of lateness inside the period, from any task), plus the period's requests.

    Tasks are the purchaser's requests and, given ``deliverables``, the weekly and monthly reports.
    """
    stages = task_stages(docs, deliverables, settings, cal)
    late = lateness(stages, period, settings.late_day_basis, cal)
    requested = docs[(docs["requested_at"] >= period.start_dt) & (docs["requested_at"] <= period.end_dt)]
    return {
        "requested": len(requested),
        "late": int(late["late_in_period"].sum()),
        "late_days": int(late["late_days"].sum()),
        "no_deadline": int(stages["deadline"].isna().sum()),
    }
