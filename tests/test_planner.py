"""The on-site inspection planner (表1 #9): working days, team, districts, capacity, coverage of 2,200."""

from datetime import date, timedelta

import pandas as pd
import pytest
from _frames import ledger_frame

from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.ingest.reader import load
from sscard_analysis.ingest.sample import write_sample
from sscard_analysis.measures.staffing import on_board
from sscard_analysis.ops.planner import FIELD_POST, FIRST, PlanError, plan_for, plan_inspections, team_by_day

CAL = WorkCalendar()
FROM = date(2024, 11, 1)


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory):
    d = tmp_path_factory.mktemp("plan-sample")
    write_sample(d, seed=11, tickets_per_month=40)
    ds = load(d, use_cache=False)
    return ds, plan_for(ds, FROM)


def test_every_open_outlet_not_yet_inspected_is_visited_once_before_the_service_end(sample_plan):
    ds, plan = sample_plan
    s = ds.settings
    outlets, ins = ds["outlets"], ds["outlet_inspections"]
    # Independently of the planner: open outlets (status 正常) with no inspection from the service start to the day before FROM.
    done = set(ins.loc[(ins["inspected_on"] >= pd.Timestamp(s.start)) & (ins["inspected_on"] < pd.Timestamp(FROM)), "outlet_id"])
    open_ = outlets[(outlets["status"] == "正常") & (outlets["closed_on"].isna() | (outlets["closed_on"] > pd.Timestamp(FROM)))]
    todo = set(open_["outlet_id"]) - done
    assert len(todo) > 300  # the sample leaves a third of the year to plan
    first = plan.visits[plan.visits["kind"] == FIRST]
    assert first["outlet_id"].value_counts().max() == 1
    assert set(first["outlet_id"]) == todo
    assert min(plan.visits["date"]) >= FROM and max(plan.visits["date"]) <= s.end
    # an outlet that opens during the plan is visited after it opens
    opened = open_.set_index("outlet_id")["opened_on"]
    assert all(pd.isna(opened[o]) or pd.Timestamp(d) >= opened[o] for o, d in zip(first["outlet_id"], first["date"]))
    # coverage = outlets already inspected this year + outlets newly planned
    assert plan.covered_before == len(done) and plan.coverage == len(done) + len(todo) and plan.margin == plan.coverage - 2200


def test_nobody_over_capacity_one_district_per_person_day_only_the_field_team(sample_plan):
    ds, plan = sample_plan
    per = plan.visits.groupby(["date", "staff_id"])
    assert per.size().max() <= ds.settings.visits_per_person_day
    assert per["district"].nunique().max() == 1
    staff = ds["staff"]
    for (day, sid), _ in per:
        team = on_board(staff[staff["post"] == FIELD_POST], day)
        assert sid in set(team["staff_id"]), (day, sid)


def test_no_visit_on_a_rest_day_and_the_adjusted_working_days_are_used(sample_plan):
    _, plan = sample_plan
    days = set(plan.visits["date"])
    assert all(CAL.is_workday(d) for d in days)
    rest = [FROM + timedelta(days=k) for k in range(120) if not CAL.is_workday(FROM + timedelta(days=k))]
    assert rest and not days & set(rest)
    assert date(2025, 1, 1) not in days and date(2025, 1, 29) not in days  # New Year, Spring Festival
    # 2025-01-26 (Sunday) and 2025-02-08 (Saturday) are working days by the State Council schedule: visits allowed
    assert plan.adjusted_days == [date(2025, 1, 26), date(2025, 2, 8)]
    assert date(2025, 2, 8) in days


def _outlets(n_tianhe, n_yuexiu):
    rows = [dict(outlet_id=f"O{i + 1:02d}", name=f"网点{i + 1}", bank="工商银行", district="天河" if i < n_tianhe else "越秀",
                 status="正常", address=f"天河路{i}号") for i in range(n_tianhe + n_yuexiu)]
    return ledger_frame("outlets", rows)


def _staff(*ids):
    return ledger_frame("staff", [dict(staff_id=s, name="张三丰", post=FIELD_POST, onboard_on="2024-01-02") for s in ids]
                        + [dict(staff_id="X1", name="李四", post="服务规划", onboard_on="2024-01-02")])


NO_INSPECTIONS = ledger_frame("outlet_inspections", [])
# 2024-04-29 (Mon) to 2024-05-12 (Sun): 05-01..05-05 are the Labour Day holidays, 05-11 (Sat) is an adjusted working day,
# so the working days are 04-29, 04-30, 05-06..05-10 and 05-11: 8 days.
SHORT_END = date(2024, 5, 12)


