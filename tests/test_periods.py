from datetime import date, datetime

import pytest

from sscard_analysis.config import Settings, load_settings
from sscard_analysis.dates.periods import PeriodError, latest_complete_month, months_in, parse_period

S = Settings(start=date(2024, 3, 1))


@pytest.mark.parametrize(
    "label, start, end",
    [
        ("2024-W18", date(2024, 4, 29), date(2024, 5, 5)),
        ("2024-W01", date(2024, 1, 1), date(2024, 1, 7)),
        ("2024-05", date(2024, 5, 1), date(2024, 5, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("contract", date(2024, 3, 1), date(2025, 2, 28)),
        ("contract-Q1", date(2024, 3, 1), date(2024, 5, 31)),
        ("contract-Q4", date(2024, 12, 1), date(2025, 2, 28)),
        ("2024-05-06..2024-05-19", date(2024, 5, 6), date(2024, 5, 19)),
    ],
)
def test_period_bounds(label, start, end):
    p = parse_period(label, S, now=datetime(2026, 1, 1))
    assert (p.start, p.end) == (start, end)
    assert p.as_of == datetime.combine(end, datetime.max.time()).replace(microsecond=0)


def test_as_of_defaults_to_now_when_earlier():
    p = parse_period("2024-05", S, now=datetime(2024, 5, 20, 10, 0))
    assert p.as_of == datetime(2024, 5, 20, 10, 0)
    assert p.end_dt == datetime(2024, 5, 20, 10, 0)


def test_explicit_as_of():
    p = parse_period("2024-05", S, as_of="2024-05-20T10:00")
    assert p.as_of == datetime(2024, 5, 20, 10, 0)
    assert parse_period("2024-05", S, as_of="2024-05-20").as_of == datetime(2024, 5, 20, 23, 59, 59)


@pytest.mark.parametrize("bad", ["2024-13", "2024-W54", "202405", "2024-05-19..2024-05-06", "last month"])
def test_bad_period(bad):
    with pytest.raises(PeriodError):
        parse_period(bad, S)


def test_months_in_and_latest_complete_month():
    assert months_in(parse_period("contract-Q4", S)) == ["2024-12", "2025-01", "2025-02"]
    assert latest_complete_month(date(2024, 6, 3), S) == "2024-05"
    assert latest_complete_month(date(2026, 11, 25), S) == "2025-02"  # clipped to the service period


def test_settings_file(tmp_path):
    (tmp_path / "sscard.toml").write_text(
        "[contract]\nstart = 2024-04-01\nprice_yuan = 4800000\n[rules]\nlate_day_basis = \"calendar\"\n"
        "[rules.due_days]\n\"咨询\" = 2\n", encoding="utf-8")
    s = load_settings(tmp_path)
    assert (s.start, s.end) == (date(2024, 4, 1), date(2025, 3, 31))
    assert s.monthly_fee_yuan == 400000
    assert s.due_days["咨询"] == 2 and s.due_days["投诉"] == 5
    assert s.late_day_basis == "calendar"
    assert s.promised_turnover_rate is None


def test_as_of_with_offset_is_local_time():
    from sscard_analysis.dates.periods import parse_as_of

    assert parse_as_of("2024-05-20T02:00Z") == datetime(2024, 5, 20, 10, 0)
    assert parse_as_of("2024-05-20T10:00+08:00") == datetime(2024, 5, 20, 10, 0)
