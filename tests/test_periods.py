from datetime import date, datetime

import pytest

from sscard_analysis.config import Settings, load_settings
from sscard_analysis.dates.calendar import CalendarError
from sscard_analysis.dates.periods import PeriodError, check_period, latest_complete_month, months_in, parse_day, parse_period

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
    # the whole service is cut off at the end of the assessment day: Sat 2025-03-01 and Sun 03-02 rest,
    # Mon 2025-03-03 is the first working day after the service end (the February report's due day)
    last = date(2025, 3, 3) if label == "contract" else end
    assert p.as_of == datetime.combine(last, datetime.max.time()).replace(microsecond=0)


def test_contract_cut_off_waits_for_the_assessment_day_only_until_now():
    # before the assessment day is over, now is the cut-off; a 0-day report rule assesses on the last day itself
    assert parse_period("contract", S, now=datetime(2025, 3, 2, 9, 0)).as_of == datetime(2025, 3, 2, 9, 0)
    same_day = Settings(start=date(2024, 3, 1), report_due_workdays=0)
    assert parse_period("contract", same_day, now=datetime(2026, 1, 1)).as_of == datetime(2025, 2, 28, 23, 59, 59)


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


# ---------------------------------------------------------------- issue 13.12: one label per period, the kind checked


@pytest.mark.parametrize("label, normal", [
    ("2024-5", "2024-05"), ("2024-w18", "2024-W18"), ("2024-W8", "2024-W08"), ("2024-q2", "2024-Q2"),
    ("CONTRACT", "contract"), ("contract-q3", "contract-Q3"), (" 2024 ", "2024"),
])
def test_labels_are_normalised(label, normal):
    # one period, one label: `2024-5` and `2024-05` would otherwise file reports in two folders
    assert parse_period(label, S, now=datetime(2026, 1, 1)).label == normal


@pytest.mark.parametrize("bad, message", [
    ("0000-05", "0000-05: 年份应在 1900–2100 之间"),  # was a ValueError traceback (year 0 is out of range)
    ("9999-12", "9999-12: 年份应在 1900–2100 之间"),  # was an OverflowError traceback one month later
    ("2024-02-30..2024-03-01", "2024-02-30..2024-03-01: 2024-02-30 不是有效日期"),
])
def test_impossible_periods_are_one_line(bad, message):
    with pytest.raises(PeriodError) as exc:
        parse_period(bad, S)
    assert str(exc.value) == message


@pytest.mark.parametrize("kind, label, message", [
    ("monthly", "2024-W18", "2024-W18: 月报的期间应为 2024-05，不是一周"),
    ("annual", "2024-05-06..2024-05-07", "2024-05-06..2024-05-07: 年报的期间应为 contract、2024，不是自定日期区间"),
    ("weekly", "2024-05", "2024-05: 周报的期间应为 2024-W18，不是一个月"),
    ("quarterly", "2024", "2024: 季报的期间应为 contract-Q1…contract-Q4、2024-Q2，不是一年"),
])
def test_report_kind_must_fit_the_period(kind, label, message):
    with pytest.raises(PeriodError) as exc:
        check_period(parse_period(label, S, now=datetime(2026, 1, 1)), S, kind)
    assert str(exc.value) == message


@pytest.mark.parametrize("kind, label", [("weekly", "2024-W18"), ("monthly", "2024-05"), ("quarterly", "contract-Q2"),
                                         ("quarterly", "2024-Q2"), ("annual", "contract"), ("annual", "2024")])
def test_report_kind_fits(kind, label):
    warnings = check_period(parse_period(label, S, now=datetime(2026, 1, 1)), S, kind)
    assert warnings == ([] if label != "2024" else [  # the calendar year 2024 starts before the service
        "期间 2024（2024-01-01 至 2024-12-31）部分超出服务期 2024-03-01 至 2025-02-28，合同指标只计服务期内"])


def test_a_period_not_started_at_the_cut_off_is_refused():
    # `kpi --period 2030-05` computed figures with a cut-off before the period started
    p = parse_period("2025-05", S, now=datetime(2025, 3, 1, 9, 30))
    with pytest.raises(PeriodError) as exc:
        check_period(p, S)
    assert str(exc.value) == "2025-05: 统计时点 2025-03-01 09:30 早于期间开始 2025-05-01，该期间尚未开始"


def test_periods_outside_the_service_warn():
    # the service runs 2024-03-01 .. 2025-02-28
    assert check_period(parse_period("2023-05", S, now=datetime(2026, 1, 1)), S) == [
        "期间 2023-05（2023-05-01 至 2023-05-31）不在服务期 2024-03-01 至 2025-02-28 内，合同指标不适用"]
    assert check_period(parse_period("2024-W09", S, now=datetime(2026, 1, 1)), S) == [
        "期间 2024-W09（2024-02-26 至 2024-03-03）部分超出服务期 2024-03-01 至 2025-02-28，合同指标只计服务期内"]


def test_a_period_beyond_the_calendar_names_the_year_to_add():
    with pytest.raises(CalendarError) as exc:
        check_period(parse_period("2027-05", S, as_of="2027-06-01"), S)
    assert "加入 2027 年" in str(exc.value) and str(exc.value).startswith("2027-05: 工作日历只有")


def test_parse_day_is_one_line():
    assert parse_day("2025-02-28") == date(2025, 2, 28)
    with pytest.raises(PeriodError) as exc:
        parse_day("2025-02-30")
    assert str(exc.value) == "--today 2025-02-30: 不是有效日期（应为日期，如 2025-02-28）"
