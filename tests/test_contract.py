"""Indicators A1–A21 and deductions B1–B11 on hand-computed fixtures (CONTRACT_RULES)."""

from datetime import date

import pandas as pd
import pytest
from _frames import dataset, ledger_frame
from scipy.stats import poisson

from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.config import Settings
from sscard_analysis.contract.indicators import _guide_checks, quota_status
from sscard_analysis.contract.kpi import compute_kpis
from sscard_analysis.contract.penalties import (
    b3_replacement, b4_pm_duties, b5_complaints, b8_absence, b9_b10_turnover, error_rate_amount,
    termination_triggers,
)
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.measures.staffing import _level_shortfall, roster_check, TABLE1_POSTS

CAL = WorkCalendar()
S = Settings(start=date(2024, 3, 1), price_yuan=4_800_000)


@pytest.mark.parametrize(
    "errors, volume, amount",
    [(39, 800, 0), (40, 800, 2000), (63, 800, 2000), (64, 800, 6000), (79, 800, 6000), (80, 800, 10000), (5, 0, 0), (1, 3, 10000)],
)
def test_error_rate_bands_exact(errors, volume, amount):
    assert error_rate_amount(errors, volume) == amount


def _pm(month, absent=0, poor=0, ok=20):
    rows = [dict(month=month, item=f"a{i}", attended=False) for i in range(absent)]
    rows += [dict(month=month, item=f"p{i}", attended=True, compliant=False) for i in range(poor)]
    rows += [dict(month=month, item=f"o{i}", attended=True, compliant=True) for i in range(ok)]
    return rows


@pytest.mark.parametrize("absent, poor, amount", [(2, 2, 0), (3, 0, 40_000), (4, 4, 40_000), (5, 0, 60_000), (0, 5, 60_000), (2, 3, 40_000)])
def test_pm_duty_bands(absent, poor, amount):
    pm = ledger_frame("pm_duties", _pm("2024-05-01", absent, poor))
    items, _ = b4_pm_duties(pm, S.monthly_fee_yuan, S.start, S.end)
    assert sum(i["amount_yuan"] for i in items) == amount


def _person(sid, post="银行网点现场服务支持", level="初级", onboard="2023-01-01", passed="2023-03-01", left=None, key=False, **kw):
    return dict(staff_id=sid, name="张三" + sid, post=post, level=level, onboard_on=onboard, probation_passed_on=passed,
                left_on=left, key_post=key, **kw)


def _team(n_stay, leavers, replacements=0, key_leavers=0, key_stay=0):
    rows = [_person(f"S{i}") for i in range(n_stay)]
    rows += [_person(f"L{i}", left="2024-06-15") for i in range(leavers)]
    rows += [_person(f"R{i}", onboard="2024-06-16", passed="2024-08-16") for i in range(replacements)]
    rows += [_person(f"KL{i}", key=True, left="2024-07-01") for i in range(key_leavers)]
    rows += [_person(f"KS{i}", key=True) for i in range(key_stay)]
    rows += [_person(f"KR{i}", key=True, onboard="2024-07-01", passed="2024-09-01") for i in range(key_leavers)]
    return ledger_frame("staff", rows)


# Average head count = mean over the 12 service months of (count on the 1st + count on the last day) / 2.
# Leavers' last day is 06-15; replacements are counted from 08-16.
@pytest.mark.parametrize(
    "stay, leavers, repl, per_leaver",
    [
        (6, 2, 0, 2000),  # Mar–May 8, Jun (8+6)/2 = 7, Jul–Feb 6: 79/12; t = 2 / (79/12) = 30.4%
        (6, 2, 2, 2000),  # 8 ×3, 7, Jul 6, Aug (6+8)/2 = 7, Sep–Feb 8 ×6: 92/12; t = 26.1%
        (6, 1, 1, 0),  # 7 ×3, 6.5, 6, 6.5, 7 ×6: 82/12; t = 14.6%
        (3, 2, 2, 3000),  # 5 ×3, 4, 3, 4, 5 ×6: 56/12; t = 42.9%
        (5, 3, 0, 3000),  # 8 ×3, 6.5, 5 ×8: 70.5/12; t = 51.1%
    ],
)
def test_turnover_bands(stay, leavers, repl, per_leaver):
    items, _, info = b9_b10_turnover(_team(stay, leavers, repl), S, date(2025, 2, 28))
    b10 = [i for i in items if i["rule"] == "B10"]
    assert sum(i["amount_yuan"] for i in b10) == per_leaver * leavers