def test_a_shortfall_names_the_capacity_that_closes_it():
    # 20 outlets (12 天河, 8 越秀), one inspector, 2 a day over 8 working days: 16 fit, 4 do not.
    plan = plan_inspections(_outlets(12, 8), NO_INSPECTIONS, _staff("S1"), None, CAL, date(2024, 4, 29), date(2024, 3, 1),
                            SHORT_END, capacity=2)
    v = plan.visits
    assert len(plan.days) == 8 and plan.adjusted_days == [date(2024, 5, 11)]
    assert v.groupby("date").size().to_dict() == {d: 2 for d in plan.days}  # 2 on each working day, the Saturday too
    assert not {date(2024, 5, d) for d in range(1, 6)} & set(v["date"])
    assert set(v["staff_id"]) == {"S1"}  # the 服务规划 worker is not on the field team
    assert plan.unplanned["outlet_id"].tolist() == ["O17", "O18", "O19", "O20"]  # the lowest priority (by outlet id here)
    # 3 a day: leveled quotas 3,3,3,3 take the 12 天河 outlets, then 2,2,2,2 the 8 越秀 ones: all 20 fit.
    assert plan.needed_capacity == 3
    # or a second inspector at 2 a day (32 slots)
    assert plan.needed_inspectors == 1
    assert plan.margin == 16 - 2200 and plan.notes  # 20 outlets can never reach 2,200: said so


def test_leave_takes_the_inspector_off_the_road():
    # S1 is on sick leave for 2 working days from Tue 2024-04-30: 04-30 and (after the holidays) 05-06.
    attendance = ledger_frame("attendance", [dict(staff_id="S1", date="2024-04-30", kind="病假", days=2),
                                             dict(staff_id="S1", date="2024-05-09", kind="迟到")])
    days = CAL.workdays_between(date(2024, 4, 29), SHORT_END)
    team = team_by_day(_staff("S1", "S2"), attendance, days, CAL)
    assert team[date(2024, 4, 30)] == ["S2"] and team[date(2024, 5, 6)] == ["S2"]
    assert team[date(2024, 4, 29)] == ["S1", "S2"] and team[date(2024, 5, 9)] == ["S1", "S2"]  # being late is not away


def test_follow_up_visits_come_first_and_do_not_add_coverage():
    ins = ledger_frame("outlet_inspections", [
        dict(inspection_id="I1", outlet_id="O03", inspected_on="2024-04-02", issues="安全管理制度未上墙", rectified=False),
        dict(inspection_id="I2", outlet_id="O04", inspected_on="2024-04-03", issues="叫号机故障", rectified=True),
        dict(inspection_id="I3", outlet_id="O05", inspected_on="2023-06-01", issues="环境", rectified=False),  # last year
    ])
    plan = plan_inspections(_outlets(6, 0), ins, _staff("S1"), None, CAL, date(2024, 4, 29), date(2024, 3, 1), SHORT_END, capacity=4)
    q = plan.queue.set_index("outlet_id")
    assert q.loc["O03", "kind"] == "复查" and "O04" not in q.index  # O04 was inspected this year and rectified: done
    # order: the follow-up, then never inspected (O01, O02, O06), then O05 (inspected last year, unrectified)
    assert plan.queue["outlet_id"].tolist() == ["O03", "O01", "O02", "O06", "O05"]
    assert plan.covered_before == 2 and plan.coverage == 2 + 4


def test_a_start_outside_the_service_period_is_refused():
    with pytest.raises(PlanError):
        plan_inspections(_outlets(1, 0), NO_INSPECTIONS, _staff("S1"), None, CAL, date(2025, 3, 3), date(2024, 3, 1), date(2025, 2, 28), 4)


def test_files_schedule_and_check_forms(sample_plan, tmp_path):
    import openpyxl

    from sscard_analysis.ops.plan_output import write_check_forms, write_schedule
    from sscard_analysis.ops.planner import horizon

    _, plan = sample_plan
    until = horizon(plan, 2)
    assert until == FROM + timedelta(days=13)
    sched = openpyxl.load_workbook(write_schedule(plan, tmp_path / "s.xlsx", until), read_only=True)
    assert sched.sheetnames[:4] == ["概况", "按周按人", "排班明细", "待检查网点"]
    rows = list(sched["排班明细"].iter_rows(values_only=True))
    shown = plan.visits[pd.to_datetime(plan.visits["date"]) <= pd.Timestamp(until)]
    assert len(rows) - 1 == len(shown)
    weekly = list(sched["按周按人"].iter_rows(values_only=True))
    assert sum(r[-1] for r in weekly[1:]) == len(shown)  # the weekly totals add up to the visits shown
    forms = openpyxl.load_workbook(write_check_forms(plan, tmp_path / "f.xlsx", until))
    assert set(forms.sheetnames) == {"目录"} | set(shown["staff_id"])
    text = "\n".join(str(c) for ws in forms.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    assert text.count("广州市社会保障卡合作银行网点现场检查表") == len(shown)
    names = set(load_staff_names(sample_plan[0]))
    assert not any(n in text for n in names)  # inspectors appear masked


def load_staff_names(ds):
    return [n for n in ds["staff"]["name"].astype(str) if len(n) >= 2]
