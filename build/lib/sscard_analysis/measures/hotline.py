"""Ticket KPIs: on-time closure and satisfaction (1.3, 2.4, 表1 #5–6; DATA_CONTRACT 3).

The contract KPIs are about channel 12345热线; other channels are reported
beside them. 无效, 重复 and 退单 tickets leave every rate and are counted as
excluded. Every function is pure: frames in, new values out.
"""

from __future__ import annotations

import pandas as pd

from ..config import Settings
from ..dates.calendar import WorkCalendar
from ..dates.periods import Period
from ..ingest.ledgers import (
    APPEAL,
    CHANNEL,
    CLOSED_AT,
    DUE_AT,
    DUE_COMPUTED,
    EXCLUDED_STATUSES,
    HOTLINE,
    RECEIVED_AT,
    SATISFACTION_COL,
    STATUS,
    TICKET_ID,
    TICKET_TYPE,
)

KPI_COLUMNS = [TICKET_ID, CHANNEL, RECEIVED_AT, TICKET_TYPE, STATUS, DUE_AT, CLOSED_AT, SATISFACTION_COL, APPEAL]
_CATEGORICAL = [CHANNEL, TICKET_TYPE, STATUS, SATISFACTION_COL, APPEAL]


def prepare_tickets(tickets: pd.DataFrame, settings: Settings, cal: WorkCalendar, columns: list[str] | None = None) -> pd.DataFrame:
    """A narrow copy of the tickets with every ``due_at`` filled.

    Keeps ``columns`` (default: those the KPIs use), with the enumerations as
    categoricals so that filtering a year of tickets stays cheap.

    An empty due_at is computed from received_at: 23:59:59 of the N-th working
    day after the day of receipt (the day of receipt never counts), N from
    ``settings.due_days`` by ticket type. ``due_computed`` marks computed ones.
    A 延期 ticket's due_at already holds the extended deadline.
    """
    out = tickets[columns or KPI_COLUMNS].copy()
    for c in _CATEGORICAL:
        if c in out:
            out[c] = out[c].astype("category")
    missing = out[DUE_AT].isna()
    out[DUE_COMPUTED] = missing
    if missing.any():
        days = out.loc[missing, TICKET_TYPE].map(settings.due_days)
        out.loc[missing, DUE_AT] = cal.due_after(out.loc[missing, RECEIVED_AT], days)
    return out


def as_at(tickets: pd.DataFrame, as_of) -> pd.DataFrame:
    """The tickets as they stood at the cut-off: later receipts dropped, later closures reopened."""
    seen = tickets[tickets[RECEIVED_AT] <= as_of].copy()
    seen[CLOSED_AT] = seen[CLOSED_AT].where(seen[CLOSED_AT] <= as_of)
    return seen


def counted(tickets: pd.DataFrame) -> pd.DataFrame:
    """Tickets that enter rates: not 无效, 重复 or 退单."""
    return tickets[~tickets[STATUS].isin(EXCLUDED_STATUSES)]


def on_time(tickets: pd.DataFrame, period: Period) -> dict:
    """On-time closure over tickets due in the period (A1; DATA_CONTRACT 3).

    ``tickets_due`` = counted tickets whose due_at falls in the period and not
    after the cut-off; ``closed_on_time`` = those with closed_at <= due_at by
    the cut-off; a ticket due in the window and still open counts as late.
    Returns the counts and ``on_time_rate``, a fraction in [0, 1] (None when
    nothing was due). Expects :func:`as_at` tickets.
    """
    t = counted(tickets)
    due = t[(t[DUE_AT] >= period.start_dt) & (t[DUE_AT] <= period.end_dt)]
    ok = int((due[CLOSED_AT].notna() & (due[CLOSED_AT] <= due[DUE_AT])).sum())
    n = len(due)
    return {"tickets_due": n, "closed_on_time": ok, "on_time_rate": ok / n if n else None}


def overdue_open(tickets: pd.DataFrame, as_of) -> pd.DataFrame:
    """Counted tickets open at the cut-off whose due_at is at or before it, whatever period they were due in.

    A ticket due at 23:59:59 of the cut-off day and still open at that instant
    has used its whole window (DATA_CONTRACT 3), so every ticket due in a
    period and not closed on time is either here or closed late: the lists
    reconcile with the on-time rate.
    """
    t = counted(tickets)
    return t[t[CLOSED_AT].isna() & (t[DUE_AT] <= as_of)]


def satisfaction(tickets: pd.DataFrame, period: Period, basic_counts: bool = True) -> dict:
    """Satisfaction over tickets closed in the period (A2; DATA_CONTRACT 3).

    rate = (满意 + 基本满意) / (满意 + 基本满意 + 不满意); with ``basic_counts``
    False, 基本满意 stays in the denominator only. A 不满意 whose appeal is
    申诉成功 leaves numerator and denominator; 申诉中 and 申诉失败 count as
    不满意. ``rated`` is the denominator; the rate is None when it is 0.
    """
    t = counted(tickets)
    closed = t[(t[CLOSED_AT] >= period.start_dt) & (t[CLOSED_AT] <= period.end_dt)]
    s, appeal = closed[SATISFACTION_COL], closed[APPEAL]
    upheld = (s == "不满意") & (appeal == "申诉成功")
    sat = int((s == "满意").sum())
    basic = int((s == "基本满意").sum())
    unsat = int(((s == "不满意") & ~upheld).sum())
    rated = sat + basic + unsat
    good = sat + (basic if basic_counts else 0)
    return {
        "rated": rated,
        "satisfied": good,
        "very_satisfied": sat,
        "basically_satisfied": basic,
        "dissatisfied": unsat,
        "appeals_upheld": int(upheld.sum()),
        "closed": len(closed),
        "satisfaction_rate": good / rated if rated else None,
    }


def received(tickets: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Tickets received in the period (by the cut-off), excluded statuses included."""
    return tickets[(tickets[RECEIVED_AT] >= period.start_dt) & (tickets[RECEIVED_AT] <= period.end_dt)]


def hotline_kpis(tickets: pd.DataFrame, period: Period, basic_counts: bool = True) -> dict:
    """The ``hotline`` block of ``sscard kpi`` for prepared tickets (all channels in, 12345 used)."""
    seen = as_at(tickets, period.as_of)
    hot = seen[seen[CHANNEL] == HOTLINE]
    rec = received(hot, period)
    out = {
        "tickets_received": len(rec),
        "excluded": int(rec[STATUS].isin(EXCLUDED_STATUSES).sum()),
        **on_time(hot, period),
        "overdue_open": len(overdue_open(hot, period.as_of)),
    }
    sat = satisfaction(hot, period, basic_counts)
    out["satisfaction_rate"] = sat.pop("satisfaction_rate")
    out["rated"] = sat.pop("rated")
    out.update(sat)
    return out


def channel_kpis(tickets: pd.DataFrame, period: Period, basic_counts: bool = True) -> tuple[dict, dict]:
    """(``all_channels`` block, ``by_channel`` {channel: received}) for prepared tickets."""
    seen = as_at(tickets, period.as_of)
    rec = received(seen, period)
    by_channel = {str(k): int(v) for k, v in rec[CHANNEL].value_counts().items() if v}
    block = {
        "tickets_received": len(rec),
        "excluded": int(rec[STATUS].isin(EXCLUDED_STATUSES).sum()),
        **on_time(seen, period),
        "overdue_open": len(overdue_open(seen, period.as_of)),
        "satisfaction_rate": satisfaction(seen, period, basic_counts)["satisfaction_rate"],
    }
    return block, dict(sorted(by_channel.items(), key=lambda kv: -kv[1]))