def test_key_post_turnover_half():
    # key posts: KL's last day 07-01, KS all year, KR counted from 09-01:
    # Mar–Jun 2 ×4, Jul (2+1)/2, Aug 1, Sep–Feb 2 ×6 = 22.5 / 12 = 1.875; 1 / 1.875 = 53.3% -> 4,000 for the key leaver
    # all staff (6 more all year): about 7.9 on average, 1 leaver -> 12.7%: ordinary leavers would cost nothing
    items, _, info = b9_b10_turnover(_team(6, 0, 0, key_leavers=1, key_stay=1), S, date(2025, 2, 28))
    assert [i["amount_yuan"] for i in items if i["rule"] == "B10"] == [4000]
    assert info["key_post_rate"] == pytest.approx(8 / 15)


def test_probation_not_counted():
    # a leaver who never passed probation is not a leaver for turnover (3.6(1))
    staff = ledger_frame("staff", [_person(f"S{i}") for i in range(4)] + [_person("N", onboard="2024-05-01", passed=None, left="2024-06-01")])
    _, _, info = b9_b10_turnover(staff, S, date(2025, 2, 28))
    assert info["leavers"] == 0 and info["rate"] == 0


def test_absence_allowance():
    staff = ledger_frame("staff", [_person("W1"), _person("PM", post="综合规划（兼项目经理）", level="经理级")])
    att = ledger_frame("attendance", [
        dict(staff_id="W1", date="2024-05-06", kind="公司会议", days=3),  # 05-06..05-08
        dict(staff_id="W1", date="2024-06-03", kind="公司培训", days=2),  # 06-03, 06-04: 5 used
        dict(staff_id="W1", date="2024-07-01", kind="公司会议", days=1),  # 6th day: one absence
        dict(staff_id="W1", date="2024-07-02", kind="公司会议", days=0.5),  # a half day beyond: one more (worst case)
        dict(staff_id="W1", date="2024-07-03", kind="旷工", days=1),
        dict(staff_id="PM", date="2024-05-06", kind="公司会议", days=6),  # within the PM's 10 days
    ])
    items = b8_absence(att, staff, S.start, CAL)
    assert [(i["date"], i["amount_yuan"]) for i in items] == [("2024-07-01", 2000), ("2024-07-02", 2000), ("2024-07-03", 2000)]


def test_replacement_late_days():
    staff = ledger_frame("staff", [_person("U1", unfit_notice_on="2024-05-08", replaced_on="2024-05-24")])
    items = b3_replacement(staff, parse_period("2024-05").as_of, CAL)
    # 10 working days after 05-08: 05-09,10,11(Sat, worked),13,14,15,16,17,20,21 -> late 05-22, 05-23, 05-24
    assert [i["date"] for i in items] == ["2024-05-22", "2024-05-23", "2024-05-24"]
    assert sum(i["amount_yuan"] for i in items) == 900
    open_case = ledger_frame("staff", [_person("U2", unfit_notice_on="2024-05-08")])
    assert len(b3_replacement(open_case, parse_period("2024-05", as_of="2024-05-23T12:00").as_of, CAL)) == 2
    # "每延期1天": calendar days, the weekend of 05-25/26 included
    weekend = ledger_frame("staff", [_person("U3", unfit_notice_on="2024-05-08", replaced_on="2024-05-27")])
    assert [i["date"] for i in b3_replacement(weekend, parse_period("2024-05").as_of, CAL)] == [
        "2024-05-22", "2024-05-23", "2024-05-24", "2024-05-25", "2024-05-26", "2024-05-27"]


def test_complaints_and_flags():
    staff = ledger_frame("staff", [_person("W1")])
    rows = [dict(complaint_id=f"C{i}", received_on=f"2024-05-0{i + 1}", complainant="持卡人", staff_id="W1", valid=True) for i in range(3)]
    rows += [dict(complaint_id="C8", received_on="2024-05-08", complainant="持卡人", staff_id="W1", valid=False),
             dict(complaint_id="C9", received_on="2024-05-09", complainant="持卡人", valid=True, caused_by_operator=False),
             dict(complaint_id="C10", received_on="2024-05-09", complainant="网点", outlet_id="WD1", valid=True)]
    items, flags = b5_complaints(ledger_frame("complaints", rows), staff)
    assert sum(i["amount_yuan"] for i in items) == 900
    assert [f["date"] for f in flags] == ["2024-05-03"]
    assert "张*****" not in "".join(i["basis"] for i in items) and "张三" not in "".join(i["basis"] for i in items)


