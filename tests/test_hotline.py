"""Hotline KPIs on a hand-computed May 2024 (DATA_CONTRACT 3)."""

from datetime import datetime

import pandas as pd
import pytest
from _frames import ledger_frame
from hypothesis import given, settings, strategies as st

from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.config import Settings
from sscard_analysis.measures.hotline import channel_kpis, hotline_kpis, prepare_tickets
from sscard_analysis.dates.periods import parse_period

H = "12345热线"
CAL = WorkCalendar()


def T(tid, received, ttype="咨询", due=None, closed=None, sat=None, appeal=None, status=None, channel=H):
    return dict(ticket_id=tid, channel=channel, received_at=received, ticket_type=ttype, due_at=due,
                closed_at=closed, satisfaction=sat, appeal=appeal, status=status)


@pytest.fixture
def may_tickets():
    rows = [
        T("T1", "2024-04-30 10:00", "投诉", closed="2024-05-10 18:00", sat="满意"),  # due 05-10 (computed), on time
        T("T2", "2024-05-10 18:00", closed="2024-05-13 09:00", sat="不满意", appeal="申诉成功"),  # due Sat 05-11, late
        T("T3", "2024-05-20 09:00", due="2024-05-21 23:59:59", closed="2024-05-21 10:00", sat="基本满意"),
        T("T4", "2024-05-29 09:00", "求助"),  # due 06-03, open
        T("T5", "2024-05-06 09:00", "投诉", due="2024-05-08 23:59:59"),  # open, overdue
        T("T6", "2024-05-15 09:00", due="2024-05-16 23:59:59", closed="2024-05-20 09:00", status="重复"),
        T("T7", "2024-04-20 09:00", due="2024-04-22 23:59:59"),  # April, still open: overdue
        T("T8", "2024-05-30 09:00", due="2024-05-31 23:59:59", closed="2024-06-01 10:00", sat="满意"),
        T("T9", "2024-05-02 09:00", due="2024-05-06 23:59:59", closed="2024-05-06 08:00", sat="不满意", appeal="申诉失败"),
        T("T10", "2024-05-07 09:00", due="2024-05-08 23:59:59", closed="2024-05-08 09:00", sat="满意", channel="信访平台"),
        T("T11", "2024-06-01 09:00"),
    ]
    return prepare_tickets(ledger_frame("tickets", rows), Settings(), CAL)


def test_due_dates_filled(may_tickets):
    due = may_tickets.set_index("ticket_id")["due_at"]
    assert due["T1"] == pd.Timestamp("2024-05-10 23:59:59")
    assert due["T2"] == pd.Timestamp("2024-05-11 23:59:59")
    assert due["T4"] == pd.Timestamp("2024-06-03 23:59:59")
    computed = may_tickets.set_index("ticket_id")["due_computed"]
    assert bool(computed["T1"]) and not bool(computed["T3"])


def test_may_hotline(may_tickets):
    k = hotline_kpis(may_tickets, parse_period("2024-05"))
    assert k["tickets_received"] == 7  # T2 T3 T4 T5 T6 T8 T9
    assert k["excluded"] == 1  # T6 重复
    assert k["tickets_due"] == 6  # T1 T2 T3 T5 T8 T9
    assert k["closed_on_time"] == 3  # T1 T3 T9; T8 closed after the cut-off
    assert k["on_time_rate"] == pytest.approx(0.5)
    assert k["overdue_open"] == 3  # T5 T7, and T8: due at 23:59:59 of the cut-off day and still open, its window used up
    # satisfaction over T1 满意, T3 基本满意, T9 不满意 (申诉失败); T2's upheld appeal leaves both
    assert (k["rated"], k["satisfied"], k["appeals_upheld"]) == (3, 2, 1)
    assert k["satisfaction_rate"] == pytest.approx(2 / 3)


def test_basic_satisfied_setting(may_tickets):
    k = hotline_kpis(may_tickets, parse_period("2024-05"), basic_counts=False)
    assert k["rated"] == 3 and k["satisfaction_rate"] == pytest.approx(1 / 3)


def test_as_of_cut_off(may_tickets):
    k = hotline_kpis(may_tickets, parse_period("2024-05", as_of="2024-05-20T10:00"))
    assert k["tickets_due"] == 4  # T1 T2 T5 T9; T3 due 05-21 is after the cut-off
    assert k["closed_on_time"] == 2
    assert k["overdue_open"] == 2
    assert (k["rated"], k["satisfaction_rate"]) == (2, 0.5)  # T1 满意, T9 不满意; T3 closed after the cut-off


def test_all_channels(may_tickets):
    block, by_channel = channel_kpis(may_tickets, parse_period("2024-05"))
    assert by_channel == {H: 7, "信访平台": 1}
    assert block["tickets_received"] == 8
    assert (block["tickets_due"], block["closed_on_time"]) == (7, 4)


