"""Volumes and rates over time and by attribute, and a working-day-aware baseline of daily volume.

Counts are tickets received (all channels unless filtered, excluded statuses
included, as the headline's 受理量); rates follow the contract's rules
(DATA_CONTRACT 3): the on-time rate over counted tickets due in the window,
the satisfaction rate over counted tickets closed in the window and rated,
a 不满意 upheld on appeal (申诉成功) leaving numerator and denominator.

The baseline knows the State Council calendar: an adjusted working Saturday
(调休) is compared with working days, a holiday on a weekday with rest days.
"""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd

from ..dates.calendar import WorkCalendar
from ..dates.periods import Period
from ..ingest.ledgers import APPEAL, CLOSED_AT, DUE_AT, RECEIVED_AT, SATISFACTION_COL
from ..measures.hotline import as_at, counted
from .slices import UNFILLED, apply_filters, group_key, select
from .stats import wilson_interval

FREQS = {"day": "日", "week": "周", "month": "月"}
WORKDAY, ADJUSTED_WORKDAY, WEEKEND, HOLIDAY = "工作日", "调休上班日", "周末", "节假日"


def bucket(ts: pd.Series, freq: str) -> pd.Series:
    """The start of each timestamp's day, ISO week (Monday) or month."""
    if freq not in FREQS:
        raise ValueError(f"频率应为 {'、'.join(FREQS)} 之一，而不是“{freq}”")
    day = ts.dt.normalize()
    if freq == "day":
        return day
    if freq == "week":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return day.dt.to_period("M").dt.start_time


def _grid(period: Period, freq: str) -> pd.DatetimeIndex:
    """Every bucket of the period up to its cut-off."""
    last = min(period.end, period.as_of.date())
    days = pd.Series(pd.date_range(period.start, max(last, period.start), freq="D"))
    return pd.DatetimeIndex(bucket(days, freq).unique())


def counts(tickets: pd.DataFrame, period: Period, freq: str = "day", by: str | None = None,
           filters: dict | None = None) -> pd.DataFrame:
    """Tickets received per day, week or month of the period, optionally by one attribute.

    Returns a tidy frame ``bucket`` (start of the day/week/month), ``by``'s
    column when given (``（未填）`` for a missing value) and ``tickets``, with
    a zero for every bucket and group that had none (buckets run up to the
    cut-off). Daily counts add up to the period's count.
    """
    rec = select(tickets, period, **(filters or {}))
    key = bucket(rec[RECEIVED_AT], freq)
    grid = _grid(period, freq)
    if by is None:
        s = key.value_counts().reindex(grid, fill_value=0)
        return pd.DataFrame({"bucket": grid, "tickets": s.to_numpy(dtype=int)})
    groups = group_key(rec, by)
    table = pd.crosstab(key, groups)
    table = table.reindex(grid, fill_value=0)
    table.index.name, table.columns.name = "bucket", by
    out = table.stack().rename("tickets").reset_index()
    out["tickets"] = out["tickets"].astype(int)
    return out


def rating_flags(tickets: pd.DataFrame, period: Period, basic_counts: bool = True) -> pd.DataFrame:
    """Counted tickets closed in the period with their rating as the contract counts it (A2).

    Adds boolean columns ``rated`` (in the denominator), ``satisfied`` (in the
    numerator), ``dissatisfied`` (不满意 that counts: not upheld on appeal),
    ``dissatisfied_raw`` (every 不满意), ``appeal_filed`` (a 不满意 with any
    appeal result) and ``appeal_upheld`` (申诉成功). Expects :func:`as_at` tickets.
    """
    t = counted(tickets)
    t = t[(t[CLOSED_AT] >= period.start_dt) & (t[CLOSED_AT] <= period.end_dt)]
    s, appeal = t[SATISFACTION_COL].astype(object), t[APPEAL].astype(object)
    unsat = (s == "不满意").to_numpy()
    upheld = unsat & (appeal == "申诉成功").to_numpy()
    good = (s == "满意").to_numpy() | ((s == "基本满意").to_numpy() & basic_counts)
    rated = (s.isin(["满意", "基本满意"]).to_numpy()) | (unsat & ~upheld)
    return t.assign(rated=rated, satisfied=good, dissatisfied=unsat & ~upheld, dissatisfied_raw=unsat,
                    appeal_filed=unsat & appeal.notna().to_numpy(), appeal_upheld=upheld)


