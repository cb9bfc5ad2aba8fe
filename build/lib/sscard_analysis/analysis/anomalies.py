"""Spikes: days and categories whose volume breaks from the working-day baseline, merged into incidents.

表1 #5 asks for 突发问题专报 and 2.(2) 五 for 应急专项工作 (突发系统故障 …):
an outage shows as a run of days on which one or a few categories receive
far more tickets than usual. A (day, category) cell is anomalous when all
three hold:

- its robust z-score on the residual against :func:`.trends.baseline`
  (median of the same kind of day around it; 1.4826 × MAD, at least the
  Poisson √expected) is at least ``z_min``;
- it has at least ``min_excess`` tickets more than expected;
- it has at least ``min_ratio`` × the expected tickets.

The total volume is tested the same way. Anomalous days whose gaps hold only
rest days (a weekend, a holiday) form one incident, with its dates, excess
tickets, the categories that drove it, and the terms over-represented in
those tickets against the same categories' other days.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ..dates.calendar import WorkCalendar
from ..dates.periods import Period
from ..ingest.ledgers import BANK, CATEGORY, RECEIVED_AT
from ..measures.hotline import as_at
from .slices import UNFILLED, apply_filters, labelled
from .topics import distinctive_terms, ticket_terms, typical_examples
from .trends import baseline, daily_table

TOTAL = "（全部）"
"""The group of the total volume in :func:`scan`."""

INCIDENT_COLUMNS = ["incident", "start", "end", "days", "categories", "drivers", "tickets", "expected", "excess", "ratio",
                    "peak_date", "peak_tickets", "peak_z", "terms", "banks", "example"]


def scan(tickets: pd.DataFrame, period: Period, cal: WorkCalendar, by: str = CATEGORY, lookback_days: int = 42,
         window: int = 10, z_min: float = 4.0, min_excess: int = 10, min_ratio: float = 1.5,
         filters: dict | None = None) -> pd.DataFrame:
    """Every (day, group) cell from ``lookback_days`` before the period to its cut-off, with its baseline.

    The baseline uses the days before the period (never before the first
    ticket in the data: days without data are not zero-volume days) and the
    days after each day up to the cut-off. Columns: those of
    :func:`.trends.baseline` plus ``anomalous`` and ``in_period``; the group
    ``（全部）`` is the total volume.
    """
    seen = apply_filters(as_at(tickets, period.as_of), **(filters or {}))
    cols = ["date", "group", "observed", "day_type", "expected", "scale", "residual", "z", "anomalous", "in_period"]
    if seen.empty:
        return pd.DataFrame(columns=cols)
    first_data = seen[RECEIVED_AT].min().date()
    first = max(period.start - timedelta(days=lookback_days), first_data)
    last = min(period.end, period.as_of.date())
    if last < first:
        return pd.DataFrame(columns=cols)
    daily = daily_table(seen, first, last, by, as_of=period.as_of)
    daily = daily.drop(columns=[UNFILLED], errors="ignore")
    daily[TOTAL] = daily_table(seen, first, last, None, as_of=period.as_of)["tickets"]
    b = baseline(daily, cal, window)
    b["anomalous"] = (b["z"] >= z_min) & (b["residual"] >= min_excess) & (b["observed"] >= min_ratio * b["expected"])
    b["in_period"] = (b["date"] >= pd.Timestamp(period.start)) & (b["date"] <= pd.Timestamp(last))
    return b[cols]


def _runs(days: list[pd.Timestamp], cal: WorkCalendar) -> list[list[pd.Timestamp]]:
    """Anomalous days grouped into runs: a gap of rest days only does not break a run."""
    runs: list[list[pd.Timestamp]] = []
    for d in sorted(days):
        if runs:
            prev = runs[-1][-1]
            gap = cal.workdays_in((prev + timedelta(days=1)).date(), (d - timedelta(days=1)).date())
            if gap == 0:
                runs[-1].append(d)
                continue
        runs.append([d])
    return runs


def incidents(tickets: pd.DataFrame, period: Period, cal: WorkCalendar, by: str = CATEGORY, filters: dict | None = None,
              **thresholds) -> pd.DataFrame:
    """Incidents (突发问题) that touch the period: runs of anomalous days with what drove them.

    Parameters
    ----------
    tickets : prepared tickets (all of them: the days before the period give the baseline).
    period : the period searched; an incident that began before it is reported whole.
    by : the attribute whose groups are tested (业务类别 by default).
    thresholds : ``z_min``, ``min_excess``, ``min_ratio``, ``lookback_days``, ``window`` of :func:`scan`.

    Returns
    -------
    One row per incident, earliest first: ``incident`` (1, 2, …), ``start``,
    ``end`` (first and last anomalous day), ``days`` (calendar days from start
    to end), ``drivers`` (the groups with an anomalous day, largest excess
    first; when only the total was anomalous, the three groups with the
    largest excess), ``categories`` (the drivers with their excess, as
    text), ``tickets`` and ``expected`` (the drivers' tickets on the
    incident's days and the baseline's expectation), ``excess`` (tickets above
    the baseline, summed over those days and drivers), ``ratio``
    (tickets ÷ expected), ``peak_date``/``peak_tickets``/``peak_z`` (the
    drivers' busiest day), ``terms`` (over-represented in the incident's
    tickets), ``banks`` (the banks named most often in them) and ``example``
    (a representative ticket, masked).
    """
    b = scan(tickets, period, cal, by, filters=filters, **thresholds)
    if b.empty or not b["anomalous"].any():
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    seen = apply_filters(as_at(tickets, period.as_of), **(filters or {}))
    seen_day = seen[RECEIVED_AT].dt.normalize()
    groups = labelled(seen[by])
    rows = []
    for run in _runs(list(b.loc[b["anomalous"], "date"].unique()), cal):
        if not any(period.start <= d.date() <= period.end for d in run):
            continue
        start, end = run[0], run[-1]
        cells = b[(b["date"] >= start) & (b["date"] <= end) & (b["group"] != TOTAL)]
        flagged = cells[cells["anomalous"]]
        excess_by = cells.assign(pos=cells["residual"].clip(lower=0)).groupby("group")["pos"].sum()
        if len(flagged):
            drivers = list(excess_by[flagged["group"].unique()].sort_values(ascending=False).index)
        else:
            drivers = list(excess_by.sort_values(ascending=False).head(3).index)
        mine = cells[cells["group"].isin(drivers)]
        observed, expected = int(mine["observed"].sum()), float(mine["expected"].sum())
        daily = mine.groupby("date").agg(observed=("observed", "sum"), z=("z", "max"))
        peak = daily["observed"].idxmax()
        in_run = (seen_day >= start) & (seen_day <= end)
        target = seen[in_run & groups.isin(drivers)]
        reference = seen[~in_run & groups.isin(drivers) & (seen_day >= b["date"].min())]
        terms = distinctive_terms(ticket_terms(target), ticket_terms(reference), top=5)
        banks = labelled(target[BANK]) if BANK in target else pd.Series(dtype=object)
        banks = banks[banks != UNFILLED].value_counts().head(3)
        rows.append({
            "start": start.date(), "end": end.date(), "days": (end - start).days + 1,
            "categories": "、".join(f"{g}（+{excess_by[g]:,.0f}）" for g in drivers), "drivers": drivers,
            "tickets": observed, "expected": round(expected, 1), "excess": round(observed - expected, 1),
            "ratio": observed / expected if expected else np.nan,
            "peak_date": peak.date(), "peak_tickets": int(daily.loc[peak, "observed"]), "peak_z": float(daily.loc[peak, "z"]),
            "terms": "、".join(terms["term"]), "banks": "、".join(f"{k}（{v}）" for k, v in banks.items()),
            "example": next(iter(typical_examples(target, 1)), ""),
        })
    out = pd.DataFrame(rows, columns=INCIDENT_COLUMNS[1:])
    out.insert(0, "incident", range(1, len(out) + 1))
    return out