def test_termination_trigger_outlets_in_7_days():
    rows = [dict(complaint_id=f"C{i}", received_on=f"2024-05-{1 + i + (3 if i == 4 else 0):02d}", complainant="网点", outlet_id=f"WD{i}",
                 valid=True, serious=True) for i in range(5)]  # 05-01..05-04 and 05-08: 5 outlets within 05-02..05-08? no: 05-01 drops out
    assert termination_triggers(ledger_frame("complaints", rows)) == []
    rows[4]["received_on"] = "2024-05-07"  # 05-01..05-07 is a 7-day window
    flags = termination_triggers(ledger_frame("complaints", rows))
    assert [f["date"] for f in flags] == ["2024-05-07"]


def test_quota_pace_and_poisson():
    r = quota_status(25, 100, 73, 365, False, True, date(2024, 5, 12))
    assert r["status"] == "on_pace" and r["pace_target"] == 20 and r["projected"] == 125
    assert r["p_meet_target"] == pytest.approx(poisson.sf(74, 25 / 73 * 292), abs=1e-4)
    assert r["reach_date"] == "2024-12-17"  # 75 more at 25/73 a day: 219 days after 05-12
    assert quota_status(15, 100, 73, 365, False, True, date(2024, 5, 12))["status"] == "at_risk"
    assert quota_status(90, 100, 365, 365, True, True, date(2025, 2, 28))["status"] == "missed"
    assert quota_status(100, 100, 200, 365, False, True, date(2024, 9, 16))["status"] == "met"
    assert quota_status(1000, 150000, 100, 365, False, False, date(2024, 6, 8))["p_meet_target"] is None


def test_level_slots():
    need = TABLE1_POSTS["培训与宣传实施"][1]
    assert _level_shortfall(["高级", "高级", "初级"], need) == {}  # a 高级 fills the 中级 slot
    assert _level_shortfall(["中级", "初级", "初级"], need) == {"高级": 1}
    assert _level_shortfall(["初级"], {"中级": 2}) == {"中级": 2}


def test_roster_shortfalls():
    rows = []
    for post, (n, levels) in TABLE1_POSTS.items():
        lv = [lvl for lvl, k in levels.items() for _ in range(k)] or [None] * n
        rows += [_person(f"{post}{i}", post=post, level=lv[i] if i < len(lv) else None) for i in range(n)]
    full = ledger_frame("staff", rows)
    r = roster_check(full, date(2024, 5, 1))
    assert r["headcount"] == 41 and r["met"]
    one_short = ledger_frame("staff", [x for x in rows if x["staff_id"] != "专家坐席0"])
    r = roster_check(one_short, date(2024, 5, 1))
    assert not r["met"] and r["shortfalls"] == [{"post": "专家坐席", "need": 2, "have": 1, "missing_levels": {"高级": 1}}]


def test_guide_checks_per_working_day():
    # 05-06..05-12: working days 6,7,8,9,10 and Saturday 11 (adjusted); 1 check on the 11th
    rows = [dict(check_id=f"{d}-{i}", checked_at=f"2024-05-{d:02d} 10:0{i}", target="12345知识库") for d in range(6, 11) for i in range(2)]
    rows.append(dict(check_id="11-0", checked_at="2024-05-11 10:00", target="12345知识库"))
    ds = dataset(guide_checks=rows)
    r = _guide_checks(ds, parse_period("2024-05-06..2024-05-12"), CAL)
    assert (r["working_days"], r["value"], r["days_below"], r["status"]) == (6, 1, ["2024-05-11"], "missed")


def test_not_assessed_when_ledger_missing():
    ds = dataset(S, tickets=[])
    k = compute_kpis(ds, parse_period("2024-05", S))
    assert k["indicators"]["A4"]["status"] == "not_assessed" and "trainings" in k["indicators"]["A4"]["reason"]
    assert k["indicators"]["A1"]["status"] == "not_assessed"  # no ticket due
    assert {n["rule"] for n in k["penalties"]["not_assessed"]} >= {"B2", "B4", "B5", "B6", "B8", "B11"}


