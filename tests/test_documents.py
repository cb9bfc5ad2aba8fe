"""Document deadlines and late days (3.7(1), 表2), hand-computed on May–June 2024."""

from datetime import date

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


WORKING = Settings(late_day_basis="working")


def test_may(docs):
    k = document_kpis(docs, parse_period("2024-05"), Settings(), CAL)
    # D1, D4, D6 revision; D2 is due at 23:59:59 of 05-31, the cut-off itself: not yet past due in May
    assert k["late"] == 3
    # calendar days (3.7(1) "每延迟1天"): D1 05-10..05-13 = 4; D4 open 05-16..05-31 = 16; D6 revision 05-22 = 1
    assert k["late_days"] == 4 + 0 + 16 + 1
    assert k["no_deadline"] == 1
    # working days: D1 05-10, 05-11 (worked Sat), 05-13 = 3; D4 12 working days; D6 1
    assert document_kpis(docs, parse_period("2024-05"), WORKING, CAL)["late_days"] == 3 + 0 + 12 + 1


def test_june(docs):
    k = document_kpis(docs, parse_period("2024-06"), Settings(), CAL)
    assert k["late"] == 1  # D7
    # D2: 06-01..06-04 = 4; D4 still open: all 30 days of June; D7 due Fri 06-07, in Mon 06-10: 06-08, 09, 10 = 3
    assert k["late_days"] == 4 + 30 + 3
    # working days: D2 06-03, 06-04; D4 19 working days in June 2024; D7: no working day late -> 1 day
    assert document_kpis(docs, parse_period("2024-06"), WORKING, CAL)["late_days"] == 2 + 19 + 1


@pytest.mark.parametrize("settings, total", [(Settings(), 21 + 37), (WORKING, 16 + 22)])
def test_months_add_up(docs, settings, total):
    both = document_kpis(docs, parse_period("2024-05-01..2024-06-30"), settings, CAL)
    may = document_kpis(docs, parse_period("2024-05"), settings, CAL)
    june = document_kpis(docs, parse_period("2024-06"), settings, CAL)
    assert both["late"] == 5  # D2 counts where its deadline falls once it is known to be late
    assert both["late_days"] == may["late_days"] + june["late_days"] == total


def test_lateness_is_in_calendar_days_by_default(docs):
    # finding 9: "每延迟1天" is a calendar day; D1 due Thu 05-09, in Mon 05-13: 05-10, 11, 12, 13
    assert Settings().late_day_basis == "calendar"
    assert document_kpis(docs.iloc[[0]], parse_period("2024-05"), Settings(), CAL)["late_days"] == 4
    assert document_kpis(docs.iloc[[0]], parse_period("2024-05"), WORKING, CAL)["late_days"] == 3  # the 12th is a Sunday


def test_as_of_unsubmitted(docs):
    k = document_kpis(docs.iloc[[3]], parse_period("2024-05", as_of="2024-05-17T12:00"), Settings(), CAL)
    assert (k["late"], k["late_days"]) == (1, 2)  # 05-16, 05-17


def test_nothing_late_in_a_week_with_earlier_submissions(docs):
    # every stage due before the cut-off was done on time: no late rows, not a frame re-indexed by accident
    k = document_kpis(docs.iloc[[2]], parse_period("2024-W21"), Settings(), CAL)
    assert (k["late"], k["late_days"]) == (0, 0)


def _on_time_reports(first_week: int, last_week: int, skip=(), months=("2024-03", "2024-04", "2024-05")) -> list[dict]:
    """Weekly reports for ISO weeks of 2024 handed in on the Monday after (never later than the first working day
    after the Sunday), monthly reports on the 1st of the next month."""
    rows = [dict(deliverable_id=f"W{w}", kind="周报", covers=f"2024-W{w:02d}", submitted_on=date.fromisocalendar(2024, w + 1, 1).isoformat())
            for w in range(first_week, last_week + 1) if w not in skip]
    rows += [dict(deliverable_id=f"M{m}", kind="月报", covers=m, submitted_on=(pd.Timestamp(m + "-01") + pd.offsets.MonthBegin(1)).date().isoformat())
             for m in months]
    return rows


def test_report_deadlines_are_the_next_working_day():
    from sscard_analysis.measures.documents import report_stages

    deliv = ledger_frame("deliverables", [
        dict(deliverable_id="W18", kind="周报", covers="2024-W18", submitted_on="2024-05-08"),
        dict(deliverable_id="M09", kind="月报", covers="2024-09", submitted_on="2024-10-08"),
        dict(deliverable_id="M04", kind="月报", covers="2024年4月", submitted_on="2024-05-06"),
    ])
    st = report_stages(deliv, Settings(), CAL).set_index("doc_id")
    # W18 ends Sun 05-05 (May Day holiday): due Mon 05-06; September: due 10-08 after National Day; April: due 05-06
    assert st.loc["周报 2024-W18", "deadline"] == pd.Timestamp("2024-05-06 23:59:59")
    assert st.loc["月报 2024-09", "deadline"] == pd.Timestamp("2024-10-08 23:59:59")
    assert st.loc["月报 2024-04", "deadline"] == pd.Timestamp("2024-05-06 23:59:59")
    assert st.loc["月报 2024-04", "done_at"] == pd.Timestamp("2024-05-06")  # "2024年4月" is April
    # the service calendar expects one per ISO week overlapping 2024-03-01..2025-02-28 (W09 2024 .. W09 2025 = 53)
    # and one per month (12), whether or not the ledger has them
    assert (st["doc_type"] == "周报").sum() == 53 and (st["doc_type"] == "月报").sum() == 12
    # with report_due_workdays = 0 a report is due by the last day it covers
    zero = report_stages(deliv, Settings(report_due_workdays=0), CAL).set_index("doc_id")
    assert zero.loc["周报 2024-W18", "deadline"] == pd.Timestamp("2024-05-05 23:59:59")


