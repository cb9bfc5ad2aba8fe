"""Document deadlines and lateness (3.7(1), 表2; DATA_CONTRACT 3; CONTRACT_RULES C).

Each purchaser request has a first-draft deadline (the end of the N-th working
day after the request day, N by type and difficulty; or ``deadline_on`` when
given, as for 来文办阅 and 会议材料) and, when comments came back, a revision
deadline (1 working day after the comments, 表2 note 1). Each stage is a task
that can be late (3.7(1): "每项工作任务或每份文件"). An approved extension
(延期报备) is never late. The weekly and monthly reports the service calendar
expects are tasks too (表2 row 5), whether or not the deliverables ledger
holds them. Deadlines count working days (表2 says 工作日); lateness counts
calendar days ("每延迟1天"; ``late_day_basis = "working"`` switches it).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..config import REVISION_DAYS, Settings
from ..dates.calendar import WorkCalendar
from ..dates.periods import Period
from .deliverables import report_slots
from .memo import last_result

STAGE_COLUMNS = ["doc_id", "doc_type", "title", "stage", "deadline", "done_at", "extension"]


def document_stages(docs: pd.DataFrame, settings: Settings, cal: WorkCalendar) -> pd.DataFrame:
    """One row per deadline: the first draft and, where comments came, the revision (in the ledger's order).

    ``deadline`` is NaT when none can be set (来文办阅/会议材料 without
    deadline_on) and when the working-day calendar cannot know it (a request
    in, or a deadline counted into, a year the calendar does not describe;
    :meth:`~sscard_analysis.dates.calendar.WorkCalendar.due_after`): such a
    stage lies outside every period that can be computed, so it is never
    counted late there, and one far-out row does not stop the rest.
    """
    extension = docs["extension_approved"].map(lambda v: v if isinstance(v, bool) else False).astype(bool)
    difficulty = docs["difficulty"].map(lambda v: v if isinstance(v, str) else "中等")
    days = pd.Series([settings.doc_days.get(t, {}).get(d) or None for t, d in zip(docs["doc_type"], difficulty)],
                     index=docs.index, dtype="float64")
    given = pd.to_datetime(docs["deadline_on"])
    first = given.where(given.notna(), cal.due_after(pd.to_datetime(docs["requested_at"]), days))
    revision_at = pd.to_datetime(docs["revision_requested_at"])
    revision = cal.due_after(revision_at, pd.Series(float(REVISION_DAYS), index=docs.index))
    order = pd.RangeIndex(len(docs))
    parts = [
        pd.DataFrame({"doc_id": docs["doc_id"], "doc_type": docs["doc_type"], "title": docs["title"], "stage": "初稿",
                      "deadline": first, "done_at": pd.to_datetime(docs["submitted_at"]), "extension": extension,
                      "_order": order, "_stage": 0}),
        pd.DataFrame({"doc_id": docs["doc_id"], "doc_type": docs["doc_type"], "title": docs["title"], "stage": "修改",
                      "deadline": revision, "done_at": pd.to_datetime(docs["revised_at"]), "extension": extension,
                      "_order": order, "_stage": 1})[revision_at.notna().to_numpy()],
    ]
    out = pd.concat(parts, ignore_index=True).sort_values(["_order", "_stage"], kind="stable")
    return out[STAGE_COLUMNS].reset_index(drop=True)


def report_stages(deliverables: pd.DataFrame, settings: Settings, cal: WorkCalendar) -> pd.DataFrame:
    """The weekly and monthly reports the service calendar expects, as tasks with a deadline (表2 row 5).

    Every ISO week overlapping the service period needs a 周报 and every
    calendar month a 月报, due by the end of the first working day after the
    week or month (``report_due_workdays``; CONTRACT_RULES C). A report never
    submitted is a task still not done: late from its deadline through the
    cut-off (3.7(1), CONTRACT_RULES B11), not only the rows the ledger holds.
    ``doc_id`` names the report (``周报 2024-W18``); which ledger row fills
    which week or month is :func:`~sscard_analysis.measures.deliverables.report_slots`'s rule.
    """
    parts = []
    for kind in ("周报", "月报"):
        slots = report_slots(deliverables, kind, settings, cal)
        parts.append(pd.DataFrame({
            "doc_id": kind + " " + slots["label"], "doc_type": kind,
            "title": slots["report_id"].map(lambda r: f"成果台账 {r}" if isinstance(r, str) else "成果台账无此报告"),
            "stage": "报送", "deadline": slots["deadline"], "done_at": slots["submitted_on"], "extension": False}))
    out = pd.concat(parts, ignore_index=True)[STAGE_COLUMNS]
    for c in ("deadline", "done_at"):
        out[c] = pd.to_datetime(out[c])
    return out


@last_result
def task_stages(docs: pd.DataFrame, deliverables: pd.DataFrame | None, settings: Settings, cal: WorkCalendar) -> pd.DataFrame:
    """Every deadline the team is held to under 3.7(1): purchaser requests and, given the deliverables
    ledger, the weekly and monthly reports of the service calendar. The result is shared: do not modify it."""
    parts = [document_stages(docs, settings, cal)]
    if deliverables is not None:
        parts.append(report_stages(deliverables, settings, cal))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else document_stages(docs, settings, cal)


def _charged_days(first: date, last: date, basis: str, cal: WorkCalendar) -> list[date]:
    if last < first:
        return []
    if basis == "working":
        return cal.workdays_between(first, last)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def lateness(stages: pd.DataFrame, period: Period, basis: str, cal: WorkCalendar) -> pd.DataFrame:
    """Late stages with the late days charged inside the period.

    A stage is late when done (by the cut-off) after its deadline, or still
    not done at the cut-off past its deadline. Late days run from the day
    after the deadline through the day it was done (or the cut-off day): in
    calendar days (``basis="calendar"``, the default: 3.7(1) "每延迟1天") or
    working days (``basis="working"``); a late stage whose span holds no day
    of the basis counts 1 day, on the day it was done. Only days inside the
    period are counted, so months add up to the year.

    Returns columns of ``stages`` plus ``done_eff`` (done by the cut-off),
    ``late_in_period`` (its deadline falls in the period), ``charged`` (the
    dates of the late days inside the period) and ``late_days`` (their number).
    """
    cut = period.as_of
    s = stages[stages["deadline"].notna() & ~stages["extension"] & (stages["deadline"] < cut)].copy()
    s["done_eff"] = s["done_at"].where(s["done_at"] <= cut)
    s = s[s["done_eff"].isna() | (s["done_eff"] > s["deadline"])].copy()
    if s.empty:
        return s.assign(late_in_period=pd.Series(dtype=bool), charged=pd.Series(dtype=object), late_days=pd.Series(dtype=int))
    first_p, last_p = period.start, min(period.end, cut.date())
    charged = []
    for r in s.itertuples():
        first = r.deadline.date() + timedelta(days=1)
        last = r.done_eff.date() if pd.notna(r.done_eff) else cut.date()
        if not _charged_days(first, last, basis, cal):
            charged.append([last] if first_p <= last <= last_p else [])
        else:
            charged.append(_charged_days(max(first, first_p), min(last, last_p), basis, cal))
    s["charged"] = charged
    s["late_days"] = [len(c) for c in charged]
    s["late_in_period"] = (s["deadline"] >= period.start_dt) & (s["deadline"] <= period.end_dt)
    return s


def document_kpis(docs: pd.DataFrame, period: Period, settings: Settings, cal: WorkCalendar,
                  deliverables: pd.DataFrame | None = None) -> dict:
    """The ``documents`` block: ``late`` (late tasks whose deadline falls in the period) and
    ``late_days`` (days of lateness inside the period, from any task), plus the period's requests.

    Tasks are the purchaser's requests and, given ``deliverables``, the weekly and monthly reports the
    service calendar expects (a report never submitted is late from its deadline through the cut-off).
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