def test_penalty_total_is_sum_of_items_and_months_add_up():
    staff_rows = [_person("W1", unfit_notice_on="2024-05-08", replaced_on="2024-05-24", pay_below_standard_quarters="2024Q2, 2024Q3")]
    ds = dataset(S, staff=staff_rows,
                 errors=[dict(staff_id="W1", month="2024-05-01", volume=800, errors=40, spot_check_errors=3),
                         dict(staff_id="W1", month="2024-06-01", volume=100, errors=10, spot_check_errors=0)],
                 pm_duties=_pm("2024-06-01", absent=3),
                 complaints=[dict(complaint_id="C1", received_on="2024-06-02", complainant="持卡人", staff_id="W1", valid=True)],
                 attendance=[], documents=[dict(doc_id="D1", doc_type="规划方案", requested_at="2024-05-06 10:00", difficulty="中等",
                                                submitted_at="2024-05-13 09:00")])
    may = compute_kpis(ds, parse_period("2024-05", S))["penalties"]
    june = compute_kpis(ds, parse_period("2024-06", S))["penalties"]
    q2 = compute_kpis(ds, parse_period("2024-Q2", S))["penalties"]
    for p in (may, june, q2):
        assert p["total_yuan"] == sum(i["amount_yuan"] for i in p["items"])
    # May: B3 900 + B6 30 + B7 2000 + B11 400 (due 05-09, in 05-13: 4 calendar days late);
    # June: B2 2000 (Q2 ends 06-30) + B4 40,000 + B5 300 + B7 10,000
    assert may["total_yuan"] == 900 + 30 + 2000 + 400
    assert june["total_yuan"] == 2000 + 40_000 + 300 + 10_000
    assert q2["total_yuan"] == may["total_yuan"] + june["total_yuan"]
    assert q2["settlement"]["final_payment_yuan"] == 960_000
    assert june["settlement"]["deductions_to_date_yuan"] == q2["total_yuan"]


def test_quota_indicators_count_what_the_contract_counts():
    from sscard_analysis.contract.indicators import compute_indicators

    s = Settings(start=date(2024, 3, 1))
    ds = dataset(
        s,
        deliverables=[dict(deliverable_id=f"P{i}", kind="业务流程规划文档", submitted_on=f"2024-0{3 + i}-10") for i in range(3)]
        + [dict(deliverable_id="F1", kind="应用可行性报告", submitted_on="2024-04-01"),
           dict(deliverable_id="C3", kind="应用案例分析报告", covers="2024-03", submitted_on="2024-04-02"),
           dict(deliverable_id="C5", kind="应用案例分析报告", submitted_on="2024-05-20")],
        publications=[dict(pub_id="1", published_on="2024-03-05", kind="海报", copies=1000),
                      dict(pub_id="2", published_on="2024-04-05", kind="宣传折页", copies=2500),
                      dict(pub_id="3", published_on="2024-04-06", kind="视频", copies=99),
                      dict(pub_id="4", published_on="2024-06-06", kind="展架", copies=7)],
        outlet_inspections=[dict(inspection_id=str(i), outlet_id=f"WD{i % 3}", inspected_on="2024-04-01") for i in range(7)],
        applications=[dict(app_id="1", name="a", stage="已上线", launched_on="2024-05-01", feasibility_report_on="2024-03-20"),
                      dict(app_id="2", name="b", stage="测试", feasibility_report_on="2024-04-20"),
                      dict(app_id="3", name="c", stage="已上线", launched_on="2023-12-01")],
    )
    p = parse_period("2024-05", s)
    ind = compute_indicators(ds, p, compute_kpis(ds, p, contract=False), CAL)
    assert (ind["A3"]["value"], ind["A3"]["period_value"]) == (3, 1)  # 03-10, 04-10, 05-10
    assert ind["A8"]["value"] == 3500 and ind["A8"]["p_meet_target"] is None  # posters + leaflets by 05-31; videos are not printed copies
    assert ind["A11"]["value"] == 3  # 7 visits to 3 distinct outlets
    assert ind["A16"]["value"] == 2  # one report in 成果台账, two dates in 应用目录: the larger count
    assert ind["A17"]["value"] == 1  # launched before the service start does not count
    # A20, one a month: C3 fills March by its covers; C5 names no month and fills the earliest open month begun by
    # 05-20, April. Due by 05-31: March (04-01) and April (05-06); May is due 06-03. 2 of 2 due, target 12 months.
    assert (ind["A20"]["value"], ind["A20"]["due"], ind["A20"]["target"], ind["A20"]["status"]) == (2, 2, 12, "on_pace")
    so_far = compute_indicators(ds, parse_period("contract", s, as_of="2024-05-31T23:59:59"), compute_kpis(ds, p, contract=False), CAL)
    assert (so_far["A20"]["value"], so_far["A20"]["missing"]) == (2, [])
    # A14: ledger present, no weekly report yet; weeks 2024-W09..W21 are due by 05-31: 13 × 50/53 = 12.26
    assert (ind["A14"]["value"], ind["A14"]["status"], ind["A14"]["pace_target"]) == (0, "at_risk", 12.26)
    elapsed = 92  # 2024-03-01 .. 2024-05-31
    assert ind["A3"]["pace_target"] == round(12 * elapsed / 365, 2)
    assert ind["A3"]["projected"] == round(3 / elapsed * 365, 1)


