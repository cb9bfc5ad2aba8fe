"""The 表3 checklist on small inline ledgers (delivery/checklist.py)."""

from datetime import date, datetime

import pytest

from sscard_analysis.config import Settings
from sscard_analysis.dates.calendar import calendar_for
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.delivery.checklist import (
    MISSING,
    NOT_APPLICABLE,
    PRESENT,
    assessment_day,
    build_checklist,
    expected_reports,
    normalize_covers,
    second_payment_due,
    stage_period,
)
from tests._frames import dataset

S = Settings()  # service 2024-03-01 .. 2025-02-28
CAL = calendar_for(S)
MAY = parse_period("2024-05", S)  # cut-off 2024-05-31 23:59:59


def _row(check, title, span_start):
    hit = check[(check["交付文档"] == title) & check["期间"].str.startswith(span_start)]
    assert len(hit) == 1, (title, span_start, check[["交付文档", "期间"]].to_string())
    return hit.iloc[0]


@pytest.fixture
def may_ds():
    return dataset(
        trainings=[{"training_id": "T1", "held_on": "2024-05-08", "kind": "内部培训"}],
        publications=[{"pub_id": "P1", "published_on": "2024-03-20", "kind": "培训材料", "title": "网点业务培训手册"}],
        # on-site inspections only in April: May has none
        outlet_inspections=[{"inspection_id": "I1", "outlet_id": "W1", "inspected_on": "2024-04-22"}],
        phone_checks=[{"check_id": "K1", "outlet_id": "W1", "checked_at": "2024-05-09 10:00", "answered": True}],
        errors=[{"staff_id": "S1", "month": "2024-05-01", "volume": 100, "errors": 2}],
        deliverables=[
            {"deliverable_id": "C18", "kind": "周报", "covers": "2024-W18", "submitted_on": "2024-05-07"},
            {"deliverable_id": "C19", "kind": "周报", "covers": "2024年第19周", "submitted_on": "2024-05-13"},
            # W20 was never filed
            {"deliverable_id": "C21", "kind": "周报", "covers": "2024-W21", "submitted_on": "2024-05-27"},
            {"deliverable_id": "C22", "kind": "周报", "covers": "2024-W22", "submitted_on": "2024-06-03"},
        ],
    )


def test_month_checklist_statuses(may_ds):
    check = build_checklist(may_ds, MAY, "second-payment", CAL, {"trainings:2024-05": "02_台账/2024-05/培训.xlsx"})
    t = _row(check, "各月培训记录", "2024-05")
    assert (t["状态"], t["对应文件"], t["说明"]) == (PRESENT, "02_台账/2024-05/培训.xlsx", "1 条记录")
    assert _row(check, "各月网点现场检查记录", "2024-05")["状态"] == MISSING  # the only inspection is in April
    assert _row(check, "各月网点电话巡检记录", "2024-05")["状态"] == PRESENT
    support = _row(check, "二线支持记录", "2024-05")
    assert support["状态"] == MISSING and "没有“二线支持记录”台账文件" in support["说明"]
    assert _row(check, "培训教材", "2024-03-01")["状态"] == PRESENT  # filed in March, still the month's material
    # W18 (Apr 29 – May 5, the Labour Day holiday) is due on Mon May 6; filed May 7: present, 1 day late
    w18 = _row(check, "周报", "2024-W18")
    assert w18["状态"] == PRESENT and "期限 2024-05-06" in w18["说明"] and "逾期 1 天" in w18["说明"]
    assert _row(check, "周报", "2024-W19")["状态"] == PRESENT  # "2024年第19周" is read as 2024-W19
    w20 = _row(check, "周报", "2024-W20")
    assert w20["状态"] == MISSING and "期限 2024-05-20 已过" in w20["说明"]
    # W22 ends on Sunday June 2: it belongs to June, not to this package
    assert not check["期间"].str.startswith("2024-W22").any()
    # May's monthly report is due on Mon June 3, after the cut-off
    m = _row(check, "月报", "2024-05")
    assert m["状态"] == NOT_APPLICABLE and "2024-06-03" in m["说明"]
    # no monthly report in the package and no 巡检报告 filed: the month's inspection report is missing
    assert _row(check, "各月网点巡检报告", "2024-05")["状态"] == MISSING


def test_monthly_report_in_the_package_is_the_months_inspection_report(may_ds):
    check = build_checklist(may_ds, MAY, "second-payment", CAL, {"monthly:2024-05": "01_报告/2024-05/月报.pdf"})
    r = _row(check, "各月网点巡检报告", "2024-05")
    assert (r["状态"], r["对应文件"]) == (PRESENT, "01_报告/2024-05/月报.pdf")