def _with_interval(df: pd.DataFrame, k: str, n: str, prefix: str) -> pd.DataFrame:
    cis = [wilson_interval(int(a), int(b)) for a, b in zip(df[k], df[n])]
    df[f"{prefix}_rate"] = [a / b if b else np.nan for a, b in zip(df[k], df[n])]
    df[f"{prefix}_low"] = [c[0] if c else np.nan for c in cis]
    df[f"{prefix}_high"] = [c[1] if c else np.nan for c in cis]
    return df


def rates(tickets: pd.DataFrame, period: Period, by: str | None = None, freq: str | None = None,
          basic_counts: bool = True, filters: dict | None = None) -> pd.DataFrame:
    """On-time and satisfaction rates with 95% Wilson intervals, by attribute and/or per bucket.

    Columns: the group keys (``bucket`` when ``freq`` is given, then ``by``),
    ``received`` (tickets received), ``due`` and ``on_time`` (counted tickets
    due in the bucket, not after the cut-off, and those closed by their
    deadline; an open one counts as late), ``rated`` and ``satisfied``
    (counted tickets closed in the bucket, rated as A2 counts them), and for
    each rate ``*_rate`` (fraction in [0, 1], NaN without a denominator),
    ``*_low``, ``*_high``. Filter ``channel`` = 12345热线 for the contract KPIs.
    """
    seen = apply_filters(as_at(tickets, period.as_of), **(filters or {}))
    keys = (["bucket"] if freq else []) + ([by] if by else [])

    def group(frame: pd.DataFrame, when: str) -> list[pd.Series]:
        out = []
        if freq:
            out.append(bucket(frame[when], freq).rename("bucket"))
        if by:
            out.append(group_key(frame, by).rename(by))
        return out

    rec = select(seen, period)
    t = counted(seen)
    due = t[(t[DUE_AT] >= period.start_dt) & (t[DUE_AT] <= period.end_dt)]
    due = due.assign(ok=due[CLOSED_AT].notna() & (due[CLOSED_AT] <= due[DUE_AT]))
    r = rating_flags(seen, period, basic_counts)
    if not keys:
        parts = [pd.DataFrame({"received": [len(rec)], "due": [len(due)], "on_time": [int(due["ok"].sum())],
                               "rated": [int(r["rated"].sum())], "satisfied": [int((r["satisfied"] & r["rated"]).sum())]})]
        df = parts[0]
    else:
        df = pd.concat([
            rec.groupby(group(rec, RECEIVED_AT), observed=True).size().rename("received"),
            due.groupby(group(due, DUE_AT), observed=True).size().rename("due"),
            due.groupby(group(due, DUE_AT), observed=True)["ok"].sum().rename("on_time"),
            r.groupby(group(r, CLOSED_AT), observed=True)["rated"].sum().rename("rated"),
            (r["satisfied"] & r["rated"]).groupby(group(r, CLOSED_AT), observed=True).sum().rename("satisfied"),
        ], axis=1).fillna(0).astype(int).reset_index()
        df.columns = keys + ["received", "due", "on_time", "rated", "satisfied"]
        last = df[by].eq(UNFILLED) if by else pd.Series(False, index=df.index)
        df = df.assign(_last=last).sort_values(["_last", *keys]).drop(columns="_last").reset_index(drop=True)
    df = _with_interval(df, "on_time", "due", "on_time")
    return _with_interval(df, "satisfied", "rated", "satisfaction")


# ---------------------------------------------------------------- baseline


def day_types(days: pd.DatetimeIndex, cal: WorkCalendar) -> pd.Series:
    """Each day's type: 工作日, 调休上班日 (a weekend day worked), 周末, 节假日 (a weekday off)."""
    work = np.array([cal.is_workday(d.date()) for d in days])
    weekend = days.day_of_week >= 5
    out = np.where(work, np.where(weekend, ADJUSTED_WORKDAY, WORKDAY), np.where(weekend, WEEKEND, HOLIDAY))
    return pd.Series(out, index=days)


MONTH_END_WORKDAYS = 3


