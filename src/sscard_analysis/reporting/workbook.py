"""The sheets of a report's Excel workbook: the KPI tables and the period's lists and ledgers, masked."""

from __future__ import annotations

import pandas as pd

from ..ingest.ledgers import LEDGERS
from ..measures.activity import in_period
from ..measures.documents import lateness, task_stages
from .context import ReportContext, received_in
from .excel import masked
from .formatting import STATUS_ZH, kpi_value
from .report import HEADLINE, late_tickets


def _zh_headers(ledger: str) -> dict[str, str]:
    return {c.name: c.zh for c in LEDGERS[ledger].columns} | {"_file": "来源文件", "_row": "行号"}


def excel_sheets(ctx: ReportContext) -> list[tuple[str, pd.DataFrame, tuple[str, ...]]]:
    """The sheets of the report workbook: (name, frame, percent columns). Personal data masked."""

    k, pk = ctx.kpis, ctx.previous_kpis or {}
    head = pd.DataFrame([{"指标键": key, "指标": label, "本期": kpi_value(k, key), "上期": kpi_value(pk, key) if pk else None}
                         for key, label, _ in HEADLINE])
    head["本期"] = pd.to_numeric(head["本期"])
    head["上期"] = pd.to_numeric(head["上期"])
    ind = pd.DataFrame([{"编号": c, "指标": i["name"], "条款": i["clause"], "数值": i["value"], "目标": i["target"], "状态": STATUS_ZH[i["status"]],
                         "本期": i.get("period_value"), "应完成进度": i.get("pace_target"), "预计全年": i.get("projected"),
                         "达标概率": i.get("p_meet_target"), "预计达成日": i.get("reach_date"), "说明": i.get("reason", "")}
                        for c, i in k["indicators"].items()])
    for c in ("数值", "目标", "本期", "应完成进度", "预计全年", "达标概率"):
        ind[c] = pd.to_numeric(ind[c])
    pen = pd.DataFrame(k["penalties"]["items"], columns=["rule", "clause", "basis", "date", "amount_yuan"]).rename(
        columns={"rule": "规则", "clause": "条款", "basis": "依据", "date": "日期", "amount_yuan": "金额（元）"})
    chan = pd.DataFrame({"来源渠道": list(k["by_channel"]), "受理工单": list(k["by_channel"].values())})
    rec = received_in(ctx)
    cols = {"ticket_id": "工单编号", "channel": "来源渠道", "received_at": "受理时间", "ticket_type": "诉求类型", "status": "工单状态",
            "category": "业务类别", "district": "所属区", "bank": "涉及银行", "due_at": "办理时限", "closed_at": "办结时间",
            "satisfaction": "回访满意度", "appeal": "申诉结果", "handler": "经办人", "content": "诉求内容（已脱敏）", "citizen_name": "诉求人"}
    tickets = masked(rec[list(cols)].astype({c: object for c in ("channel", "ticket_type", "status", "satisfaction", "appeal")})).rename(columns=cols)
    dq = ctx.ds.summary()
    dq = dq[dq["files"] > 0].drop(columns=["ledger"]).rename(columns={
        "files": "文件数", "rows_read": "读入行", "accepted": "接收", "quarantined": "隔离", "dropped_blank": "剔除空行",
        "dropped_summary": "剔除合计行", "dropped_duplicate": "剔除重复", "warnings": "警告"})
    quarantine = ctx.ds.quarantine.rename(columns={"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "reason": "原因"})
    overdue, late = late_tickets(ctx)
    late_list = pd.concat([overdue.assign(情况="逾期未办结"), late.assign(情况="超时办结")], ignore_index=True)
    ledgers = []
    for name, date_col, title in (("outlet_inspections", "inspected_on", "网点检查明细"), ("phone_checks", "checked_at", "电话巡检明细")):
        if ctx.ds.has(name):
            rows = in_period(ctx.ds[name], date_col, ctx.period).drop(columns=["_sheet"], errors="ignore")
            ledgers.append((title, masked(rows).rename(columns=_zh_headers(name)), ()))
    if ctx.ds.has("documents") or ctx.ds.has("deliverables"):
        st = task_stages(ctx.ds["documents"], ctx.ds["deliverables"] if ctx.ds.has("deliverables") else None, ctx.ds.settings, ctx.cal)
        lt = lateness(st, ctx.period, ctx.ds.settings.late_day_basis, ctx.cal)
        lt = lt[lt["late_in_period"] | (lt["late_days"] > 0)]
        ledgers.append(("超时办文", pd.DataFrame({"编号": lt["doc_id"], "类型": lt["doc_type"], "环节": lt["stage"], "期限": lt["deadline"],
                                               "完成时间": lt["done_eff"], "本期超时天数": lt["late_days"].astype(int)}), ()))
    return [
        ("主要指标", head, ()),
        ("逾期与超时工单", late_list, ()),
        ("合同指标", ind, ("达标概率",)),
        ("违约金", pen, ()),
        ("渠道分布", chan, ()),
        ("工单明细", tickets, ()),
        *ledgers,
        ("数据质量", dq, ()),
        ("隔离明细", quarantine, ()),
    ]

