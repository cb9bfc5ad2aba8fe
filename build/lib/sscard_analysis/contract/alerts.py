"""Early warnings: tickets near their deadline, documents due, indicators at risk, flags.

Open tickets are placed in bands by the share of their working-day window
already used (the nearing-SLA view): 50–75%, 75–85%, 85–95%, > 95%, and
overdue. Time is measured in working time: a working day counts in full
(24 h), a rest day not at all, so a ticket received on Friday evening and due
Monday night has used little of its window over the weekend.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from ..dates.calendar import WorkCalendar, calendar_for, end_of_day
from ..dates.periods import Period
from ..ingest.reader import DataSet
from ..measures.documents import document_stages
from ..measures.hotline import KPI_COLUMNS, as_at, counted, prepare_tickets
from ..privacy import mask_person, scrub_text
from .kpi import compute_kpis

BANDS = [(0.50, "50–75%"), (0.75, "75–85%"), (0.85, "85–95%"), (0.95, ">95%")]
OVERDUE = "已逾期"
BAND_ORDER = [OVERDUE, ">95%", "85–95%", "75–85%", "50–75%"]


def working_time(ts: pd.Series, cal: WorkCalendar) -> np.ndarray:
    """Working days elapsed from the calendar's first day to each instant (fractional)."""
    days = ts.dt.normalize().values.astype("datetime64[D]").astype(np.int64)
    before = np.searchsorted(cal._workday_ordinals, days, side="left")
    is_work = np.isin(days, cal._workday_ordinals)
    frac = ((ts - ts.dt.normalize()).dt.total_seconds() / 86400).to_numpy()
    return before + np.where(is_work, frac, 0.0)


def ticket_alerts(tickets: pd.DataFrame, as_of: datetime, cal: WorkCalendar) -> pd.DataFrame:
    """Open counted tickets with ``used`` (share of the working window used) and ``band`` (None below 50%)."""
    t = counted(as_at(tickets, as_of))
    t = t[t["closed_at"].isna() & t["due_at"].notna()].copy()
    if t.empty:
        return t.assign(used=pd.Series(dtype=float), band=pd.Series(dtype=object))
    start = working_time(t["received_at"], cal)
    due = working_time(t["due_at"], cal)
    now = working_time(pd.Series(pd.Timestamp(as_of), index=t.index), cal)
    span = np.maximum(due - start, 1e-9)
    t["used"] = np.clip((now - start) / span, 0, None)
    band = pd.Series(None, index=t.index, dtype=object)
    for floor, label in BANDS:
        band[t["used"] >= floor] = label
    band[t["due_at"] < pd.Timestamp(as_of)] = OVERDUE
    t["band"] = band
    return t[t["band"].notna()].sort_values(["due_at", "ticket_id"])


def _plain(v):
    """JSON-ready: timestamps as text, missing values as None."""
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def default_as_of(settings, now: datetime) -> tuple[datetime, str | None]:
    """The cut-off of ``sscard alerts`` when none is given, and why it is not ``now`` (None when it is).

    Once the service period is over nothing is nearing its deadline any
    more: the alerts are those at the end of the service, which the working-
    day calendar knows, however many years later the command is run.
    """
    end = end_of_day(settings.end)
    if now > end:
        return end, f"服务期已于 {settings.end} 结束，预警按服务期末 {end:%Y-%m-%d %H:%M} 计算（可用 --as-of 指定统计时点）"
    return now, None


def compute_alerts(ds: DataSet, as_of: datetime) -> dict:
    """Everything ``sscard alerts`` shows, at the cut-off ``as_of``."""
    settings = ds.settings
    cal = calendar_for(settings)
    tickets = prepare_tickets(ds["tickets"], settings, cal, KPI_COLUMNS + ["category", "handler"])
    near = ticket_alerts(tickets, as_of, cal)
    cols = ["ticket_id", "channel", "ticket_type", "category", "received_at", "due_at", "used", "band", "handler"]
    near_rows = [{**{c: _plain(v) for c, v in r.items()}, "used": round(float(r["used"]), 3), "handler": mask_person(r["handler"]) or None}
                 for r in near[cols].to_dict("records")]
    today = as_of.date()
    tomorrow = cal.add_workdays(today, 1)
    stages = document_stages(ds["documents"], settings, cal)
    open_docs = stages[stages["deadline"].notna() & ~stages["extension"] & (stages["done_at"].isna() | (stages["done_at"] > as_of))]
    due_soon = open_docs[(open_docs["deadline"].dt.date >= today) & (open_docs["deadline"].dt.date <= tomorrow)]
    # The whole service at the cut-off: a scheduled report not yet due is never at risk, and the reports on
    # the service's last week/month arrive after its end (the indicators are assessed after the assessment day).
    period = Period("contract", settings.start, settings.end, as_of)
    k = compute_kpis(ds, period)
    return {
        "as_of": as_of.isoformat(),
        "tickets": {"by_band": {b: int((near["band"] == b).sum()) for b in BAND_ORDER}, "items": near_rows},
        "documents_due": [{"doc_id": r.doc_id, "doc_type": r.doc_type, "stage": r.stage, "deadline": r.deadline.isoformat(sep=" "),
                           "title": scrub_text(r.title) if isinstance(r.title, str) else ""} for r in due_soon.itertuples()],
        "indicators_at_risk": {c: {"name": i["name"], "status": i["status"], "value": i["value"], "pace_target": i.get("pace_target"),
                                   "p_meet_target": i.get("p_meet_target")}
                               for c, i in k["indicators"].items() if i["status"] in ("at_risk", "missed")},
        "flags": k["flags"],
    }