def _month_complete(days: pd.DatetimeIndex) -> np.ndarray:
    """Whether each day's calendar month lies wholly inside ``days`` (only then are its last working days known)."""
    if not len(days):
        return np.zeros(0, dtype=bool)
    first, last = days.min(), days.max()
    starts = days.to_period("M").start_time
    ends = days.to_period("M").end_time.normalize()
    return np.asarray((starts >= first) & (ends <= last), dtype=bool)


def baseline(daily: pd.DataFrame, cal: WorkCalendar, window: int = 10, min_neighbours: int = 4) -> pd.DataFrame:
    """Expected daily volume from the days of the same kind around each day, and a robust z-score.

    Parameters
    ----------
    daily : tickets per day, one column per group (index: every calendar day,
        zeros included).
    window : neighbours on each side: the ``window`` working days before and
        after a working day (调休 Saturdays included), or the rest days around
        a rest day (weekends and holidays); the day itself is left out. The
        last ``MONTH_END_WORKDAYS`` working days of a month are a kind of their
        own, compared with the month ends around them.
    min_neighbours : fewer neighbours than this give no expectation (NaN).

    Returns
    -------
    A tidy frame: ``date``, ``group``, ``observed``, ``day_type``, ``expected``
    (median of the neighbours, tickets), ``scale`` (1.4826 × their median
    absolute deviation, at least the Poisson √expected and at least 1),
    ``residual`` (observed − expected) and ``z`` (residual ÷ scale).
    """
    days = pd.DatetimeIndex(daily.index)
    kinds = day_types(days, cal)
    is_work = kinds.isin([WORKDAY, ADJUSTED_WORKDAY]).to_numpy()
    # The last working days of a month are compared with those of other months: month-end peaks
    # (medical-insurance payments, deadlines) recur every month and are not incidents.
    month = pd.Series(days.year * 12 + days.month, index=days)
    from_end = pd.Series(np.where(is_work, 1, 0), index=days).iloc[::-1].groupby(month.iloc[::-1].values).cumsum().iloc[::-1]
    month_end = is_work & (from_end.to_numpy() <= MONTH_END_WORKDAYS) & _month_complete(days)
    values = daily.to_numpy(dtype=float)
    expected = np.full(values.shape, np.nan)
    spread = np.full(values.shape, np.nan)
    for mask in (is_work & ~month_end, month_end, ~is_work):
        sub = values[mask]
        m = len(sub)
        if not m:
            continue
        padded = np.vstack([np.full((window, sub.shape[1]), np.nan), sub, np.full((window, sub.shape[1]), np.nan)])
        win = np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1, axis=0).copy()  # (m, groups, 2w+1)
        win[:, :, window] = np.nan
        enough = (~np.isnan(win)).sum(axis=2) >= min_neighbours
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(win, axis=2)
            mad = np.nanmedian(np.abs(win - med[:, :, None]), axis=2)
        expected[mask] = np.where(enough, med, np.nan)
        spread[mask] = np.where(enough, mad, np.nan)
    scale = np.fmax(np.fmax(1.4826 * spread, np.sqrt(np.fmax(expected, 1.0))), 1.0)
    residual = values - expected
    out = pd.DataFrame({
        "date": np.repeat(days.values, values.shape[1]),
        "group": np.tile(np.asarray(daily.columns, dtype=object), len(days)),
        "observed": values.ravel().astype(int),
        "day_type": np.repeat(kinds.to_numpy(), values.shape[1]),
        "expected": expected.ravel(),
        "scale": np.where(np.isnan(expected), np.nan, scale).ravel(),
        "residual": residual.ravel(),
    })
    out["z"] = out["residual"] / out["scale"]
    return out


def daily_table(tickets: pd.DataFrame, first: date, last: date, by: str | None = None, as_of=None,
                filters: dict | None = None) -> pd.DataFrame:
    """Tickets received per calendar day in [first, last] (rows), one column per group of ``by`` (or ``tickets``)."""
    p = Period(f"{first}..{last}", first, last, as_of or pd.Timestamp(last).to_pydatetime().replace(hour=23, minute=59, second=59))
    c = counts(tickets, p, "day", by, filters)
    if by is None:
        return c.set_index("bucket")[["tickets"]]
    return c.pivot(index="bucket", columns=by, values="tickets").fillna(0).astype(int)
