"""Working days on the mainland-China State Council schedule (DATA_CONTRACT 3).

Built on ``chinese-calendar`` (adjusted working weekends, 调休, included) plus
the overrides of ``sscard.toml`` ``[calendar]`` so a new year's schedule can be
added the day it is published. Asking for a working day in a year that
neither covers is an error naming the year to add, never a guess; the
vectorised deadline of a ticket leaves NaT where it cannot be known (see
:meth:`WorkCalendar.due_after`), so one far-out ticket never blocks the
computations that do not need it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar
import numpy as np
import pandas as pd

END_OF_DAY = time(23, 59, 59)


class CalendarError(ValueError):
    """A date outside every year the working-day calendar knows (the message, in Chinese, names the year to add)."""


ADD_YEAR = "请在 sscard.toml 的 [calendar] 中加入 {year} 年的国务院放假安排（years、holidays、workdays）"


def _package_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays] + [d.year for d in chinese_calendar.workdays]
    return min(years), max(years)


class WorkCalendar:
    """Working days of the known years.

    Parameters
    ----------
    holidays, workdays : extra rest days and adjusted working days (override the package).
    extra_years : years fully described by the overrides (weekdays work, weekends
        rest, unless listed above).
    """

    def __init__(self, holidays=(), workdays=(), extra_years=()) -> None:
        lo, hi = _package_years()
        self.years = sorted(set(range(lo, hi + 1)) | set(extra_years))
        self._year_set = set(self.years)
        # Years between known ones that nobody described (years = [2041] after a package ending in 2026):
        # no working day is known there, so nothing may be counted across them.
        self._gaps = sorted(set(range(self.years[0], self.years[-1] + 1)) - self._year_set)
        self._holidays = set(holidays)
        self._workdays = set(workdays)
        days = pd.date_range(date(self.years[0], 1, 1), date(self.years[-1], 12, 31), freq="D")
        known = np.isin(days.year, self.years)
        package_years = (days.year >= lo) & (days.year <= hi)
        # The package's rule, vectorised: weekdays work unless a holiday; adjusted working days work.
        work = (days.day_of_week < 5) & ~days.isin(pd.DatetimeIndex(list(chinese_calendar.holidays)))
        work |= days.isin(pd.DatetimeIndex(list(chinese_calendar.workdays)))
        work = np.where(package_years, work, days.day_of_week < 5)
        work &= known
        work[days.isin(pd.DatetimeIndex(list(self._holidays)))] = False
        work[days.isin(pd.DatetimeIndex(list(self._workdays)))] = True
        self._first = days[0].date()
        self._known = known
        self._work = work
        self._workday_ordinals = (days[work].values.astype("datetime64[D]")).astype(np.int64)

    def covers(self, year: int) -> bool:
        """Whether the calendar knows the working days of ``year``."""
        return year in self._year_set

    def describe(self) -> str:
        """The known years as ranges: ``2004–2026``, ``2004–2026、2041``."""
        runs, start = [], self.years[0]
        for a, b in zip(self.years, self.years[1:] + [None]):
            if b != a + 1:
                runs.append(str(start) if start == a else f"{start}–{a}")
                start = b
        return "、".join(runs)

    def _check(self, d: date, until: date | None = None) -> None:
        """CalendarError naming the first year of [d, until] the calendar does not know."""
        for year in range(d.year, (until or d).year + 1):
            if not self.covers(year):
                where = d.isoformat() if until is None else f"{d.isoformat()} 至 {until.isoformat()}"
                raise CalendarError(f"{where}: 工作日历只有 {self.describe()} 年的安排；" + ADD_YEAR.format(year=year))

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (adjusted working weekends count)."""
        self._check(d)
        return bool(self._work[(d - self._first).days])

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (``d`` itself never counts; n >= 1)."""
        self._check(d)
        ordinal = np.datetime64(d, "D").astype(np.int64)
        idx = np.searchsorted(self._workday_ordinals, ordinal, side="right") + n - 1
        if idx >= len(self._workday_ordinals):
            raise CalendarError(
                f"{d.isoformat()} 之后第 {n} 个工作日超出工作日历（只到 {self.years[-1]}-12-31）；" + ADD_YEAR.format(year=self.years[-1] + 1)
            )
        result = self._workday_ordinals[idx].astype("datetime64[D]").astype(date)
        self._check(d, result)  # no unknown year skipped on the way
        return result

    def due_after(self, start: pd.Series, days: pd.Series) -> pd.Series:
        """Vectorised deadline: 23:59:59 of the ``days``-th working day after each date.

        ``start`` is a datetime Series; NaT or missing ``days`` give NaT. A
        deadline the calendar cannot know is NaT as well: a start outside the
        known years, a deadline past the last known day, or one counted
        across a year nobody described. Such a deadline
        lies outside every period the calendar covers (a period is only
        computed when the calendar covers it, :func:`..periods.check_period`),
        so no covered period counts it as due or overdue; one ticket dated far
        out never stops the rest from being computed.
        """
        out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
        ok = start.notna() & days.notna()
        if ok.any():
            ok &= start.dt.year.isin(self.years)
        if not ok.any():
            return out
        d = start[ok].dt.normalize().values.astype("datetime64[D]")
        ordinals = d.astype(np.int64)
        idx = np.searchsorted(self._workday_ordinals, ordinals, side="right") + days[ok].to_numpy(dtype=np.int64) - 1
        known = idx < len(self._workday_ordinals)
        due = self._workday_ordinals[np.minimum(idx, len(self._workday_ordinals) - 1)].astype("datetime64[D]").astype("datetime64[ns]")
        if self._gaps:
            first, last = pd.DatetimeIndex(d).year.to_numpy(), pd.DatetimeIndex(due).year.to_numpy()
            for gap in self._gaps:
                known &= ~((first <= gap) & (last >= gap))
        values = np.where(known, due + np.timedelta64(86399, "s"), np.datetime64("NaT"))
        out[ok] = values
        return out

    def workdays_in(self, first: date, last: date) -> int:
        """Number of working days in [first, last] (0 when last < first)."""
        if last < first:
            return 0
        self._check(first, last)
        a = np.datetime64(first, "D").astype(np.int64)
        b = np.datetime64(last, "D").astype(np.int64)
        return int(np.searchsorted(self._workday_ordinals, b, side="right") - np.searchsorted(self._workday_ordinals, a, side="left"))

    def workdays_between(self, first: date, last: date) -> list[date]:
        """The working days in [first, last]."""
        if last < first:
            return []
        self._check(first, last)
        a = np.datetime64(first, "D").astype(np.int64)
        b = np.datetime64(last, "D").astype(np.int64)
        lo = np.searchsorted(self._workday_ordinals, a, side="left")
        hi = np.searchsorted(self._workday_ordinals, b, side="right")
        return [x.astype("datetime64[D]").astype(date) for x in self._workday_ordinals[lo:hi]]


def end_of_day(d: date) -> datetime:
    """23:59:59 of ``d`` (deadlines given as a date mean the end of that day)."""
    return datetime.combine(d, END_OF_DAY)


@lru_cache(maxsize=8)
def _cached(holidays: tuple, workdays: tuple, years: tuple) -> WorkCalendar:
    return WorkCalendar(holidays, workdays, years)


def calendar_for(settings) -> WorkCalendar:
    """The working-day calendar of a deployment (package schedule + its overrides)."""
    return _cached(tuple(settings.holidays), tuple(settings.workdays), tuple(settings.calendar_years))


def next_day(d: date) -> date:
    return d + timedelta(days=1)
