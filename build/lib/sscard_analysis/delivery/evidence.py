"""The acceptance evidence ledger: each part-2 indicator with the ledger rows that prove it (表3 row 4, 2.4).

For every indicator A1–A21 of the service period: its value, target and
status (the numbers of ``sscard kpi --period contract``), and the rows that
make up the value, each with its source file and Excel row: the 12345
tickets due in the period and whether each was closed on time (A1), the
rated tickets (A2), the counted rows of each yearly quota (A3–A9, A11–A19;
for A11 the first inspection of each outlet), the working days with their
guide-check counts (A10), the case reports by month (A20), the roster by post
and level on the cut-off day (A21); and every deduction with its basis.
Personal data is masked.
"""

from __future__ import annotations

import pandas as pd

from ..contract.indicators import QUOTAS, service_window
from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import Period
from ..ingest.ledgers import HOTLINE, SRC_FILE, SRC_ROW
from ..ingest.reader import DataSet
from ..measures.activity import in_period
from ..measures.hotline import KPI_COLUMNS, as_at, counted, prepare_tickets
from ..measures.staffing import TABLE1_POSTS, on_board
from ..reporting.formatting import STATUS_ZH
from .writers import ledger_sheet

PROV = {SRC_FILE: "来源文件", SRC_ROW: "行号"}