def test_b1_only_at_the_end_of_the_service():
    s = Settings(start=date(2024, 3, 1))
    ds = dataset(s, trainings=[dict(training_id="1", held_on="2024-03-05", kind="内部培训")])
    during = compute_kpis(ds, parse_period("contract", s, as_of="2024-12-31T23:59:59"))
    assert not [i for i in during["penalties"]["items"] if i["rule"] == "B1"]
    assert during["indicators"]["A4"]["status"] == "at_risk"
    # the assessment day is the first working day after the service end (Fri 02-28): Mon 2025-03-03
    after = compute_kpis(ds, parse_period("contract", s, as_of="2025-03-04T00:00:00"))
    b1 = [i["basis"][:3] for i in after["penalties"]["items"] if i["rule"] == "B1"]
    # A4, A5, A6 missed (trainings present); ledgers absent are not assessed, never charged
    assert b1 == ["A4 ", "A5 ", "A6 "] and after["indicators"]["A3"]["status"] == "not_assessed"


def test_pay_flag_five_people_in_a_quarter():
    from sscard_analysis.contract.penalties import b2_pay

    staff = ledger_frame("staff", [_person(f"W{i}", pay_below_standard_quarters="2024Q3") for i in range(5)] + [_person("X", pay_below_standard_quarters="2024Q4")])
    items, flags, unreadable = b2_pay(staff)
    assert sum(i["amount_yuan"] for i in items) == 12000 and {i["date"] for i in items} == {"2024-09-30", "2024-12-31"}
    assert [f["basis"] for f in flags] == ["2024-Q3：5 人"] and unreadable == []


def test_pm_deduction_charged_once_in_the_period_holding_the_month_end():
    ds = dataset(S, pm_duties=_pm("2024-05-01", absent=6))
    weeks = [compute_kpis(ds, parse_period(f"2024-W{w}", S))["penalties"]["total_yuan"] for w in range(18, 23)]
    assert weeks == [0, 0, 0, 0, 60_000]  # only 2024-W22 holds 05-31
    assert compute_kpis(ds, parse_period("2024-05-06..2024-05-19", S))["penalties"]["total_yuan"] == 0
    assert compute_kpis(ds, parse_period("2024-05", S))["penalties"]["total_yuan"] == 60_000


def test_guide_checks_only_on_service_days():
    rows = [dict(check_id=f"{d}-{i}", checked_at=f"{d} 10:0{i}", target="12345知识库")
            for d in pd.date_range("2024-03-01", "2024-03-31").strftime("%Y-%m-%d") for i in range(2)]
    r = _guide_checks(dataset(S, guide_checks=rows), parse_period("2024-Q1", S), CAL)
    assert (r["working_days"], r["value"]) == (21, 0)  # March 2024 only: January and February are before the service


def test_leave_flag_dated_on_the_fifth_day_in_any_period():
    from sscard_analysis.measures.staffing import leave_flags

    att = ledger_frame("attendance", [dict(staff_id="W1", date=f"2024-05-{d:02d}", kind="事假", days=1) for d in (7, 9, 13, 15, 17)])
    flags = leave_flags(att, CAL, date(2024, 5, 6), date(2024, 5, 19))
    assert [(f["kind"], f["until"]) for f in flags] == [("month", "2024-05-17")]
    assert leave_flags(att, CAL, date(2024, 5, 18), date(2024, 5, 31)) == []
    sick = ledger_frame("attendance", [dict(staff_id="W2", date="2024-05-09", kind="病假", days=6)])  # 09,10,11(Sat, worked),13,14,15
    assert [(f["kind"], f["until"]) for f in leave_flags(sick, CAL, date(2024, 5, 1), date(2024, 5, 31))] == [
        ("month", "2024-05-14"), ("consecutive", "2024-05-14")]


def test_leave_the_calendar_cannot_place_is_left_out():
    from sscard_analysis.measures.staffing import leave_flags

    last = CAL.years[-1]
    # 病假 of 8 days from the last known working days of the calendar's last year (12-25 … 12-31 are 5 working days,
    # then the days run into a year nobody described), plus a row dated in an unknown year: neither stops the
    # computation; the five placed days still make a consecutive flag, dated on the fifth.
    fifth = CAL.add_workdays(date(last, 12, 24), 5)
    att = ledger_frame("attendance", [dict(staff_id="W3", date=f"{last}-12-25", kind="病假", days=8),
                                      dict(staff_id="W4", date=f"{last + 5}-03-02", kind="事假", days=6)])
    flags = leave_flags(att, CAL, date(last, 12, 1), date(last, 12, 31))
    assert [(f["staff_id"], f["kind"], f["until"]) for f in flags if f["kind"] == "consecutive"] == [("W3", "consecutive", fifth.isoformat())]


