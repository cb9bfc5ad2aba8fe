"""Scheduled reports (A9, A13, A14, A15, A20): paced by what was due, assessed after the assessment day.

Service 2024-03-01..2025-02-28. A report is due by the end of the first
working day after the week, month or service quarter it covers (表2 "次周、
次月前"); the year is assessed after the end of the first working day after
the service end, Mon 2025-03-03.
"""

from datetime import date, datetime, timedelta

import pytest
from _frames import dataset

from sscard_analysis.config import Settings
from sscard_analysis.contract.alerts import compute_alerts
from sscard_analysis.contract.kpi import compute_kpis
from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.dates.periods import parse_period

S = Settings(start=date(2024, 3, 1))
CAL = WorkCalendar()
SCHEDULED = ("A9", "A13", "A14", "A15", "A20")

# The first working day after each month (State Council calendar, by hand): 04-30 -> May Day 05-01..05-05 -> 05-06;
# 08-31 is a Saturday; 09-30 -> National Day 10-01..10-07 -> 10-08; 01-31 falls in the Spring Festival 01-28..02-04 -> 02-05.
MONTHLY_DUE = {
    "2024-03": "2024-04-01", "2024-04": "2024-05-06", "2024-05": "2024-06-03", "2024-06": "2024-07-01",
    "2024-07": "2024-08-01", "2024-08": "2024-09-02", "2024-09": "2024-10-08", "2024-10": "2024-11-01",
    "2024-11": "2024-12-02", "2024-12": "2025-01-02", "2025-01": "2025-02-05", "2025-02": "2025-03-03",
}
# Service quarters end 05-31 (Fri), 08-31 (Sat), 11-30 (Sat), 02-28 (Fri).
QUARTER_DUE = {"contract-Q1": "2024-06-03", "contract-Q2": "2024-09-02", "contract-Q3": "2024-12-02", "contract-Q4": "2025-03-03"}


def monthly(kind="月报", skip=()):
    """One report a month handed in on its due day."""
    return [dict(deliverable_id=f"{kind}{m}", kind=kind, covers=m, submitted_on=d) for m, d in MONTHLY_DUE.items() if m not in skip]


def kpis(ds, as_of):
    return compute_kpis(ds, parse_period("contract", S, as_of=as_of))


def b1(k):
    return [i["basis"].split()[0] for i in k["penalties"]["items"] if i["rule"] == "B1"]


def test_february_report_is_not_missing_at_the_service_end_and_counts_when_handed_in():
    # finding 1: every monthly report is handed in on its due day
    ds = dataset(S, deliverables=monthly())
    end = kpis(ds, "2025-02-28T23:59:59")
    a15 = end["indicators"]["A15"]
    # March..January are due (11) and in; February's is due 2025-03-03, so it is not missing yet
    assert (a15["value"], a15["due"], a15["pace_target"], a15["status"], a15["missing"]) == (11, 11, 11.0, "on_pace", [])
    assert a15["p_meet_target"] is None and a15["projected"] == 12  # 11 in + February to come
    assert b1(end) == []
    after = kpis(ds, "2025-03-10T12:00")
    # February's report, handed in on 2025-03-03 (after the service end, on its due day), counts: 12 of 12
    assert (after["indicators"]["A15"]["value"], after["indicators"]["A15"]["status"]) == (12, "met")
    assert "A15" not in b1(after)


def test_monthly_reports_on_time_are_on_pace_in_october():
    # finding 1: at 2024-10-31 12:00 the reports on March..September are due (7; October's is due 11-01) and in.
    # The old linear pace, 12 × 245 / 365 = 8.05, put A15 at risk with 7.
    ds = dataset(S, tickets=[], deliverables=monthly())
    k = kpis(ds, "2024-10-31T12:00")
    assert (k["indicators"]["A15"]["value"], k["indicators"]["A15"]["pace_target"], k["indicators"]["A15"]["status"]) == (7, 7.0, "on_pace")
    assert "A15" not in compute_alerts(ds, datetime(2024, 10, 31, 12, 0))["indicators_at_risk"]