def test_removed_trainings_ledger_marks_the_item_missing(may_ds):
    may_ds.files = [f for f in may_ds.files if f.ledger != "trainings"]
    check = build_checklist(may_ds, MAY, "second-payment", CAL)
    r = _row(check, "各月培训记录", "2024-05")
    assert r["状态"] == MISSING and "没有“培训与宣讲记录”台账文件" in r["说明"]


def test_stage_window_lists_every_month_and_the_quarter_report():
    ds = dataset(deliverables=[
        {"deliverable_id": "X1", "kind": "巡检报告", "covers": "contract-Q1", "submitted_on": "2024-05-17"},
    ], outlet_inspections=[{"inspection_id": f"I{m}", "outlet_id": "W1", "inspected_on": f"2024-{m:02d}-10"} for m in (3, 4, 6, 7, 8, 9)])
    p = stage_period("second-payment", S, CAL, now=datetime(2026, 1, 1))
    assert (p.start, p.end, p.as_of) == (date(2024, 3, 1), date(2024, 9, 30), datetime(2024, 9, 30, 23, 59, 59))
    check = build_checklist(ds, p, "second-payment", CAL)
    site = check[check["交付文档"] == "各月网点现场检查记录"].set_index("期间")["状态"]
    assert list(site.index) == ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09"]
    assert site["2024-05"] == MISSING and (site.drop("2024-05") == PRESENT).all()
    q = check[check["交付文档"] == "季度网点巡检结果报告"].set_index("期间")["状态"]
    # Q1 (Mar–May) filed; Q2 (Jun–Aug) due Sep 2 and never filed; Q3 ends Nov 30, outside the window
    assert list(q.values) == [PRESENT, MISSING] and q.index[1].startswith("contract-Q2")
    weeks = check[check["交付文档"] == "周报"]
    # Sundays from Mar 3 to Sep 29, 2024: 210 days / 7 + 1 = 31 weeks, all due by the cut-off (W39 on Mon Sep 30 itself)
    assert len(weeks) == 31 and (weeks["状态"] == MISSING).all()


def test_acceptance_adds_one_row_per_indicator():
    ds = dataset()
    indicators = {"A1": {"name": "12345工单按时办结率", "status": "met", "value": 1.0},
                  "A11": {"name": "网点现场检查", "status": "not_assessed", "value": None, "reason": "needs outlet_inspections"}}
    p = stage_period("acceptance", S, CAL, now=datetime(2026, 1, 1))
    check = build_checklist(ds, p, "acceptance", CAL, {"evidence": "03_证明.xlsx"}, indicators, {"A1": ("A1 按时办结", 10)})
    rows = check[check["序号"] == "4-2"].set_index("交付文档")
    assert rows.loc["A1 12345工单按时办结率 相关台账记录", "状态"] == PRESENT
    assert rows.loc["A1 12345工单按时办结率 相关台账记录", "对应文件"] == "03_证明.xlsx »A1 按时办结"
    assert rows.loc["A11 网点现场检查 相关台账记录", "状态"] == MISSING


def test_stage_cut_offs():
    assert second_payment_due(S) == date(2024, 9, 30)  # 4.1(2) "2024年9月底前"
    assert assessment_day(S, CAL) == date(2025, 3, 3)  # Feb 28, 2025 is a Friday; Mar 1–2 the weekend
    p = stage_period("acceptance", S, CAL, now=datetime(2026, 1, 1))
    assert (p.label, p.end, p.as_of) == ("contract", date(2025, 2, 28), datetime(2025, 3, 3, 23, 59, 59))
    early = stage_period("second-payment", S, CAL, now=datetime(2024, 7, 15, 9, 0))
    assert (early.end, early.as_of) == (date(2024, 7, 15), datetime(2024, 7, 15, 9, 0))


def test_expected_reports_of_a_service_year():
    slots = expected_reports(S, CAL)
    weeks = [s for s in slots if s.kind == "周报"]
    months = [s for s in slots if s.kind == "月报"]
    # Sundays from 2024-03-03 to 2025-02-23: (357 days / 7) + 1 = 52 weeks; months March..February = 12
    assert len(weeks) == 52 and len(months) == 12
    assert (weeks[0].label, weeks[0].month, weeks[-1].label) == ("2024-W09", "2024-03", "2025-W08")
    assert months[-1].due == datetime(2025, 3, 3, 23, 59, 59)


@pytest.mark.parametrize("text, norm", [
    ("2024-05", "2024-05"), ("2024年5月", "2024-05"), ("2024/5", "2024-05"), ("2024.05", "2024-05"),
    ("2024-W18", "2024-W18"), ("2024W8", "2024-W08"), ("2024年第18周", "2024-W18"),
    ("contract-Q1", "contract-Q1"), ("第二季度", "contract-Q2"), ("2024-13", None), ("全年", None), (None, None),
])
def test_normalize_covers(text, norm):
    assert normalize_covers(text) == norm
