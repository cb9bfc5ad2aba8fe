"""Tickets by share of their working window used (weekends do not count)."""

from datetime import datetime

import pytest
from _frames import dataset, ledger_frame

from sscard_analysis.contract.alerts import compute_alerts, ticket_alerts
from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.config import Settings
from sscard_analysis.measures.hotline import prepare_tickets

CAL = WorkCalendar()
AS_OF = datetime(2024, 5, 20, 10, 0)  # Monday


def T(tid, received, due, closed=None, status=None):
    return dict(ticket_id=tid, channel="12345热线", ticket_type="咨询", received_at=received, due_at=due, closed_at=closed, status=status)


def test_bands():
    rows = [
        T("fri-noon", "2024-05-17 12:00", "2024-05-20 23:59:59"),  # used (0.5 + 10/24) / (0.5 + 1 - 1/86400) = 61%
        T("thu", "2024-05-16 00:00", "2024-05-20 23:59:59"),  # used (2 + 10/24) / 3 = 81%
        T("today", "2024-05-20 08:00", "2024-05-20 23:59:59"),  # 12.5%: not listed
        T("late", "2024-05-16 09:00", "2024-05-17 23:59:59"),  # overdue
        T("closed", "2024-05-16 09:00", "2024-05-17 23:59:59", closed="2024-05-17 10:00"),
        T("dup", "2024-05-16 09:00", "2024-05-17 23:59:59", status="重复"),
    ]
    t = prepare_tickets(ledger_frame("tickets", rows), Settings(), CAL)
    a = ticket_alerts(t, AS_OF, CAL).set_index("ticket_id")
    assert sorted(a.index) == ["fri-noon", "late", "thu"]
    assert a.loc["fri-noon", "used"] == pytest.approx((0.5 + 10 / 24) / (1.5 - 1 / 86400))
    assert a.loc["fri-noon", "band"] == "50–75%"
    assert a.loc["thu", "used"] == pytest.approx((2 + 10 / 24) / (3 - 1 / 86400))
    assert a.loc["thu", "band"] == "75–85%"
    assert a.loc["late", "band"] == "已逾期"


def test_compute_alerts_documents_due_today_and_next_working_day():
    ds = dataset(Settings(), tickets=[], documents=[
        dict(doc_id="D1", doc_type="宣传推文", difficulty="简单", requested_at="2024-05-17 09:00"),  # due Mon 05-20
        dict(doc_id="D2", doc_type="宣传推文", difficulty="中等", requested_at="2024-05-17 09:00"),  # due Tue 05-21
        dict(doc_id="D3", doc_type="规划方案", difficulty="困难", requested_at="2024-05-17 09:00"),  # due 05-23
        dict(doc_id="D4", doc_type="宣传推文", difficulty="简单", requested_at="2024-05-17 09:00", submitted_at="2024-05-20 09:00"),
    ])
    a = compute_alerts(ds, AS_OF)
    assert [d["doc_id"] for d in a["documents_due"]] == ["D1", "D2"]
    assert a["tickets"]["by_band"]["已逾期"] == 0
    assert a["indicators_at_risk"] == {}  # every other ledger is absent: not assessed, not "at risk"


def test_handler_names_are_masked_in_alerts():
    rows = [dict(ticket_id="A1", channel="12345热线", ticket_type="咨询", received_at="2024-05-17 12:00",
                 due_at="2024-05-20 23:59:59", handler="王五"),
            dict(ticket_id="A2", channel="12345热线", ticket_type="咨询", received_at="2024-05-17 12:00",
                 due_at="2024-05-20 23:59:59", handler="SB0012")]
    a = compute_alerts(dataset(Settings(), tickets=rows), AS_OF)
    assert [(i["ticket_id"], i["handler"]) for i in a["tickets"]["items"]] == [("A1", "王*"), ("A2", "SB0012")]