def test_a_report_never_submitted_is_late_through_the_cut_off():
    # finding 8: every week W09..W21 and every month in on time, except the week 2024-W18 (04-29..05-05), never handed in.
    # It was due Mon 05-06 23:59:59: late from 05-07 through the cut-off 05-31 = 25 calendar days, 100 yuan each.
    from sscard_analysis.contract.penalties import b11_documents

    deliv = ledger_frame("deliverables", _on_time_reports(9, 21, skip=(18,)))
    empty_docs = ledger_frame("documents", [])
    may = parse_period("2024-05")
    k = document_kpis(empty_docs, may, Settings(), CAL, deliv)
    assert (k["late"], k["late_days"]) == (1, 25)
    items = b11_documents(empty_docs, may, Settings(), CAL, deliv)
    assert sum(i["amount_yuan"] for i in items) == 2500
    # one line per late day, dated that day (never the period end for all of them)
    assert [i["date"] for i in items] == [f"2024-05-{d:02d}" for d in range(7, 32)]
    assert "周报 2024-W18" in items[0]["basis"] and "未报送" in items[0]["basis"]
    # handed in on Wed 05-08 instead: 05-07 and 05-08, 200 yuan
    late = ledger_frame("deliverables", _on_time_reports(9, 21, skip=(18,)) + [
        dict(deliverable_id="W18", kind="周报", covers="2024年第18周", submitted_on="2024-05-08")])
    assert sum(i["amount_yuan"] for i in b11_documents(empty_docs, may, Settings(), CAL, late)) == 200


def test_b11_weeks_add_up_to_the_month():
    from sscard_analysis.contract.penalties import b11_documents

    deliv = ledger_frame("deliverables", _on_time_reports(9, 21, skip=(18,)))
    empty_docs = ledger_frame("documents", [])
    spans = ["2024-05-01..2024-05-05", "2024-W19", "2024-W20", "2024-W21", "2024-05-27..2024-05-31"]
    weeks = [sum(i["amount_yuan"] for i in b11_documents(empty_docs, parse_period(p), Settings(), CAL, deliv)) for p in spans]
    # 05-07..05-12 = 6 days in W19, 7 in W20, 7 in W21, 05-27..05-31 = 5: 25 days
    assert weeks == [0, 600, 700, 700, 500]


def test_a_missing_report_on_the_last_month_is_charged_on_the_service_end():
    # the service ends Fri 2025-02-28; the report on February is due Mon 2025-03-03 and never comes. At the cut-off
    # 2025-03-06 it is late 03-04, 03-05, 03-06: 3 × 100, charged on the service's last day (never dropped);
    # the report on 2025-W09 (02-24..03-02), due 03-03 too, likewise: 600 in all, in the period holding 02-28 only.
    from sscard_analysis.contract.penalties import b11_documents

    s = Settings(start=date(2024, 3, 1))
    rows = [dict(deliverable_id=f"M{m}", kind="月报", covers=m, submitted_on=(pd.Timestamp(m + "-01") + pd.offsets.MonthBegin(1)).date().isoformat())
            for m in pd.period_range("2024-03", "2025-01", freq="M").strftime("%Y-%m")]
    monday = date(2024, 2, 26)
    while monday < date(2025, 2, 24):
        y, w, _ = monday.isocalendar()
        rows.append(dict(deliverable_id=f"W{y}{w}", kind="周报", covers=f"{y}-W{w:02d}", submitted_on=(monday + pd.Timedelta(days=7)).isoformat()))
        monday += pd.Timedelta(days=7)
    deliv, docs = ledger_frame("deliverables", rows), ledger_frame("documents", [])
    items = b11_documents(docs, parse_period("contract", s, as_of="2025-03-06T18:00"), s, CAL, deliv)
    assert [(i["date"], i["amount_yuan"]) for i in items] == [("2025-02-28", 100)] * 6
    assert "2025-03-04 为超时第 1 天（服务期结束后，计入服务期最后一日）" in items[0]["basis"]
    assert b11_documents(docs, parse_period("2025-02", s, as_of="2025-03-06T18:00"), s, CAL, deliv) == items
    assert b11_documents(docs, parse_period("2025-03", s, as_of="2025-03-06T18:00"), s, CAL, deliv) == []


def test_deadline_the_calendar_cannot_know_is_not_assessed():
    # A request dated in a year no calendar describes (2031) and one whose 5-working-day deadline would run past
    # the last known day: both get no deadline (NaT) instead of stopping the computation; the May row is unaffected.
    last_year = CAL.years[-1]
    docs = ledger_frame("documents", [
        D("F1", "规划方案", "2031-03-02 09:00", "中等"),
        D("F2", "规划方案", f"{last_year}-12-31 09:00", "中等", rev_req=f"{last_year}-12-31 10:00"),
        D("M1", "规划方案", "2024-05-06 10:00", "中等", submitted="2024-05-13 09:00"),  # due 05-09, as D1 above
    ])
    st = document_stages(docs, Settings(), CAL)
    assert list(zip(st["doc_id"], st["stage"])) == [("F1", "初稿"), ("F2", "初稿"), ("F2", "修改"), ("M1", "初稿")]
    assert st["deadline"].isna().tolist() == [True, True, True, False]
    k = document_kpis(docs, parse_period("2024-05"), Settings(), CAL)
    assert k["late"] == 1 and k["late_days"] == 4  # M1: 05-10..05-13
