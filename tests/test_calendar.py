from datetime import date

import pandas as pd
import pytest

from sscard_analysis.dates.calendar import CalendarError, WorkCalendar, calendar_for
from sscard_analysis.config import Settings


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2024, 4, 30), 5, date(2024, 5, 10)),  # DATA_CONTRACT 3: 1–5 May are holidays
        (date(2024, 5, 10), 1, date(2024, 5, 11)),  # adjusted working Saturday
        (date(2024, 5, 11), 1, date(2024, 5, 13)),  # from a working Saturday, Sunday skipped
        (date(2024, 9, 30), 1, date(2024, 10, 8)),  # National Day week
        (date(2024, 10, 1), 1, date(2024, 10, 8)),  # receipt on a holiday: the day itself never counts
        (date(2025, 1, 24), 3, date(2025, 2, 5)),  # Spring Festival 2025 (26 Jan and 8 Feb worked)
    ],
)
def test_add_workdays(cal, start, n, expected):
    assert cal.add_workdays(start, n) == expected


def test_due_after_vectorised_matches_examples(cal):
    start = pd.Series(pd.to_datetime(["2024-04-30 10:00", "2024-05-10 18:30", None]))
    due = cal.due_after(start, pd.Series([5, 1, 1]))
    assert due.iloc[0] == pd.Timestamp("2024-05-10 23:59:59")
    assert due.iloc[1] == pd.Timestamp("2024-05-11 23:59:59")
    assert pd.isna(due.iloc[2])


def test_is_workday(cal):
    assert cal.is_workday(date(2024, 5, 11))  # Saturday, adjusted working day
    assert not cal.is_workday(date(2024, 5, 1))
    assert not cal.is_workday(date(2024, 5, 12))


def test_workdays_in_may_2024(cal):
    # 31 days - 8 weekend days - 5 holidays (1–5 May, of which 4–5 are a weekend) + 11 May worked
    assert cal.workdays_in(date(2024, 5, 1), date(2024, 5, 31)) == 21
    assert cal.workdays_in(date(2024, 5, 2), date(2024, 5, 1)) == 0
    assert cal.workdays_between(date(2024, 5, 9), date(2024, 5, 13)) == [date(2024, 5, 9), date(2024, 5, 10), date(2024, 5, 11), date(2024, 5, 13)]


def test_unknown_year_is_an_error_not_a_guess(cal):
    with pytest.raises(CalendarError, match="2027") as exc:
        cal.add_workdays(date(2027, 3, 1), 1)
    # one Chinese line naming the year to add and where
    assert str(exc.value) == ("2027-03-01: 工作日历只有 2004–2026 年的安排；"
                              "请在 sscard.toml 的 [calendar] 中加入 2027 年的国务院放假安排（years、holidays、workdays）")
    with pytest.raises(CalendarError, match="加入 2027 年"):
        cal.add_workdays(date(2026, 12, 30), 3)  # 31 Dec is the last known working day


def test_deadlines_the_calendar_cannot_know_do_not_block_the_others(cal):
    # received 2026-12-30 with 5 working days: the deadline falls in 2027, unknown; 2042 and 1999 lie outside
    # the known years. Each is NaT (outside every period the calendar covers) and the first row is still computed.
    start = pd.Series(pd.to_datetime(["2024-04-30 10:00", "2026-12-30 09:00", "2042-05-10 09:00", "1999-01-04 09:00"]))
    due = cal.due_after(start, pd.Series([5, 5, 1, 1]))
    assert due.iloc[0] == pd.Timestamp("2024-05-10 23:59:59")
    assert due.iloc[1:].isna().all()
    # one working day after Wednesday 30 Dec 2026 is Thursday 31 Dec, still known
    assert cal.due_after(start, pd.Series([5, 1, 1, 1])).iloc[1] == pd.Timestamp("2026-12-31 23:59:59")


def test_nothing_is_counted_across_a_year_nobody_described():
    # [calendar] years = [2041] after a package that ends in 2026: 2027–2040 are unknown, not empty
    cal = calendar_for(Settings(start=date(2041, 6, 1), calendar_years=(2041,)))
    assert cal.describe() == "2004–2026、2041" and cal.covers(2041) and not cal.covers(2030)
    assert cal.add_workdays(date(2041, 6, 4), 1) == date(2041, 6, 5)  # inside 2041: weekdays work
    with pytest.raises(CalendarError, match="加入 2027 年"):
        cal.add_workdays(date(2026, 12, 31), 1)  # the next working day would be in 2041
    due = cal.due_after(pd.Series(pd.to_datetime(["2026-12-31 09:00", "2041-06-04 09:00"])), pd.Series([1, 1]))
    assert pd.isna(due.iloc[0]) and due.iloc[1] == pd.Timestamp("2041-06-05 23:59:59")
    with pytest.raises(CalendarError, match="加入 2027 年"):
        cal.workdays_in(date(2026, 12, 1), date(2041, 1, 31))


def test_override_adds_next_year():
    s = Settings(calendar_years=(2027,), holidays=(date(2027, 1, 1),), workdays=(date(2027, 1, 9),))
    cal = calendar_for(s)
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)  # 1 Jan holiday, 2–3 weekend
    assert cal.is_workday(date(2027, 1, 9))  # an adjusted Saturday from the override
    assert cal.add_workdays(date(2027, 1, 8), 1) == date(2027, 1, 9)