def test_pay_quarter_running_past_the_service_end():
    from sscard_analysis.contract.penalties import b2_pay

    staff = ledger_frame("staff", [_person("W1", pay_below_standard_quarters="2023Q4,2024Q2,2025Q1")])
    items, _, _ = b2_pay(staff, date(2024, 3, 1), date(2025, 2, 28))
    assert [i["date"] for i in items] == ["2024-06-30", "2025-02-28"]  # 2023Q4 is before the service


def test_unfit_flag_counts_only_workers_still_on_the_team():
    rows = [_person("S1"), _person("S2", unfit_notice_on="2024-04-01", replaced_on="2024-04-15", left="2024-04-15"),
            _person("S3", onboard="2024-04-15")]
    k = compute_kpis(dataset(S, staff=rows), parse_period("2024-06", S))
    assert not [f for f in k["flags"] if f["clause"] == "3.2(3)"]
    rows[1] = _person("S2", unfit_notice_on="2024-06-03")  # notified, not yet replaced: 1 of 3 > 10%
    k = compute_kpis(dataset(S, staff=rows), parse_period("2024-06", S))
    assert [f["basis"] for f in k["flags"] if f["clause"] == "3.2(3)"] == ["1 / 3 人"]


# ------------------------------------------------------------------ second audit (issue 8)


def test_leaving_on_the_last_service_day_is_not_turnover():
    # finding 2: ten counted people all leave on 2025-02-28, the service's last day: the end of the service, not turnover
    rows = [_person(f"S{i}", left="2025-02-28") for i in range(10)] + [_person("E", left="2025-02-27")]
    ds = dataset(Settings(start=date(2024, 3, 1), promised_turnover_rate=0.10), staff=rows)
    k = compute_kpis(ds, parse_period("contract", ds.settings))
    # only E, whose last day is 02-27, left during the service. Counted: 11 in every month but February, (11 + 10) / 2:
    # average (11 × 11 + 10.5) / 12 = 131.5/12; t = 12 / 131.5 = 9.13%: no B9 (promised 10%), no B10
    assert (k["turnover"]["leavers"], k["turnover"]["average_headcount"]) == (1, pytest.approx(131.5 / 12))
    assert k["turnover"]["rate"] == pytest.approx(12 / 131.5)
    assert not [i for i in k["penalties"]["items"] if i["rule"] in ("B9", "B10")]
    # left_on is the last day on the team: the ten are still on it on 02-28
    assert k["indicators"]["A21"]["headcount"] == 10


def test_b9_uses_the_service_period_rate():
    # finding 3: 10 counted all year, 2 leave with 06-14 as their last day and are not replaced.
    # Average head count: Mar–May 10, Jun (10 + 8) / 2 = 9, Jul–Feb 8: (30 + 9 + 64) / 12 = 103/12.
    # t = 2 / (103/12) = 24/103 = 23.30%: 13 full points above the promised 10% -> 130,000 (no B10: t < 25%).
    # The mean of monthly rates (2/9 in June, 0 otherwise: 1.85%) never reached the promise.
    rows = [_person(f"S{i}") for i in range(8)] + [_person(f"L{i}", left="2024-06-14") for i in range(2)]
    items, _, info = b9_b10_turnover(ledger_frame("staff", rows), Settings(start=date(2024, 3, 1), promised_turnover_rate=0.10),
                                     date(2025, 2, 28))
    assert info["rate"] == pytest.approx(24 / 103) and info["average_headcount"] == pytest.approx(103 / 12)
    assert [(i["rule"], i["amount_yuan"]) for i in items] == [("B9", 130_000)]


def test_turnover_on_the_statistical_average_head_count():
    # finding 4: 10 counted from before the service; 37 join on 03-01 and pass probation on 05-01; 7 of them leave
    # with 09-30 as their last day. Counted: Mar, Apr 10; May–Sep 47; Oct–Feb 40: (20 + 235 + 200) / 12 = 455/12.
    # t = 7 / (455/12) = 84/455 = 18.46%: below 25%, no B10. (Start and end only, (10 + 40) / 2 = 25, gave 28%.)
    rows = [_person(f"S{i}") for i in range(10)]
    rows += [_person(f"N{i}", onboard="2024-03-01", passed="2024-05-01") for i in range(30)]
    rows += [_person(f"L{i}", onboard="2024-03-01", passed="2024-05-01", left="2024-09-30") for i in range(7)]
    items, _, info = b9_b10_turnover(ledger_frame("staff", rows), S, date(2025, 2, 28))
    assert info["average_headcount"] == pytest.approx(455 / 12) and info["rate"] == pytest.approx(84 / 455)
    assert info["leavers"] == 7 and not [i for i in items if i["rule"] == "B10"]


