"""The service indicators A1–A21 (表1, 1.3, 2.4, 2.3(1); CONTRACT_RULES A).

Rates (A1, A2) and A10 are judged on the period's own figures. Yearly quotas
count cumulatively from the service start through the cut-off, beside the
period's own count, and carry their pace: ``pace_target`` = target × days
elapsed ÷ days of the service period, a linear ``projected`` year-end count,
``p_meet_target`` from a Poisson model of the remaining count, and the
``reach_date`` at the current rate. A ledger missing from the data folder
makes its indicators ``not_assessed`` with the reason, never a silent 0.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from scipy.stats import poisson

from ..config import REPORTS_DIR, add_months
from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import Period
from ..ingest.ledgers import LEDGERS
from ..ingest.reader import DataSet
from ..measures.activity import in_period
from ..measures.staffing import roster_check

MET, ON_PACE, AT_RISK, MISSED, NOT_ASSESSED = "met", "on_pace", "at_risk", "missed", "not_assessed"


@dataclass(frozen=True)
class Quota:
    """A yearly count quota: which ledger rows count, and the target."""

    code: str
    name: str
    target: float
    clause: str
    ledger: str
    date_col: str
    kinds: tuple[str, ...] = ()  # values of the ledger's kind column that count
    value_col: str | None = None  # sum this column instead of counting rows
    distinct_col: str | None = None  # count distinct values of this column
    poisson: bool = True


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
]

NAMES = {
    "A1": "12345工单按时办结率", "A2": "12345工单满意率", "A10": "服务指引检查（每工作日≥2次）",
    "A20": "应用案例分析报告（每月1份）", "A21": "人员配置（≥41人且满足岗位配置）",
    **{q.code: q.name for q in QUOTAS},
}


def indicator_note(code: str, item: dict) -> str:
    """The one-line explanation shown beside an indicator (reason, missing posts, short days, missing months)."""
    if code == "A21" and item.get("shortfalls"):
        return "；".join(f"{s['post']} {s['have']}/{s['need']}" + "".join(f" 缺{k}{v}" for k, v in s["missing_levels"].items())
                        for s in item["shortfalls"])
    if code == "A10" and item.get("value"):
        return f"{item['working_days']} 个工作日中 {item['value']} 天不足2次"
    if code == "A20" and item.get("months_missing"):
        return "缺 " + "、".join(item["months_missing"])
    return item.get("reason") or ""


def _not_assessed(code: str, target, reason: str, clause: str) -> dict:
    return {"name": NAMES[code], "clause": clause, "value": None, "target": target, "status": NOT_ASSESSED, "reason": reason}


def _needs(ds: DataSet, ledger: str) -> str | None:
    if ds.has(ledger):
        return None
    return f"needs {ledger} ledger（{LEDGERS[ledger].zh}）"


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
            mu = cumulative / elapsed * remaining
            p = float(poisson.sf(math.ceil(need) - 1, mu)) if mu > 0 else 0.0
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


def with_rendered_reports(ds: DataSet, reports_dir: Path | None) -> pd.DataFrame:
    """Deliverables plus the weekly and monthly reports ``sscard`` rendered for this data folder (A14, A15).

    A rendered report counts as submitted on the day it was generated
    (``reports/manifest.json``), unless the deliverables ledger already has
    a report of the same kind for the same period (no double counting).
    """
    frame = ds["deliverables"]
    manifest = Path(reports_dir or REPORTS_DIR) / "manifest.json"
    if not manifest.is_file():
        return frame
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).values()
    except (json.JSONDecodeError, OSError):
        return frame
    folder = str(Path(ds.data_dir).resolve())
    have = set(zip(frame["kind"].astype(object), frame["covers"].astype(object)))
    rows = [{"deliverable_id": f"sscard:{e['kind']}:{e['period']}", "kind": RENDERED_KINDS[e["kind"]], "covers": e["period"],
             "submitted_on": pd.Timestamp(e["generated_at"][:10]), "title": "sscard 生成"}
            for e in entries
            if e.get("kind") in RENDERED_KINDS and e.get("parameters", {}).get("data_dir") == folder
            and (RENDERED_KINDS[e["kind"]], e["period"]) not in have]
    if not rows:
        return frame
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


RENDERED_KINDS = {"weekly": "周报", "monthly": "月报"}


def compute_indicators(ds: DataSet, period: Period, kpis: dict, cal: WorkCalendar, reports_dir: Path | None = None) -> dict:
    """A1–A21 for ``period``; ``kpis`` is the section-4 object of the same period.

    ``reports_dir`` holds the manifest of reports ``sscard`` rendered (counted
    for A14/A15 beside the deliverables ledger); default ``reports/``.
    """
    settings = ds.settings
    start, last, elapsed, total_days = service_window(period, settings)
    over = period.as_of >= end_of_day(settings.end)
    service = Period("service-to-date", start, max(last, start), period.as_of)
    out: dict[str, dict] = {}

    h = kpis["hotline"]
    for code, key, target, note in (("A1", "on_time_rate", 1.0, None), ("A2", "satisfaction_rate", 0.9, "表1 ≥ 90%")):
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
        if q.code in ("A14", "A15") and not (frame := with_rendered_reports(ds, reports_dir)).empty:
            pass
        elif reason := _needs(ds, q.ledger):
            out[q.code] = _not_assessed(q.code, q.target, reason, q.clause)
            continue
        else:
            frame = ds[q.ledger]
        cum_rows = in_period(frame, q.date_col, service) if elapsed else frame.iloc[0:0]
        per_rows = in_period(frame, q.date_col, period)
        cumulative = _count(cum_rows, q)
        if q.code == "A16" and ds.has("applications"):
            apps = in_period(ds["applications"], "feasibility_report_on", service) if elapsed else ds["applications"].iloc[0:0]
            cumulative = max(cumulative, len(apps))  # reading: a report in 成果台账 or a date in 应用目录
        item = {"name": q.name, "clause": q.clause, "value": cumulative, "period_value": _count(per_rows, q), "target": q.target}
        item.update(quota_status(cumulative, q.target, elapsed, total_days, over, q.poisson, last, _first_dates(cum_rows, q)))
        out[q.code] = item

    out["A10"] = _guide_checks(ds, period, cal)
    out["A20"] = _case_reports(ds, period, settings)
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


def _case_reports(ds: DataSet, period: Period, settings) -> dict:
    """A20 (表1 #13): one application case analysis report a month; value = elapsed months without one."""
    clause = "表1 #13"
    if reason := _needs(ds, "deliverables"):
        return _not_assessed("A20", 0, reason, clause)
    d = ds["deliverables"]
    d = d[(d["kind"] == "应用案例分析报告") & (d["submitted_on"] <= pd.Timestamp(period.as_of))]
    covered = set(d["covers"].dropna().astype(str).str.slice(0, 7)) | set(d.loc[d["covers"].isna(), "submitted_on"].dt.strftime("%Y-%m"))
    months, m = [], date(max(period.start, settings.start).year, max(period.start, settings.start).month, 1)
    last = min(period.end, settings.end, period.as_of.date())
    while m <= last:
        month_end = add_months(m, 1) - timedelta(days=1)
        if end_of_day(month_end) <= period.as_of or m.isoformat()[:7] in covered:
            months.append(m.isoformat()[:7])
        m = add_months(m, 1)
    missing = [x for x in months if x not in covered]
    return {"name": NAMES["A20"], "clause": clause, "value": len(missing), "target": 0, "months": len(months),
            "months_missing": missing, "status": MET if not missing else MISSED}


def _staffing(ds: DataSet, period: Period) -> dict:
    """A21 (2.3(1)): the roster at the cut-off against 表1."""
    clause = "2.3(1), 表1"
    if reason := _needs(ds, "staff"):
        return _not_assessed("A21", 41, reason, clause)
    r = roster_check(ds["staff"], min(period.as_of.date(), period.end))
    return {"name": NAMES["A21"], "clause": clause, "value": r["headcount"], "target": r["target"],
            "status": MET if r["met"] else MISSED, "shortfalls": r["shortfalls"]}
