"""The 表3 checklist: which delivery documents of a payment stage are present, missing or not applicable.

表3 (3.7(2)) lists what the team hands over. Before the second payment
(4.1(2): the mid-term documents reviewed by the supervisor by the end of
September 2024): 1 each month's training records and training materials,
2 second-line support records, 3 staff appraisal records, 4 staff error and
praise records, 5 each month's outlet inspection records and reports, 6 the
weekly and monthly reports. At acceptance (4.1(3), 2.4): the same, plus the
ledgers showing every part-2 indicator (A1–A21) met.

Readings (each item names the ledger that holds it, DATA_CONTRACT 2):

- monthly records (training, support, appraisal, errors, inspections, phone
  checks) are checked month by month: a service month with no row by the
  cut-off is *missing*; a month outside the service period is *not
  applicable*; a ledger with no file in the data folder makes every month
  of its item missing;
- appraisal records (3) are the per-person monthly volume and error
  records (差错与业务量), the basis of 3.4(2); error and praise records (4)
  are the same ledger plus the praise tickets (诉求类型 表扬) and complaints;
- training materials (1) are not remade every month: the item is present
  when the publications ledger holds at least one 培训材料 by the cut-off;
- the monthly inspection report (5) is the package's monthly report (its
  section on outlet inspections and phone checks) or a 巡检报告 filed in that
  month; each service quarter also needs its 巡检报告 (表1 #9, A13), due by
  the end of the first working day after the quarter;
- weekly and monthly reports (6) count only when filed in the deliverables
  ledger (DATA_CONTRACT 2), each due by the end of the first working day
  after the week or month (表2); a report not yet due is *not applicable*.
  Expected weeks are the ISO weeks whose Sunday falls in the service period,
  each belonging to the month of its Sunday; expected months are the
  calendar months that overlap the service period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from ..config import Settings, add_months
from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import Period, assessment_day
from ..ingest.ledgers import LEDGERS
from ..ingest.reader import DataSet
from ..reporting.formatting import STATUS_ZH

PRESENT, MISSING, NOT_APPLICABLE = "齐全", "缺失", "不适用"
STAGES = {"second-payment": "支付第二笔服务费前", "acceptance": "验收阶段"}
COLUMNS = ["序号", "交付文档", "期间", "状态", "对应文件", "依据台账", "说明"]
TABLE3_ITEMS = {  # 表3 row 3 (items 1-6) and row 4 (item 2)
    "3-1": "各月培训记录及培训教材", "3-2": "二线支持记录", "3-3": "服务人员绩效考核记录", "3-4": "服务人员差错及表扬记录",
    "3-5": "各月网点巡检记录及报告", "3-6": "周报及月报（含业务数据分析、问题分析及意见和建议）",
    "4-2": "满足“第二部分项目服务内容和标准”指标数值的相关台账记录（A1–A21）",
}
SECOND_PAYMENT_MONTHS = 7  # 4.1(2): end of September 2024 for a service starting 2024-03-01


@dataclass(frozen=True)
class ReportSlot:
    """One weekly or monthly report the contract expects."""

    kind: str  # 周报 | 月报
    label: str  # 2024-W18 | 2024-05
    first: date
    last: date
    due: datetime
    month: str  # the month it belongs to (its last day's month)


# ---------------------------------------------------------------- stage windows


def second_payment_due(settings: Settings) -> date:
    """4.1(2): the mid-term review is due by the end of September 2024, the 7th month of a service starting
    2024-03-01 (reading for other starts: the last day of the 7th service month)."""
    first = date(settings.start.year, settings.start.month, 1)
    return min(add_months(first, SECOND_PAYMENT_MONTHS) - timedelta(days=1), settings.end)


def stage_period(stage: str, settings: Settings, cal: WorkCalendar, as_of: datetime | None = None,
                 now: datetime | None = None) -> Period:
    """The span a stage package covers: the service start through its cut-off.

    ``second-payment``: cut-off = the end of :func:`second_payment_due`;
    ``acceptance``: the whole service period, cut off at the end of the
    :func:`assessment_day` (so the last week's and month's reports can still
    arrive). Either is capped at ``now``; ``as_of`` overrides.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {sorted(STAGES)}")
    now = now or datetime.now().replace(microsecond=0)
    if stage == "second-payment":
        last = second_payment_due(settings)
        default = end_of_day(last)
        label = "second-payment"
    else:
        last = settings.end
        default = end_of_day(assessment_day(settings, cal))
        label = "contract"
    cut = as_of or min(default, now)
    if stage == "second-payment":
        last = min(last, cut.date())
    return Period(label, settings.start, max(last, settings.start), cut)


# ---------------------------------------------------------------- expected reports