def test_part_month_at_the_service_end_is_charged_on_its_last_day():
    # finding 5: service 2024-03-15..2025-03-14, monthly fee 4,800,000 / 12 = 400,000.
    # March 2025 (03-01..03-14) is the part month at the end: B4 6 absences -> 15% = 60,000; B6 3 × 10 = 30;
    # B7 10/100 = 10% -> 10,000; all charged on the service's last day 03-14. March 2024 (part month at the start):
    # B6 2 × 10 = 20 on 03-31. February 2024 is before the service: nothing.
    s = Settings(start=date(2024, 3, 15), price_yuan=4_800_000)
    ds = dataset(s, staff=[_person("W1")], pm_duties=_pm("2025-03-01", absent=6),
                 errors=[dict(staff_id="W1", month="2025-03-01", volume=100, errors=10, spot_check_errors=3),
                         dict(staff_id="W1", month="2024-03-01", volume=100, errors=0, spot_check_errors=2),
                         dict(staff_id="W1", month="2024-02-01", volume=100, errors=0, spot_check_errors=9)])
    pen = compute_kpis(ds, parse_period("contract", s))["penalties"]
    monthly = [(i["rule"], i["amount_yuan"], i["date"]) for i in pen["items"] if i["rule"] in ("B4", "B6", "B7")]
    assert monthly == [("B4", 60_000, "2025-03-14"), ("B6", 20, "2024-03-31"), ("B6", 30, "2025-03-14"), ("B7", 10_000, "2025-03-14")]
    assert compute_kpis(ds, parse_period("2024-02", s))["penalties"]["total_yuan"] == 0


def _full_roster(**changes):
    rows = []
    for post, (n, levels) in TABLE1_POSTS.items():
        lv = [lvl for lvl, k in levels.items() for _ in range(k)] or [None] * n
        rows += [_person(f"{post}{i}", post=post, level=lv[i] if i < len(lv) else None) for i in range(n)]
    return [dict(r, **changes.get(r["staff_id"], {})) for r in rows]


def test_staffing_counts_person_days_per_post_and_level():
    # finding 6: one of the two 服务规划 高级 leaves with 2024-03-31 as the last day; a 高级 replacement arrives 2025-02-21.
    # 2024-03-01..2025-02-28 = 365 days: 服务规划 needs 2 × 365 = 730 person-days and has 365 + 31 + 8 = 404: 326 short,
    # all 高级. The cut-off day has 41 on the team; 04-01..02-20 (326 days) had 40.
    rows = _full_roster(服务规划1={"left_on": "2024-03-31"})
    rows.append(_person("R1", post="服务规划", level="高级", onboard="2025-02-21"))
    k = compute_kpis(dataset(S, staff=rows), parse_period("contract", S))
    a21 = k["indicators"]["A21"]
    assert a21["status"] == "missed" and (a21["value"], a21["target"], a21["days"]) == (41 * 365 - 326, 41 * 365, 365)
    assert a21["shortfalls"] == [{"post": "服务规划", "need_days": 730, "have_days": 404, "short_days": 326, "levels_short": {"高级": 326}}]
    assert (a21["headcount"], a21["days_below_minimum"]) == (41, 326)
    assert [f["basis"] for f in k["flags"] if f["clause"] == "2.3(1)"] == ["2024-04-01 至 2025-02-20 共 326 天，最少 40 人"]
    # the full roster all year meets 表1
    assert compute_kpis(dataset(S, staff=_full_roster()), parse_period("contract", S))["indicators"]["A21"]["status"] == "met"


def test_staffing_levels_a_higher_level_fills_a_lower_slot():
    # 专家坐席 needs 高级 1 + 中级 1. Two 高级: met. Two 中级: head count met but 365 高级 person-days short.
    higher = _full_roster(专家坐席1={"level": "高级"})
    assert compute_kpis(dataset(S, staff=higher), parse_period("contract", S))["indicators"]["A21"]["status"] == "met"
    lower = _full_roster(专家坐席0={"level": "中级"})
    a21 = compute_kpis(dataset(S, staff=lower), parse_period("contract", S))["indicators"]["A21"]
    assert a21["shortfalls"] == [{"post": "专家坐席", "need_days": 730, "have_days": 730, "short_days": 0, "levels_short": {"高级": 365}}]