def test_empty_period_gives_null_rates(may_tickets):
    k = hotline_kpis(may_tickets.iloc[0:0], parse_period("2024-05"))
    assert k["tickets_received"] == 0 and k["on_time_rate"] is None and k["satisfaction_rate"] is None


_when = st.datetimes(min_value=datetime(2024, 4, 1), max_value=datetime(2024, 6, 30))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_when, st.one_of(st.none(), st.integers(0, 400)), st.sampled_from([None, "满意", "基本满意", "不满意"]),
                          st.sampled_from([None, "申诉成功", "申诉失败"]), st.sampled_from(["咨询", "投诉", "求助"])), max_size=30))
def test_rates_stay_in_unit_interval(items):
    rows = [T(f"X{i}", r, ttype, closed=(None if h is None else r + pd.Timedelta(hours=h)), sat=s, appeal=a)
            for i, (r, h, s, a, ttype) in enumerate(items)]
    t = prepare_tickets(ledger_frame("tickets", rows), Settings(), CAL)
    k = hotline_kpis(t, parse_period("2024-05"))
    for rate in (k["on_time_rate"], k["satisfaction_rate"]):
        assert rate is None or 0 <= rate <= 1
    assert k["closed_on_time"] <= k["tickets_due"] and k["satisfied"] <= k["rated"]


def test_daily_counts_add_up_to_the_month(may_tickets):
    days = [f"2024-05-{d:02d}..2024-05-{d:02d}" for d in range(1, 32)]
    daily = [hotline_kpis(may_tickets, parse_period(p)) for p in days]
    month = hotline_kpis(may_tickets, parse_period("2024-05"))
    for key in ("tickets_received", "excluded", "rated", "satisfied", "closed_on_time"):
        assert sum(d[key] for d in daily) == month[key], key
    # due counts: a ticket due at 23:59:59 of its day is due in that day's period
    assert sum(d["tickets_due"] for d in daily) == month["tickets_due"]


def _report_context(rows, label):
    from sscard_analysis.contract.kpi import compute_kpis
    from sscard_analysis.reporting.context import REPORT_COLUMNS, ReportContext
    from _frames import dataset

    ds = dataset(Settings(), tickets=rows)
    p = parse_period(label)
    return ReportContext("monthly", ds, p, compute_kpis(ds, p, contract=False), None, None,
                         prepare_tickets(ds["tickets"], Settings(), CAL, REPORT_COLUMNS), CAL)


def test_late_ticket_lists_reconcile_with_the_rate():
    # finding 12: the month's lists hold every ticket due in May and not closed on time: T2 (closed late), T5 (open),
    # and T8, due 05-31 23:59:59 — the cut-off itself — and closed in June: open at the cut-off, its window used up.
    # T7, due in April and still open, is listed as due before the period.
    from sscard_analysis.analysis.backlog import CLOSED_LATE, OVERDUE, late_tickets

    rows = [
        T("T1", "2024-04-30 10:00", "投诉", closed="2024-05-10 18:00"),  # due 05-10, on time
        T("T2", "2024-05-10 18:00", closed="2024-05-13 09:00"),  # due Sat 05-11, closed late
        T("T5", "2024-05-06 09:00", "投诉", due="2024-05-08 23:59:59"),  # open
        T("T7", "2024-04-20 09:00", due="2024-04-22 23:59:59"),  # April, still open
        T("T8", "2024-05-30 09:00", due="2024-05-31 23:59:59", closed="2024-06-01 10:00"),
        T("T9", "2024-05-20 09:00", due="2024-05-27 23:59:59", closed="2024-05-28 10:00"),  # closed late
    ]

    def lists(ctx):
        lt = late_tickets(ctx.tickets, ctx.period, CAL)
        return lt[lt["state"] == OVERDUE], lt[lt["state"] == CLOSED_LATE]

    ctx = _report_context(rows, "2024-05")
    h = ctx.kpis["hotline"]
    overdue, late = lists(ctx)
    assert (h["tickets_due"], h["closed_on_time"], h["overdue_open"]) == (5, 1, 3)  # T1 T2 T5 T8 T9 due; T1 on time
    assert list(overdue["ticket_id"]) == ["T7", "T5", "T8"] and list(overdue["due_in_period"]) == [False, True, True]
    assert list(late["ticket_id"]) == ["T2", "T9"]
    assert h["tickets_due"] - h["closed_on_time"] == overdue["due_in_period"].sum() + len(late) == 4
    # the weeks of May add up to the month: each week's lists reconcile with that week's rate
    spans = ["2024-05-01..2024-05-05", "2024-W19", "2024-W20", "2024-W21", "2024-05-27..2024-05-31"]
    listed = 0
    for span in spans:
        w = _report_context(rows, span)
        o, lt = lists(w)
        assert w.kpis["hotline"]["tickets_due"] - w.kpis["hotline"]["closed_on_time"] == o["due_in_period"].sum() + len(lt)
        listed += o["due_in_period"].sum() + len(lt)
    assert listed == 4