def normalize_covers(text: object) -> str | None:
    """``2024-05``/``2024年5月``/``2024/5`` → ``2024-05``; ``2024-W18``/``2024年第18周`` → ``2024-W18``;
    ``contract-Q1``/``第1季度`` → ``contract-Q1``; anything else None."""
    if not isinstance(text, str):
        return None
    s = re.sub(r"\s", "", text)
    if m := re.fullmatch(r"(\d{4})[-年]?(?:W|第)(\d{1,2})周?", s, re.I):
        return f"{m[1]}-W{int(m[2]):02d}"
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", s):
        if 1 <= int(m[2]) <= 12:
            return f"{m[1]}-{int(m[2]):02d}"
    if m := re.fullmatch(r"(?:contract-?Q|服务期?第|第)([1-4一二三四])(?:季度)?", s, re.I):
        q = "一二三四".index(m[1]) + 1 if m[1] in "一二三四" else int(m[1])
        return f"contract-Q{q}"
    return None


def expected_reports(settings: Settings, cal: WorkCalendar) -> list[ReportSlot]:
    """Every weekly and monthly report of the service period with its deadline (表2 "次周、次月前")."""
    out = []
    monday = settings.start - timedelta(days=settings.start.weekday())
    while monday <= settings.end:
        sunday = monday + timedelta(days=6)
        if settings.start <= sunday <= settings.end:
            y, w, _ = monday.isocalendar()
            out.append(ReportSlot("周报", f"{y}-W{w:02d}", monday, sunday, end_of_day(cal.add_workdays(sunday, 1)),
                                  sunday.isoformat()[:7]))
        monday += timedelta(days=7)
    m = date(settings.start.year, settings.start.month, 1)
    while m <= settings.end:
        last = add_months(m, 1) - timedelta(days=1)
        out.append(ReportSlot("月报", m.isoformat()[:7], m, last, end_of_day(cal.add_workdays(last, 1)), m.isoformat()[:7]))
        m = add_months(m, 1)
    return out


def service_quarters(settings: Settings) -> list[tuple[str, date, date]]:
    """(``contract-Qn``, first day, last day) of the four service quarters."""
    out = []
    for q in range(1, 5):
        a = add_months(settings.start, 3 * (q - 1))
        if a > settings.end:
            break
        out.append((f"contract-Q{q}", a, min(add_months(settings.start, 3 * q) - timedelta(days=1), settings.end)))
    return out


def window_months(period: Period, settings: Settings) -> list[str]:
    """Calendar months of the window (``2024-05`` …), from its start through the earlier of its end and cut-off."""
    last = min(period.end, period.as_of.date())
    out, m = [], date(period.start.year, period.start.month, 1)
    while m <= last:
        out.append(m.isoformat()[:7])
        m = add_months(m, 1)
    return out


def _in_service(month: str, settings: Settings) -> bool:
    first = date.fromisoformat(month + "-01")
    return first <= settings.end and add_months(first, 1) - timedelta(days=1) >= settings.start


# ---------------------------------------------------------------- the checklist


def _sources(ds: DataSet, ledger: str) -> str:
    files = [r.file for r in ds.files if r.ledger == ledger]
    return "、".join(files)


def _month_counts(ds: DataSet, ledger: str, col: str, cut: datetime, kinds: tuple[str, ...] = ()) -> pd.Series:
    f = ds[ledger]
    if kinds:
        f = f[f["kind"].isin(kinds)]
    f = f[f[col].notna() & (f[col] <= pd.Timestamp(cut))]
    return f[col].dt.strftime("%Y-%m").value_counts()


MONTHLY_ITEMS = [
    # (序号, 交付文档, ledger, date column, kinds, produced key)
    ("3-1", "各月培训记录", "trainings", "held_on", (), "trainings"),
    ("3-2", "二线支持记录", "support_records", "held_on", (), "support_records"),
    ("3-3", "服务人员绩效考核记录（业务量与差错）", "errors", "month", (), "appraisal"),
    ("3-4", "服务人员差错及表扬记录", "errors", "month", (), "errors_praise"),
    ("3-5", "各月网点现场检查记录", "outlet_inspections", "inspected_on", (), "inspections"),
    ("3-5", "各月网点电话巡检记录", "phone_checks", "checked_at", (), "inspections"),
]


