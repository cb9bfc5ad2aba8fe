"""The service indicators A1–A21 (表1, 1.3, 2.4, 2.3(1); CONTRACT_RULES A).

Rates (A1, A2) and A10 are judged on the period's own figures. Yearly quotas
count cumulatively from the service start through the cut-off, beside the
period's own count, and carry their pace: ``pace_target`` = target × days
elapsed ÷ days of the service period, a linear ``projected`` year-end count,
``p_meet_target`` from a Poisson model of the remaining count, and the
``reach_date`` at the current rate. Scheduled reports (A9, A13, A14, A15,
A20) are paced instead by the reports due at the cut-off (:func:`scheduled_status`).
The year is assessed (``missed``) only once the cut-off passes the assessment
day (:func:`assessment_day`). A ledger missing from the data folder makes its
indicators ``not_assessed`` with the reason, never a silent 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import Period, assessment_day
from ..ingest.ledgers import LEDGERS
from ..ingest.reader import DataSet
from ..measures.activity import in_period
from ..measures.deliverables import SCHEDULES, expected_reports, report_slots
from ..measures.staffing import MIN_STAFF, headcount_by_day, on_board, staffing_delivery

MET, ON_PACE, AT_RISK, MISSED, NOT_ASSESSED = "met", "on_pace", "at_risk", "missed", "not_assessed"


@dataclass(frozen=True)
class Quota:
    """A yearly count quota: which ledger rows count, and the target (None: one per scheduled slot)."""

    code: str
    name: str
    target: float | None
    clause: str
    ledger: str
    date_col: str
    kinds: tuple[str, ...] = ()  # values of the ledger's kind column that count
    value_col: str | None = None  # sum this column instead of counting rows
    distinct_col: str | None = None  # count distinct values of this column
    poisson: bool = True

    @property
    def scheduled(self) -> bool:
        """A report due on a schedule (one per week, month or service quarter): paced by what was due."""
        return len(self.kinds) == 1 and self.kinds[0] in SCHEDULES


QUOTAS = [
    Quota("A3", "业务流程规划文档", 12, "表1 #2", "deliverables", "submitted_on", ("业务流程规划文档",)),
    Quota("A4", "内部培训", 100, "表1 #3", "trainings", "held_on", ("内部培训",)),
    Quota("A5", "外部培训（银行、热线）", 150, "表1 #3", "trainings", "held_on", ("外部培训",)),
    Quota("A6", "宣讲（企业、学校、社会团体）", 50, "表1 #3", "trainings", "held_on", ("宣讲",)),
    Quota("A7", "培训材料、推文、活动简讯", 12, "表1 #3", "publications", "published_on", ("培训材料", "推文", "活动简讯")),
    Quota("A8", "印制宣传资料（份）", 150_000, "表1 #3", "publications", "published_on", ("宣传折页", "展架", "海报"), value_col="copies", poisson=False),
    Quota("A9", "工单分析报告", 4, "表1 #6", "deliverables", "submitted_on", ("工单报告",)),
    Quota("A11", "网点现场检查（覆盖网点数）", 2200, "表1 #9", "outlet_inspections", "inspected_on", distinct_col="outlet_id"),
    Quota("A12", "网点咨询电话巡检", 2200, "表1 #9", "phone_checks", "checked_at"),
    Quota("A13", "巡检成效报告", 4, "表1 #9", "deliverables", "submitted_on", ("巡检报告",)),
    Quota("A14", "周报", 50, "表1 #10", "deliverables", "submitted_on", ("周报",)),
    Quota("A15", "月报", 12, "表1 #10", "deliverables", "submitted_on", ("月报",)),
    Quota("A16", "新应用可行性分析报告", 2, "表1 #11", "deliverables", "submitted_on", ("应用可行性报告",)),
    Quota("A17", "新应用上线", 2, "表1 #11", "applications", "launched_on"),
    Quota("A18", "应用推广材料", 10, "表1 #11", "publications", "published_on", ("应用推广材料",)),
    Quota("A19", "应用巡检", 24, "表1 #13", "app_inspections", "inspected_on"),
    Quota("A20", "应用案例分析报告（每月1份）", None, "表1 #13", "deliverables", "submitted_on", ("应用案例分析报告",)),
]

NAMES = {
    "A1": "12345工单按时办结率", "A2": "12345工单满意率", "A10": "服务指引检查（每工作日≥2次）",
    "A21": "人员配置（表1各岗位人月）",
    **{q.code: q.name for q in QUOTAS},
}


def indicator_note(code: str, item: dict) -> str:
    """The one-line explanation shown beside an indicator (reason, short posts, short days, missing reports)."""
    if code == "A21" and "headcount" in item:
        short = "；".join(f"{s['post']} 缺 {s['short_days']:,} 人日" + "".join(f"（{k}缺 {v:,} 人日）" for k, v in s["levels_short"].items())
                         for s in item["shortfalls"])
        below = f"，{item['days_below_minimum']} 天不足{MIN_STAFF}人" if item["days_below_minimum"] else ""
        return (short + "；" if short else "") + f"统计时点在岗 {item['headcount']} 人{below}"
    if code == "A10" and item.get("value"):
        return f"{item['working_days']} 个工作日中 {item['value']} 天不足2次"
    if item.get("missing"):
        more = f" 等 {len(item['missing'])} 份" if len(item["missing"]) > 6 else ""
        return "已到期未报送 " + "、".join(item["missing"][:6]) + more
    return item.get("reason") or ""


def _not_assessed(code: str, target, reason: str, clause: str) -> dict:
    return {"name": NAMES[code], "clause": clause, "value": None, "target": target, "status": NOT_ASSESSED, "reason": reason}


def missing_ledger_reason(*ledgers: str) -> str:
    """``缺少成果台账（deliverables），无法评估``: the not-assessed reason for absent ledgers."""
    return "缺少" + "、".join(f"{LEDGERS[lg].zh}（{lg}）" for lg in ledgers) + "，无法评估"


def _needs(ds: DataSet, ledger: str) -> str | None:
    return None if ds.has(ledger) else missing_ledger_reason(ledger)


def is_assessed(period: Period, settings, cal: WorkCalendar) -> bool:
    """Whether the period reaches the service end and its cut-off has passed the assessment day: only then
    is a quota ``missed`` and B1 charged (3.1(1))."""
    return period.end >= settings.end and period.as_of >= end_of_day(assessment_day(settings, cal))


def service_window(period: Period, settings) -> tuple[date, date, int, int]:
    """(service start, last day counted, days elapsed, days in the service period) at the cut-off."""
    start, end = settings.start, settings.end
    last = min(end, period.as_of.date(), period.end)
    elapsed = max((last - start).days + 1, 0)
    return start, last, elapsed, (end - start).days + 1


def _count(frame: pd.DataFrame, q: Quota) -> float:
    rows = frame[frame["kind"].isin(q.kinds)] if q.kinds else frame
    if q.distinct_col:
        return int(rows[q.distinct_col].nunique())
    if q.value_col:
        return float(pd.to_numeric(rows[q.value_col], errors="coerce").fillna(0).sum())
    return len(rows)


def quota_status(cumulative: float, target: float, elapsed: int, total_days: int, over: bool, use_poisson: bool,
                 as_of_day: date, dates: pd.Series | None = None) -> dict:
    """Status and pace of a yearly quota (CONTRACT_RULES A).

    ``pace_target`` = target × elapsed ÷ total_days; ``projected`` =
    cumulative ÷ elapsed × total_days; ``p_meet_target`` = P(N >= target -
    cumulative) for N ~ Poisson(rate × remaining days), rate = cumulative ÷
    elapsed (None when ``use_poisson`` is False); ``reach_date`` = the day the
    target was reached (from ``dates``) or will be at the current rate.
    """
    pace = target * elapsed / total_days if total_days else 0.0
    projected = cumulative / elapsed * total_days if elapsed else None
    remaining = max(total_days - elapsed, 0)
    need = target - cumulative
    if cumulative >= target:
        status, p = MET, 1.0
    elif over:
        status, p = MISSED, 0.0
    else:
        status = ON_PACE if cumulative >= pace else AT_RISK
        p = None
        if use_poisson and elapsed:
            from scipy.special import pdtrc  # P(N > k), N ~ Poisson(mu): what scipy.stats' poisson.sf computes, without its 1 s import

            mu = cumulative / elapsed * remaining
            p = float(pdtrc(math.ceil(need) - 1, mu)) if mu > 0 else 0.0
    reach = None
    if cumulative >= target and dates is not None and len(dates):
        ordered = dates.sort_values().reset_index(drop=True)
        reach = ordered.iloc[min(int(math.ceil(target)) - 1, len(ordered) - 1)].date().isoformat()
    elif cumulative > 0 and elapsed and not over:
        per_day = cumulative / elapsed
        reach = (as_of_day + timedelta(days=math.ceil(need / per_day))).isoformat()
    return {"status": status, "pace_target": round(pace, 2), "projected": None if projected is None else round(projected, 1),
            "p_meet_target": None if p is None else (None if not use_poisson else round(p, 4)), "reach_date": reach}


def _first_dates(frame: pd.DataFrame, q: Quota) -> pd.Series | None:
    """Dates at which the count grew (for the reach date); None for summed quotas."""
    if q.value_col:
        return None
    rows = frame[frame["kind"].isin(q.kinds)] if q.kinds else frame
    if q.distinct_col:
        rows = rows.sort_values(q.date_col).drop_duplicates(q.distinct_col)
    return rows[q.date_col].dropna()


def scheduled_status(slots: pd.DataFrame, target: float, n_slots: int, open_ahead: pd.DataFrame, as_of,
                     assessed: bool) -> dict:
    """Status and pace of a scheduled report (A9, A13, A14, A15, A20; CONTRACT_RULES A).

    ``slots`` are the service's slots through the period (:func:`report_slots`
    at the cut-off), ``n_slots`` the number in the whole service and
    ``open_ahead`` the slots not yet due and not yet filled. A report is due
    by the end of the first working day after the week/month/quarter it
    covers, so one not yet due is never missing: ``due`` = slots whose
    deadline is at or before the cut-off; ``pace_target`` = due × target ÷
    n_slots (A14: 50 of the service's weeks; the others one per slot);
    ``on_pace`` when the reports in reach it (every due one in), ``at_risk``
    below it, ``missed`` only once the year is assessed. ``projected`` = the
    reports in plus every slot still to come; ``p_meet_target`` is None (a
    schedule, not a random count); ``reach_date`` = the day the target was
    reached, or the deadline by which it will be if every report to come is
    on time. ``missing`` lists the due slots with no report.
    """
    due = slots["deadline"] <= pd.Timestamp(as_of)
    filled = slots["submitted_on"].notna()
    value = int(filled.sum())
    pace = min(float(target), int(due.sum()) * float(target) / n_slots) if n_slots else 0.0
    if value >= target:
        status = MET
    elif assessed:
        status = MISSED
    else:
        status = ON_PACE if value >= pace else AT_RISK
    reach = None
    if value >= target:
        reach = slots.loc[filled, "submitted_on"].sort_values().iloc[int(math.ceil(target)) - 1].date().isoformat()
    elif not assessed and len(open_ahead) >= target - value:
        reach = open_ahead["deadline"].sort_values().iloc[int(math.ceil(target - value)) - 1].date().isoformat()
    return {"status": status, "pace_target": round(pace, 2), "projected": value + len(open_ahead), "p_meet_target": None,
            "reach_date": reach, "expected": n_slots, "due": int(due.sum()), "missing": slots.loc[due & ~filled, "label"].tolist()}


def _scheduled(ds: DataSet, q: Quota, period: Period, cal: WorkCalendar, assessed: bool) -> dict:
    """A scheduled-report quota: the service's slots through the period, filled by reports handed in by the cut-off.

    Reports are counted by the week/month/quarter they cover, not by the day
    they were handed in, so the report on the service's last month counts
    though it arrives after the service end. A20's target is one report for
    every month of the service (表1 #13 "每月形成分析报告").
    """
    settings = ds.settings
    kind = q.kinds[0]
    every = report_slots(ds["deliverables"], kind, settings, cal, period.as_of)
    horizon = min(period.end, settings.end)
    slots = every[every["first"] <= horizon]
    open_ahead = every[(every["deadline"] > pd.Timestamp(period.as_of)) & every["submitted_on"].isna()]
    target = q.target if q.target is not None else len(every)
    per_rows = in_period(ds["deliverables"], q.date_col, period)
    item = {"name": q.name, "clause": q.clause, "value": int(slots["submitted_on"].notna().sum()),
            "period_value": int((per_rows["kind"] == kind).sum()), "target": target}
    item.update(scheduled_status(slots, target, len(every), open_ahead, period.as_of, assessed))
    return item


def compute_indicators(ds: DataSet, period: Period, kpis: dict, cal: WorkCalendar) -> dict:
    """A1–A21 for ``period``; ``kpis`` is the section-4 object of the same period.

    Quotas count the ledgers only (a report ``sscard`` rendered is not a
    report handed to the purchaser). A quota is ``missed`` only when
    :func:`is_assessed`; before that a shortfall is ``at_risk``.
    """
    settings = ds.settings
    start, last, elapsed, total_days = service_window(period, settings)
    assessed = is_assessed(period, settings, cal)
    service = Period("service-to-date", start, max(last, start), period.as_of)
    out: dict[str, dict] = {}

    h = kpis["hotline"]
    for code, key, target in (("A1", "on_time_rate", 1.0), ("A2", "satisfaction_rate", 0.9)):
        clause = "1.3, 2.4, 表1 #5 #6"
        if reason := _needs(ds, "tickets"):
            out[code] = _not_assessed(code, target, reason, clause)
            continue
        v = h[key]
        item = {"name": NAMES[code], "clause": clause, "value": v, "target": target}
        if v is None:
            item.update(status=NOT_ASSESSED, reason="期内没有到期工单" if code == "A1" else "期内没有参评工单")
        elif code == "A1":
            item["status"] = MET if v >= 1.0 else MISSED
        else:
            item["status"] = MET if v > 0.9 else MISSED  # 1.3/2.4 "高于90%", the stricter reading
            item["meets_table1"] = v >= 0.9  # 表1 "≥90%"
        out[code] = item

    for q in QUOTAS:
        if reason := _needs(ds, q.ledger):
            target = q.target if q.target is not None else len(expected_reports(q.kinds[0], settings, cal))
            out[q.code] = _not_assessed(q.code, target, reason, q.clause)
            continue
        if q.scheduled:
            out[q.code] = _scheduled(ds, q, period, cal, assessed)
            continue
        frame = ds[q.ledger]
        cum_rows = in_period(frame, q.date_col, service) if elapsed else frame.iloc[0:0]
        per_rows = in_period(frame, q.date_col, period)
        cumulative = _count(cum_rows, q)
        if q.code == "A16" and ds.has("applications"):
            apps = in_period(ds["applications"], "feasibility_report_on", service) if elapsed else ds["applications"].iloc[0:0]
            cumulative = max(cumulative, len(apps))  # reading: a report in 成果台账 or a date in 应用目录
        item = {"name": q.name, "clause": q.clause, "value": cumulative, "period_value": _count(per_rows, q), "target": q.target}
        item.update(quota_status(cumulative, q.target, elapsed, total_days, assessed, q.poisson, last, _first_dates(cum_rows, q)))
        out[q.code] = item

    out["A10"] = _guide_checks(ds, period, cal)
    out["A21"] = _staffing(ds, period)
    return {k: out[k] for k in sorted(out, key=lambda c: int(c[1:]))}


def _guide_checks(ds: DataSet, period: Period, cal: WorkCalendar) -> dict:
    """A10 (表1 #8, reading): working days in the period (to the cut-off) with fewer than 2 guide checks."""
    clause = "表1 #8"
    if reason := _needs(ds, "guide_checks"):
        return _not_assessed("A10", 0, reason, clause)
    first = max(period.start, ds.settings.start)  # service days only
    last = min(period.end, period.as_of.date(), ds.settings.end)
    days = cal.workdays_between(first, last)
    if period.as_of < end_of_day(last) and days and days[-1] == last:
        days = days[:-1]  # the cut-off day is not over yet
    checks = in_period(ds["guide_checks"], "checked_at", period)
    per_day = checks["checked_at"].dt.date.value_counts()
    short = [d.isoformat() for d in days if per_day.get(d, 0) < 2]
    return {"name": NAMES["A10"], "clause": clause, "value": len(short), "target": 0, "working_days": len(days),
            "days_below": short[:31], "status": MET if not short else MISSED}


def _staffing(ds: DataSet, period: Period) -> dict:
    """A21 (2.3(1), 表1): person-days per post and level over the period's service days through the cut-off.

    Keys: ``value`` person-days on the team; ``target`` person-days 表1
    requires (41 × ``days``); ``days`` calendar days counted (from the later
    of the period and service start through the earliest of the period end,
    the cut-off day and the service end); ``status`` ``met`` when no post and
    no level is short (a higher level may fill a lower slot), else
    ``missed``; ``shortfalls`` per short post {post, need_days, have_days,
    short_days, levels_short {level: person-days}}; ``headcount`` on the
    cut-off day beside ``headcount_target`` (41); ``days_below_minimum``
    days with fewer than 41 on the team (each run is a flag, see penalties).
    """
    clause = "2.3(1), 表1"
    if reason := _needs(ds, "staff"):
        return _not_assessed("A21", MIN_STAFF, reason, clause)
    settings = ds.settings
    first = max(period.start, settings.start)
    last = min(period.end, period.as_of.date(), settings.end)
    if last < first:
        return _not_assessed("A21", MIN_STAFF, "统计期间不在服务期内", clause)
    staff = ds["staff"]
    d = staffing_delivery(staff, first, last)
    per_day = headcount_by_day(staff, first, last)
    return {"name": NAMES["A21"], "clause": clause, "value": d["have_days"], "target": d["need_days"], "days": d["days"],
            "status": MET if d["met"] else MISSED, "shortfalls": d["shortfalls"], "headcount": len(on_board(staff, last)),
            "headcount_target": MIN_STAFF, "days_below_minimum": int((per_day < MIN_STAFF).sum())}