def test_year_assessed_only_after_the_assessment_day():
    # February's monthly report never arrives
    ds = dataset(S, deliverables=monthly(skip=("2025-02",)))
    before = kpis(ds, "2025-03-03T12:00")  # February's report is due at 23:59:59 today: not missing yet
    assert (before["indicators"]["A15"]["status"], b1(before)) == ("on_pace", [])
    after = kpis(ds, "2025-03-04T00:00")
    a15 = after["indicators"]["A15"]
    assert (a15["value"], a15["status"], a15["missing"]) == (11, "missed", ["2025-02"])
    assert "A15" in b1(after)  # with the other deliverables (A3, A9, …) that never came
    assert {i["date"] for i in after["penalties"]["items"] if i["rule"] == "B1"} == {"2025-02-28"}


def test_quarterly_report_not_yet_due_is_not_at_risk():
    ds = dataset(S, deliverables=[])
    # 2024-05-20: the first service quarter (03-01..05-31) is not over; the old linear pace 4 × 81/365 = 0.89 said at risk
    may = kpis(ds, "2024-05-20T12:00")["indicators"]["A9"]
    assert (may["due"], may["pace_target"], may["status"], may["p_meet_target"]) == (0, 0.0, "on_pace", None)
    # the report on contract-Q1 was due 06-03 23:59:59 and never came: now it is behind
    june = kpis(ds, "2024-06-04T00:00")["indicators"]["A9"]
    assert (june["due"], june["pace_target"], june["status"], june["missing"]) == (1, 1.0, "at_risk", ["contract-Q1"])


def test_rendered_reports_are_not_submissions(tmp_path, monkeypatch):
    # finding 11: only the deliverables ledger counts; a file sscard rendered (reports/manifest.json) is not a report
    # handed to the purchaser, and the ledger's "2024年5月" is May (no double count with a rendered 2024-05)
    import json

    import sscard_analysis.contract.indicators as ind

    ds = dataset(S, deliverables=[dict(deliverable_id="M5", kind="月报", covers="2024年5月", submitted_on="2024-06-03")])
    here = str(ds.data_dir.resolve())
    manifest = {f"monthly:2024-0{m}": {"kind": "monthly", "period": f"2024-0{m}", "generated_at": f"2024-0{m + 1}-01T08:00:00",
                                       "parameters": {"data_dir": here}} for m in (5, 6)}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(ind, "REPORTS_DIR", tmp_path, raising=False)
    a15 = kpis(ds, "2024-07-05T12:00")["indicators"]["A15"]
    assert a15["value"] == 1  # May, from the ledger; neither rendered file counts
    # due by 07-05: March (04-01), April (05-06), May (06-03), June (07-01); only May is in the ledger
    assert (a15["due"], a15["missing"]) == (4, ["2024-03", "2024-04", "2024-06"])


def _every_report_on_its_due_day() -> list[dict]:
    rows = monthly("月报") + monthly("应用案例分析报告")
    rows += [dict(deliverable_id=f"{kind}{q}", kind=kind, covers=q, submitted_on=d)
             for q, d in QUARTER_DUE.items() for kind in ("工单报告", "巡检报告")]
    monday = date(2024, 2, 26)  # ISO week 2024-W09 holds the service start
    while monday <= S.end:
        y, w, _ = monday.isocalendar()
        due = CAL.add_workdays(monday + timedelta(days=6), 1)
        rows.append(dict(deliverable_id=f"W{y}{w:02d}", kind="周报", covers=f"{y}-W{w:02d}", submitted_on=due.isoformat()))
        monday += timedelta(days=7)
    return rows


@pytest.mark.parametrize("as_of", [
    "2024-03-04T09:00", "2024-04-01T23:59:59", "2024-05-06T08:00", "2024-06-03T10:00", "2024-09-02T00:00",
    "2024-10-08T12:00", "2024-10-31T12:00", "2024-12-31T23:59:59", "2025-02-05T09:00", "2025-02-28T23:59:59",
    "2025-03-03T12:00", "2025-03-10T12:00",
])
def test_a_report_handed_in_on_time_never_puts_its_indicator_at_risk(as_of):
    # a law: with every scheduled report handed in on its due day, no scheduled indicator is ever at risk or missed
    ds = dataset(S, tickets=[], deliverables=_every_report_on_its_due_day())
    k = kpis(ds, as_of)
    assert {c: k["indicators"][c]["status"] for c in SCHEDULED} == {c: k["indicators"][c]["status"] for c in SCHEDULED
                                                                    if k["indicators"][c]["status"] in ("on_pace", "met")}
    assert not set(SCHEDULED) & set(compute_alerts(ds, datetime.fromisoformat(as_of))["indicators_at_risk"])