def build_checklist(ds: DataSet, period: Period, stage: str, cal: WorkCalendar, produced: dict[str, str] | None = None,
                    indicators: dict | None = None, evidence: dict[str, tuple[str, int]] | None = None) -> pd.DataFrame:
    """The 表3 checklist of a package covering ``period`` (a month, or a stage's span).

    Parameters
    ----------
    ds : the data folder.
    period : the months covered and the cut-off.
    stage : ``second-payment`` (a month package uses this list) or ``acceptance`` (adds A1–A21).
    produced : files of the package that satisfy items, by key (``trainings:2024-05``,
        ``monthly:2024-05``, ``weekly:2024-W18``, ``evidence`` …) → path inside the package.
    indicators : A1–A21 for the service period (acceptance).
    evidence : indicator code → (evidence sheet name, rows) (acceptance).

    Returns
    -------
    DataFrame with ``COLUMNS``: one row per item and month (or week, quarter,
    indicator); 状态 is 齐全, 缺失 or 不适用.
    """
    settings = ds.settings
    produced = produced or {}
    cut = period.as_of
    months = window_months(period, settings)
    rows: list[dict] = []

    def add(code, title, span, status, file="", source="", note=""):
        rows.append({"序号": code, "交付文档": title, "期间": span, "状态": status, "对应文件": file, "依据台账": source, "说明": note})

    for code, title, ledger, col, kinds, key in MONTHLY_ITEMS:
        zh = LEDGERS[ledger].zh
        counts = _month_counts(ds, ledger, col, cut, kinds) if ds.has(ledger) else pd.Series(dtype=int)
        for m in months:
            file = produced.get(f"{key}:{m}", "")
            if not _in_service(m, settings):
                add(code, title, m, NOT_APPLICABLE, note="不在服务期内")
            elif not ds.has(ledger):
                add(code, title, m, MISSING, note=f"数据目录中没有“{zh}”台账文件")
            elif counts.get(m, 0) == 0:
                add(code, title, m, MISSING, file, _sources(ds, ledger), f"{zh}中本月（截至统计时点）没有记录")
            else:
                note = f"{int(counts[m])} 条记录"
                if key == "errors_praise":
                    note += _praise_note(ds, m, cut)
                add(code, title, m, PRESENT, file, _sources(ds, ledger), note)

    # 3-1 training materials: present once any 培训材料 is filed by the cut-off (reading, module docstring).
    span = f"{settings.start.isoformat()} 至 {cut.date().isoformat()}"
    if not ds.has("publications"):
        add("3-1", "培训教材", span, MISSING, note=f"数据目录中没有“{LEDGERS['publications'].zh}”台账文件")
    else:
        pubs = ds["publications"]
        mats = pubs[(pubs["kind"] == "培训材料") & (pubs["published_on"] <= pd.Timestamp(cut))]
        status = PRESENT if len(mats) else MISSING
        note = f"累计 {len(mats)} 份培训材料" + (f"，最近 {mats['published_on'].max().date()}" if len(mats) else "")
        add("3-1", "培训教材", span, status, produced.get("materials", ""), _sources(ds, "publications"), note)

    # 3-5 monthly inspection report: the package's monthly report, or a 巡检报告 filed that month.
    filed = _deliverables(ds, "巡检报告", cut)
    for m in months:
        file = produced.get(f"monthly:{m}", "")
        in_month = filed[filed["submitted_on"].dt.strftime("%Y-%m") == m] if len(filed) else filed
        if not _in_service(m, settings):
            add("3-5", "各月网点巡检报告", m, NOT_APPLICABLE, note="不在服务期内")
        elif file:
            add("3-5", "各月网点巡检报告", m, PRESENT, file, "", "见月报“网点现场检查与电话巡检”一节")
        elif len(in_month):
            add("3-5", "各月网点巡检报告", m, PRESENT, "", _sources(ds, "deliverables"), f"成果台账 {', '.join(in_month['deliverable_id'])}")
        else:
            add("3-5", "各月网点巡检报告", m, MISSING, note="包中没有本月月报，成果台账中本月也没有巡检报告")
    for label, a, b in service_quarters(settings):
        if not (period.start <= b <= period.end):
            continue
        due = end_of_day(cal.add_workdays(b, 1))
        span = f"{label}（{a} 至 {b}）"
        hit = filed[(filed["covers"].map(normalize_covers) == label)
                    | (filed["covers"].map(normalize_covers).isna() & (filed["submitted_on"] >= pd.Timestamp(a))
                       & (filed["submitted_on"] <= pd.Timestamp(due)))] if len(filed) else filed
        if not ds.has("deliverables"):
            add("3-5", "季度网点巡检结果报告", span, MISSING, note=f"数据目录中没有“{LEDGERS['deliverables'].zh}”台账文件")
        elif len(hit):
            add("3-5", "季度网点巡检结果报告", span, PRESENT, "", _sources(ds, "deliverables"),
                f"{hit['deliverable_id'].iloc[0]}，报送 {hit['submitted_on'].min().date()}")
        elif due > cut:
            add("3-5", "季度网点巡检结果报告", span, NOT_APPLICABLE, note=f"未到报送期限（{due:%Y-%m-%d}）")
        else:
            add("3-5", "季度网点巡检结果报告", span, MISSING, "", _sources(ds, "deliverables"), f"期限 {due:%Y-%m-%d} 已过，成果台账中没有该季度巡检报告")

    rows += _report_rows(ds, period, cal, produced, months)
    if stage == "acceptance":
        rows += _indicator_rows(indicators or {}, evidence or {}, produced.get("evidence", ""))
    return pd.DataFrame(rows, columns=COLUMNS)