def test_pay_quarters_in_every_usual_form():
    # finding 7: five ways of writing the third quarter of 2024 are one quarter: 5 × 2,000 on 09-30 and the 5-person flag;
    # "2024秋季" cannot be read: a warning naming the worker, never silently skipped
    from sscard_analysis.contract.penalties import b2_pay

    labels = ["2024年第3季度", "2024年三季度", "2024Q3", "2024-Q3", "2024年第三季度"]
    rows = [_person(f"W{i}", pay_below_standard_quarters=q) for i, q in enumerate(labels)]
    rows.append(_person("X", pay_below_standard_quarters="2024年3季度, 2024秋季"))
    items, flags, unreadable = b2_pay(ledger_frame("staff", rows), date(2024, 3, 1), date(2025, 2, 28))
    assert [(i["amount_yuan"], i["date"]) for i in items] == [(2000, "2024-09-30")] * 6
    assert [f["basis"] for f in flags] == ["2024-Q3：6 人"]
    assert [(u["who"], u["label"]) for u in unreadable] == [("张**（X）", "2024秋季")]
    k = compute_kpis(dataset(S, staff=rows), parse_period("2024-Q3", S))
    assert [f["basis"] for f in k["flags"] if f["flag"].startswith("数据提示：工资")] == ["张**（X）：“2024秋季”"]


def test_a_meeting_on_a_rest_day_takes_no_service_day():
    # finding 10: W1 has used the 5 allowed days (05-06..05-10). A meeting on Sunday 05-12 and 旷工 on Sunday 05-19 take
    # no service day. A 3-day training from Saturday 06-01 covers 06-01, 06-02 (rest) and Monday 06-03: one working day,
    # the 6th: one absence, 2,000 on 06-03.
    staff = ledger_frame("staff", [_person("W1")])
    att = ledger_frame("attendance", [
        dict(staff_id="W1", date="2024-05-06", kind="公司会议", days=5),
        dict(staff_id="W1", date="2024-05-12", kind="公司会议", days=1),
        dict(staff_id="W1", date="2024-05-19", kind="旷工", days=1),
        dict(staff_id="W1", date="2024-06-01", kind="公司培训", days=3),
    ])
    assert [(i["date"], i["amount_yuan"]) for i in b8_absence(att, staff, S.start, CAL)] == [("2024-06-03", 2000)]


def test_pm_month_with_fewer_than_20_items_is_a_data_warning():
    # finding 13: 3.3(1) asks for at least 20 items a month; May holds 12 (3 absent -> 10% = 40,000), June none
    pm = ledger_frame("pm_duties", _pm("2024-05-01", absent=3, ok=9) + _pm("2024-07-01"))
    items, flags = b4_pm_duties(pm, S.monthly_fee_yuan, S.start, S.end)
    assert [(i["amount_yuan"], i["date"]) for i in items] == [(40_000, "2024-05-31")]
    short = {f["date"]: f["basis"] for f in flags}
    assert short["2024-05-31"] == "2024-05 仅记录 12 项（3.3(1) 要求每月至少20项）"
    assert short["2024-06-30"].startswith("2024-06 仅记录 0 项") and "2024-07-31" not in short


def test_not_assessed_lists_each_rule_once_in_chinese():
    # finding 13: no ledger at all: B2–B11 each once, the reason in Chinese naming the ledgers
    k = compute_kpis(dataset(S), parse_period("contract", S))
    rules = [n["rule"] for n in k["penalties"]["not_assessed"]]
    assert rules == ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11"]
    reasons = {n["rule"]: n["reason"] for n in k["penalties"]["not_assessed"]}
    assert reasons["B8"] == "缺少请假与出勤记录（attendance）、人员名册（staff），无法评估"
    assert k["indicators"]["A15"]["reason"] == "缺少成果台账（deliverables），无法评估"
    # targets stay numbers (the report tables format them): A20 one a month, 12; A21 the 41 of 2.3(1)
    assert (k["indicators"]["A20"]["target"], k["indicators"]["A21"]["target"]) == (12, 41)


def test_replacement_basis_says_the_deadline_day_is_included():
    staff = ledger_frame("staff", [_person("U1", unfit_notice_on="2024-05-08", replaced_on="2024-05-22")])
    items = b3_replacement(staff, parse_period("2024-05").as_of, CAL)
    assert "应于 2024-05-21 当日（含）前到岗" in items[0]["basis"]
