"""The sheets of a report's Excel workbook: the report's tables with real numbers, and the period's lists and ledgers, masked.

Every number is written as a number with the format a reader expects: rates
as percentages with two decimals (0.99642 shows 99.64%), counts as integers,
amounts in yuan with two decimals, dates as Excel dates. Indicator names are
Chinese; the KPI key (``hotline.on_time_rate``) stays in the last column for
tools that look values up. The tables the office pastes into its Word 通报
(by business category, district, bank and channel) have a sheet each.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..ingest.ledgers import LEDGERS
from ..measures.activity import in_period
from ..measures.documents import lateness, task_stages
from .context import ReportContext, adopted, received_in
from .excel import Workbook, masked
from .formatting import STATUS_ZH, kpi_value
from .narrative import late_data
from .report import HEADLINE
from .tables import PENALTY_RULES, breakdown_frame, indicator_text, penalty_summary, quarantine_zh

Sheet = tuple[str, pd.DataFrame, tuple[str, ...], dict]

# Excel kind of a headline figure by how the report writes it.
_HOW_KIND = {"pct": "pct", "int": "int", "yuan": "yuan"}
# What an indicator's value counts, when it is not the yearly count its name says.
_UNITS = {"A1": "比率", "A2": "比率", "A3": "份", "A4": "次", "A5": "次", "A6": "次", "A7": "篇", "A8": "份", "A9": "份",
          "A10": "天（不足2次的工作日）", "A11": "个网点", "A12": "次", "A13": "份", "A14": "份", "A15": "份", "A16": "份", "A17": "个",
          "A18": "份", "A19": "次", "A20": "个月（缺报）", "A21": "人"}


def _zh_headers(ledger: str) -> dict[str, str]:
    return {c.name: c.zh for c in LEDGERS[ledger].columns} | {"_file": "来源文件", "_row": "行号"}


def _as_dates(values) -> pd.Series:
    return pd.to_datetime(pd.Series(list(values), dtype=object), errors="coerce")


def headline_sheet(ctx: ReportContext) -> Sheet:
    """The headline figures: Chinese name, this period, the previous, the change; the KPI key last."""
    k, pk = ctx.kpis, ctx.previous_kpis or {}
    rows, kinds = [], []
    for key, label, how in HEADLINE:
        cur, prev = kpi_value(k, key), (kpi_value(pk, key) if pk else None)
        rows.append({"指标": label, "本期": cur, "上期": prev, "变化": None if cur is None or prev is None else cur - prev, "指标键": key})
        kinds.append(_HOW_KIND[how])
    df = pd.DataFrame(rows, columns=["指标", "本期", "上期", "变化", "指标键"])
    return "主要指标", df, (), {"本期": kinds, "上期": kinds, "变化": kinds}


def indicators_sheet(ctx: ReportContext) -> Sheet:
    """A1–A21 with numbers as numbers: rates as percentages, counts as integers, the reach date as a date, the 说明 carried over."""
    rows, value_kinds = [], []
    for code, i in ctx.kpis["indicators"].items():
        rows.append({"编号": code, "指标": i["name"], "条款": i["clause"], "计量单位": _UNITS.get(code, ""),
                     "目标": i["target"], "完成（累计）": i["value"], "本期": i.get("period_value"), "状态": STATUS_ZH[i["status"]],
                     "应完成进度": i.get("pace_target"), "预计全年": i.get("projected"), "达标概率": i.get("p_meet_target"),
                     "预计达成日": i.get("reach_date"), "说明": indicator_text(code, i)})
        value_kinds.append("pct" if code in ("A1", "A2") else "int")
    df = pd.DataFrame(rows)
    for c in ("目标", "完成（累计）", "本期", "应完成进度", "预计全年", "达标概率"):
        df[c] = pd.to_numeric(df[c])
    df["预计达成日"] = _as_dates(df["预计达成日"])
    kinds = {"目标": value_kinds, "完成（累计）": value_kinds, "本期": "int", "应完成进度": "float1", "预计全年": "int",
             "达标概率": "pct0", "预计达成日": "date", "说明": "wrap"}
    return "合同指标", df, (), kinds


def penalty_sheets(ctx: ReportContext) -> list[Sheet]:
    """The deductions by rule (what a line counts, the quantity behind the amount) and line by line, dates as dates."""
    items = ctx.kpis["penalties"]["items"]
    summary = penalty_summary(items)
    lines = pd.DataFrame(items, columns=["rule", "clause", "basis", "date", "amount_yuan"]).rename(
        columns={"rule": "规则", "clause": "条款", "basis": "依据", "date": "扣款日期", "amount_yuan": "金额（元）"})
    lines.insert(2, "事项", lines["规则"].map(lambda r: PENALTY_RULES.get(r, (r,))[0]))
    lines["扣款日期"] = _as_dates(lines["扣款日期"])
    return [("违约金汇总", summary, (), {"金额（元）": "yuan"}), ("违约金", lines, (), {"金额（元）": "yuan", "扣款日期": "date"})]


def breakdown_sheet(ctx: ReportContext, column: str, label: str, sheet: str) -> Sheet:
    """Tickets by one attribute, every value (``（未填）`` last): counts as integers, share and change as percentages."""
    df = breakdown_frame(ctx, column, label)
    if column == "channel":
        df = df.drop(columns="12345热线")
    df["上期"] = pd.to_numeric(df["上期"])
    df["环比"] = pd.to_numeric(df["环比"])
    return sheet, df, ("占比", "环比"), {"上期": "int"}


def excel_sheets(ctx: ReportContext) -> list[tuple[str, pd.DataFrame, tuple[str, ...], dict]]:
    """The sheets of the report workbook: (name, frame, percent columns, kinds). Personal data masked."""
    rec = received_in(ctx)
    cols = {"ticket_id": "工单编号", "channel": "来源渠道", "received_at": "受理时间", "ticket_type": "诉求类型", "status": "工单状态",
            "category": "业务类别", "district": "所属区", "bank": "涉及银行", "due_at": "办理时限", "closed_at": "办结时间",
            "satisfaction": "回访满意度", "appeal": "申诉结果", "handler": "经办人", "content": "诉求内容（已脱敏）", "citizen_name": "诉求人"}
    tickets = masked(rec[list(cols)].astype({c: object for c in ("channel", "ticket_type", "status", "satisfaction", "appeal")})).rename(columns=cols)
    dq = ctx.ds.summary()
    dq = dq[dq["files"] > 0].drop(columns=["ledger"]).rename(columns={
        "files": "文件数", "rows_read": "读入行", "accepted": "接收", "quarantined": "隔离", "dropped_blank": "剔除空行",
        "dropped_summary": "剔除合计行", "dropped_duplicate": "剔除重复", "warnings": "警告"})
    lt = late_data(ctx)
    late_list = pd.DataFrame({
        "工单编号": lt["ticket_id"], "情况": lt["state"], "到期": lt["due_in_period"].map({True: "本期", False: "此前"}),
        "诉求类型": lt["ticket_type"], "业务类别": lt["category"], "所属区": lt["district"], "涉及银行": lt["bank"],
        "受理时间": lt["received_at"], "办理时限": lt["due_at"], "办结时间": lt["closed_at"], "超时天数": lt["late_days"],
        "超时工作日": lt["late_workdays"], "经办人": lt["handler"], "诉求摘要（已脱敏）": lt["summary"]})
    ledgers = []
    for name, date_col, title in (("outlet_inspections", "inspected_on", "网点检查明细"), ("phone_checks", "checked_at", "电话巡检明细")):
        if ctx.ds.has(name):
            rows = in_period(ctx.ds[name], date_col, ctx.period).drop(columns=["_sheet"], errors="ignore")
            ledgers.append((title, masked(rows).rename(columns=_zh_headers(name)), (), {}))
    if ctx.ds.has("documents") or ctx.ds.has("deliverables"):
        st = task_stages(ctx.ds["documents"], ctx.ds["deliverables"] if ctx.ds.has("deliverables") else None, ctx.ds.settings, ctx.cal)
        lt = lateness(st, ctx.period, ctx.ds.settings.late_day_basis, ctx.cal)
        lt = lt[lt["late_in_period"] | (lt["late_days"] > 0)]
        ledgers.append(("超时办文", pd.DataFrame({"编号": lt["doc_id"], "类型": lt["doc_type"], "环节": lt["stage"], "期限": lt["deadline"],
                                               "完成时间": lt["done_eff"], "本期超时天数": lt["late_days"].astype(int)}), (), {}))
    return [
        headline_sheet(ctx),
        indicators_sheet(ctx),
        *penalty_sheets(ctx),
        breakdown_sheet(ctx, "category", "业务类别", "业务类别分布"),
        breakdown_sheet(ctx, "district", "所属区", "所属区分布"),
        breakdown_sheet(ctx, "bank", "涉及银行", "涉及银行分布"),
        breakdown_sheet(ctx, "channel", "来源渠道", "渠道分布"),
        ("逾期与超时工单", late_list, (), {}),
        ("工单明细", tickets, (), {}),
        *ledgers,
        ("数据质量", dq, (), {}),
        ("隔离明细", quarantine_zh(ctx.ds.quarantine), (), {}),
    ]


def write_workbook(ctx: ReportContext, out: Path) -> None:
    """The report's Excel workbook (:func:`excel_sheets`), written to ``out``."""
    wb = Workbook(out)
    try:
        for name, frame, percent, kinds in excel_sheets(ctx):
            wb.sheet(name, frame, percent, kinds=kinds)
    finally:
        wb.close()


def write_adopted_workbook(out: str | Path) -> None:
    """In a report's kernel: the workbook of the context the runner handed over (:func:`.context.adopt`).

    The runner asks for it once the notebook ran, while it prints the PDF
    itself; the analyses the notebook computed are reused.
    """
    ctx = adopted()
    if ctx is None:
        raise LookupError("本内核没有接收报告数据")
    write_workbook(ctx, Path(out))