def _praise_note(ds: DataSet, month: str, cut: datetime) -> str:
    parts = []
    if ds.has("tickets"):
        t = ds["tickets"]
        praise = t[(t["ticket_type"] == "表扬") & (t["received_at"] <= pd.Timestamp(cut))
                   & (t["received_at"].dt.strftime("%Y-%m") == month)]
        parts.append(f"表扬工单 {len(praise)} 件")
    if ds.has("complaints"):
        c = ds["complaints"]
        valid = c[(c["valid"] == True) & (c["received_on"] <= pd.Timestamp(cut)) & (c["received_on"].dt.strftime("%Y-%m") == month)]  # noqa: E712
        parts.append(f"有效投诉 {len(valid)} 件")
    return "；" + "，".join(parts) if parts else ""


def _deliverables(ds: DataSet, kind: str, cut: datetime) -> pd.DataFrame:
    if not ds.has("deliverables"):
        return ds["deliverables"].iloc[0:0]
    d = ds["deliverables"]
    return d[(d["kind"] == kind) & (d["submitted_on"] <= pd.Timestamp(cut))]


def _report_rows(ds: DataSet, period: Period, cal: WorkCalendar, produced: dict[str, str], months: list[str]) -> list[dict]:
    """3-6: each weekly and monthly report of the window, filed (present), overdue (missing) or not yet due."""
    settings, cut = ds.settings, period.as_of
    rows = []
    have = ds.has("deliverables")
    filed = {}
    for kind in ("周报", "月报"):
        d = _deliverables(ds, kind, cut)
        for r in d.assign(norm_key=d["covers"].map(normalize_covers)).sort_values("submitted_on").itertuples(index=False):
            if r.norm_key and (kind, r.norm_key) not in filed:
                filed[(kind, r.norm_key)] = r
    for slot in expected_reports(settings, cal):
        if slot.month not in months:
            continue
        code = "3-6"
        title = "周报" if slot.kind == "周报" else "月报"
        span = f"{slot.label}（{slot.first} 至 {slot.last}）" if slot.kind == "周报" else slot.label
        file = produced.get(f"{'weekly' if slot.kind == '周报' else 'monthly'}:{slot.label}", "")
        hit = filed.get((slot.kind, slot.label))
        base = {"序号": code, "交付文档": title, "期间": span, "对应文件": file}
        if not have:
            rows.append({**base, "状态": MISSING, "依据台账": "", "说明": f"数据目录中没有“{LEDGERS['deliverables'].zh}”台账文件"})
        elif hit is not None:
            late = (hit.submitted_on.date() - slot.due.date()).days
            note = f"{hit.deliverable_id} 报送 {hit.submitted_on.date()}（期限 {slot.due:%Y-%m-%d}）" + (f"，逾期 {late} 天" if late > 0 else "")
            rows.append({**base, "状态": PRESENT, "依据台账": _sources(ds, "deliverables"), "说明": note})
        elif slot.due > cut:
            rows.append({**base, "状态": NOT_APPLICABLE, "依据台账": "", "说明": f"未到报送期限（{slot.due:%Y-%m-%d}）"})
        else:
            rows.append({**base, "状态": MISSING, "依据台账": _sources(ds, "deliverables"),
                         "说明": f"期限 {slot.due:%Y-%m-%d} 已过，成果台账中没有该{title}"})
    return rows


def _indicator_rows(indicators: dict, evidence: dict[str, tuple[str, int]], file: str) -> list[dict]:
    """4-2: one row per part-2 indicator, present when its evidence ledger exists in the package."""
    rows = []
    for code, i in indicators.items():
        sheet, n = evidence.get(code, ("", 0))
        status = MISSING if i["status"] == "not_assessed" or not sheet else PRESENT
        note = f"指标状态：{STATUS_ZH[i['status']]}；证明记录 {n} 行" + (f"；{i.get('reason')}" if i.get("reason") else "")
        rows.append({"序号": "4-2", "交付文档": f"{code} {i['name']} 相关台账记录", "期间": "服务期", "状态": status,
                     "对应文件": f"{file} »{sheet}" if file and sheet else "", "依据台账": "", "说明": note})
    return rows


def summary(checklist: pd.DataFrame) -> dict[str, int]:
    """Counts by status: {齐全: n, 缺失: n, 不适用: n}."""
    counts = checklist["状态"].value_counts()
    return {s: int(counts.get(s, 0)) for s in (PRESENT, MISSING, NOT_APPLICABLE)}