def _prov(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if SRC_FILE in out:
        out[SRC_FILE] = out[SRC_FILE].astype(object)
    return out.rename(columns=PROV)


def _yes(mask: pd.Series) -> pd.Series:
    return mask.map({True: "是", False: "否"})


def _tickets(ds: DataSet, cal: WorkCalendar, period: Period) -> pd.DataFrame:
    cols = [c for c in KPI_COLUMNS if c in ds["tickets"]] + [c for c in (SRC_FILE, SRC_ROW) if c in ds["tickets"]]
    t = prepare_tickets(ds["tickets"], ds.settings, cal, cols)
    t = counted(as_at(t, period.as_of))
    return t[t["channel"] == HOTLINE]


def evidence_sheets(ds: DataSet, period: Period, indicators: dict, penalties: dict, cal: WorkCalendar) -> list[tuple[str, str, pd.DataFrame]]:
    """(indicator code or ``""``, sheet name, frame) for the evidence workbook, summary first."""
    out: list[tuple[str, str, pd.DataFrame]] = []
    start, last, elapsed, _ = service_window(period, ds.settings)
    service = Period("service-to-date", start, max(last, start), period.as_of)

    if ds.has("tickets"):
        t = _tickets(ds, cal, period)
        due = t[(t["due_at"] >= period.start_dt) & (t["due_at"] <= period.end_dt)].sort_values("due_at")
        a1 = pd.DataFrame({"工单编号": due["ticket_id"], "受理时间": due["received_at"], "办理时限": due["due_at"],
                           "时限为推算": _yes(due["due_computed"]), "办结时间": due["closed_at"],
                           "按时办结": _yes(due["closed_at"].notna() & (due["closed_at"] <= due["due_at"])),
                           SRC_FILE: due.get(SRC_FILE), SRC_ROW: due.get(SRC_ROW)})
        out.append(("A1", "A1 按时办结", _prov(a1)))
        closed = t[(t["closed_at"] >= period.start_dt) & (t["closed_at"] <= period.end_dt) & t["satisfaction"].notna()]
        closed = closed.sort_values("closed_at")
        upheld = (closed["satisfaction"] == "不满意") & (closed["appeal"] == "申诉成功")
        a2 = pd.DataFrame({"工单编号": closed["ticket_id"], "办结时间": closed["closed_at"], "回访满意度": closed["satisfaction"].astype(object),
                           "申诉结果": closed["appeal"].astype(object), "计入满意率": _yes(~upheld),
                           SRC_FILE: closed.get(SRC_FILE), SRC_ROW: closed.get(SRC_ROW)})
        out.append(("A2", "A2 满意率", _prov(a2)))

    for q in QUOTAS:
        if not ds.has(q.ledger):
            continue
        frame = ds[q.ledger]
        rows = in_period(frame, q.date_col, service) if elapsed else frame.iloc[0:0]
        if q.kinds:
            rows = rows[rows["kind"].isin(q.kinds)]
        if q.distinct_col:
            rows = rows.sort_values(q.date_col, kind="stable").drop_duplicates(q.distinct_col)
        rows = rows.sort_values(q.date_col, kind="stable")
        if q.code == "A16" and ds.has("applications"):
            apps = ds["applications"]
            apps = in_period(apps, "feasibility_report_on", service) if elapsed else apps.iloc[0:0]
            sheet = pd.concat([ledger_sheet(rows, q.ledger).assign(依据="成果台账"),
                               ledger_sheet(apps, "applications").assign(依据="应用目录")], ignore_index=True)
        else:
            sheet = ledger_sheet(rows, q.ledger)
        out.append((q.code, f"{q.code} {q.name}"[:31], sheet))

    if ds.has("guide_checks"):
        first, end = max(period.start, start), min(period.end, period.as_of.date(), ds.settings.end)
        days = cal.workdays_between(first, end)
        if period.as_of < end_of_day(end) and days and days[-1] == end:
            days = days[:-1]
        checks = in_period(ds["guide_checks"], "checked_at", period)
        per_day = checks["checked_at"].dt.date.value_counts()
        a10 = pd.DataFrame({"工作日": pd.to_datetime(pd.Series(days, dtype=object)),
                            "检查次数": pd.Series([int(per_day.get(d, 0)) for d in days], dtype="int64")})
        a10["不少于2次"] = _yes(a10["检查次数"] >= 2)
        out.append(("A10", "A10 服务指引检查", a10))

    if ds.has("deliverables"):
        d = ds["deliverables"]
        d = d[(d["kind"] == "应用案例分析报告") & (d["submitted_on"] <= pd.Timestamp(period.as_of))]
        sheet = ledger_sheet(d.sort_values("submitted_on"), "deliverables")
        missing = indicators.get("A20", {}).get("months_missing", [])
        if missing:
            sheet = pd.concat([sheet, pd.DataFrame({"所属期间": missing, "标题": ["（缺）该月没有应用案例分析报告"] * len(missing)})],
                              ignore_index=True)
        out.append(("A20", "A20 应用案例分析报告", sheet))

    if ds.has("staff"):
        day = min(period.as_of.date(), period.end)
        team = on_board(ds["staff"], day)
        roster = []
        for post, (need, levels) in TABLE1_POSTS.items():
            people = team[team["post"] == post]
            have_levels = people["level"].astype(object).fillna("（未填）").value_counts().to_dict()
            roster.append({"岗位": post, "表1最低人数": need, "在岗人数": len(people),
                           "表1级别要求": "、".join(f"{k}{v}" for k, v in levels.items()),
                           "在岗级别": "、".join(f"{k}{v}" for k, v in sorted(have_levels.items()))})
        out.append(("A21", "A21 岗位配置", pd.DataFrame(roster)))
        out.append(("A21", "A21 在岗人员", ledger_sheet(team.sort_values(["post", "staff_id"]), "staff")))

    pen = pd.DataFrame(penalties.get("items", []), columns=["rule", "clause", "basis", "date", "amount_yuan"]).rename(
        columns={"rule": "规则", "clause": "条款", "basis": "依据", "date": "日期", "amount_yuan": "金额（元）"})
    out.append(("", "违约金明细", pen))

    sheets_of: dict[str, list[tuple[str, int]]] = {}
    for code, name, frame in out:
        if code:
            sheets_of.setdefault(code, []).append((name, len(frame)))
    summary = pd.DataFrame([{
        "编号": code, "指标": i["name"], "条款": i["clause"], "数值": i["value"], "目标": i["target"],
        "状态": STATUS_ZH[i["status"]], "证明工作表": "；".join(n for n, _ in sheets_of.get(code, [])),
        "证明记录数": sum(n for _, n in sheets_of.get(code, [])), "说明": i.get("reason") or ""}
        for code, i in indicators.items()])
    for c in ("数值", "目标"):
        summary[c] = pd.to_numeric(summary[c])
    return [("", "指标汇总", summary)] + out


def evidence_index(sheets: list[tuple[str, str, pd.DataFrame]]) -> dict[str, tuple[str, int]]:
    """Indicator code → (first evidence sheet name, rows over all its sheets), for the checklist."""
    out: dict[str, tuple[str, int]] = {}
    for code, name, frame in sheets:
        if code:
            sheet, n = out.get(code, (name, 0))
            out[code] = (sheet, n + len(frame))
    return out
