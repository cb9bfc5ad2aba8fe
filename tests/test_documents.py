"""Document deadlines and late days (3.7(1), 表2), hand-computed on May–June 2024."""

import pandas as pd
import pytest
from _frames import ledger_frame

from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.config import Settings
from sscard_analysis.measures.documents import document_kpis, document_stages
from sscard_analysis.dates.periods import parse_period

CAL = WorkCalendar()


def D(did, doc_type, requested, difficulty=None, deadline=None, submitted=None, rev_req=None, revised=None, ext=None):
    return dict(doc_id=did, doc_type=doc_type, requested_at=requested, difficulty=difficulty, deadline_on=deadline,
                submitted_at=submitted, revision_requested_at=rev_req, revised_at=revised, extension_approved=ext)


@pytest.fixture
def docs():
    return ledger_frame("documents", [
        D("D1", "规划方案", "2024-05-06 10:00", "中等", submitted="2024-05-13 09:00"),  # due 05-09; late 05-10, 05-11 (worked Sat), 05-13
        D("D2", "宣传推文", "2024-05-30 15:00", "简单", submitted="2024-06-04 10:00"),  # due 05-31; late 06-03, 06-04
        D("D3", "函件通知", "2024-05-20 09:00", submitted="2024-06-10 09:00", ext=True),  # extension: never late
        D("D4", "来文办阅", "2024-05-10 09:00", deadline="2024-05-15 23:59:59"),  # never submitted
        D("D5", "会议材料", "2024-05-10 09:00"),  # no deadline given: cannot be assessed
        D("D6", "函件通知", "2024-05-13 09:00", "困难", submitted="2024-05-15 09:00",
          rev_req="2024-05-20 10:00", revised="2024-05-22 09:00"),  # revision due 05-21, done 05-22
        D("D7", "规划方案", "2024-06-05 09:00", "简单", submitted="2024-06-10 10:00"),  # due Fri 06-07; 08-09 weekend, 10 holiday
    ])


def test_deadlines(docs):
    st = document_stages(docs, Settings(), CAL).set_index(["doc_id", "stage"])["deadline"]
    assert st[("D1", "初稿")] == pd.Timestamp("2024-05-09 23:59:59")
    assert st[("D2", "初稿")] == pd.Timestamp("2024-05-31 23:59:59")
    assert st[("D3", "初稿")] == pd.Timestamp("2024-05-22 23:59:59")  # no difficulty: medium, 2 days
    assert st[("D4", "初稿")] == pd.Timestamp("2024-05-15 23:59:59")
    assert pd.isna(st[("D5", "初稿")])
    assert st[("D6", "修改")] == pd.Timestamp("2024-05-21 23:59:59")
    assert st[("D7", "初稿")] == pd.Timestamp("2024-06-07 23:59:59")


def test_may(docs):
    k = document_kpis(docs, parse_period("2024-05"), Settings(), CAL)
    # D1, D4, D6 revision; D2 is due at 23:59:59 of 05-31, the cut-off itself: not yet past due in May
    assert k["late"] == 3
    assert k["late_days"] == 3 + 0 + 12 + 1
    assert k["no_deadline"] == 1


def test_june(docs):
    k = document_kpis(docs, parse_period("2024-06"), Settings(), CAL)
    assert k["late"] == 1  # D7
    # D2: 06-03, 06-04; D4 still open: 19 working days in June 2024; D7: no working day late -> 1 day
    assert k["late_days"] == 2 + 19 + 1


def test_months_add_up(docs):
    total = document_kpis(docs, parse_period("2024-05-01..2024-06-30"), Settings(), CAL)
    may = document_kpis(docs, parse_period("2024-05"), Settings(), CAL)
    june = document_kpis(docs, parse_period("2024-06"), Settings(), CAL)
    assert total["late"] == 5  # D2 counts where its deadline falls once it is known to be late
    assert total["late_days"] == may["late_days"] + june["late_days"] == 38


def test_calendar_day_basis(docs):
    k = document_kpis(docs.iloc[[0]], parse_period("2024-05"), Settings(late_day_basis="calendar"), CAL)
    assert k["late_days"] == 4  # 05-10 .. 05-13


def test_as_of_unsubmitted(docs):
    k = document_kpis(docs.iloc[[3]], parse_period("2024-05", as_of="2024-05-17T12:00"), Settings(), CAL)
    assert (k["late"], k["late_days"]) == (1, 2)  # 05-16, 05-17


def test_nothing_late_in_a_week_with_earlier_submissions(docs):
    # every stage due before the cut-off was done on time: no late rows, not a frame re-indexed by accident
    k = document_kpis(docs.iloc[[2]], parse_period("2024-W21"), Settings(), CAL)
    assert (k["late"], k["late_days"]) == (0, 0)


def test_weekly_and_monthly_reports_are_due_the_next_working_day():
    from sscard_analysis.measures.documents import report_stages

    deliv = ledger_frame("deliverables", [
        dict(deliverable_id="W18", kind="周报", covers="2024-W18", submitted_on="2024-05-08"),  # due Mon 05-06: 2 working days late
        dict(deliverable_id="M09", kind="月报", covers="2024-09", submitted_on="2024-10-08"),  # due 10-08 after National Day
        dict(deliverable_id="M04", kind="月报", covers="2024年4月", submitted_on="2024-05-06"),  # due 05-06 after May Day
        dict(deliverable_id="W??", kind="周报", covers="第18周", submitted_on="2024-05-06"),  # unreadable period: no deadline
        dict(deliverable_id="P1", kind="业务流程规划文档", covers="2024-05", submitted_on="2024-07-01"),  # not a periodic report
    ])
    st = report_stages(deliv, CAL).set_index("doc_id")["deadline"]
    assert st.to_dict() == {"W18": pd.Timestamp("2024-05-06 23:59:59"), "M09": pd.Timestamp("2024-10-08 23:59:59"),
                            "M04": pd.Timestamp("2024-05-06 23:59:59")}
    empty_docs = ledger_frame("documents", [])
    k = document_kpis(empty_docs, parse_period("2024-05"), Settings(), CAL, deliv)
    assert (k["late"], k["late_days"]) == (1, 2)
    from sscard_analysis.contract.penalties import b11_documents

    items = b11_documents(empty_docs, parse_period("2024-05"), Settings(), CAL, deliv)
    assert [(i["basis"][:7], i["amount_yuan"]) for i in items] == [("办文 W18（", 200)]
