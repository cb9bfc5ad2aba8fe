"""The report's words from the data: the period's summary facts, grouped problems and suggestions, results achieved.

Problems and suggestions follow the explicit rules the reports have always
used (on-time rate below 100%, satisfaction not above 90% (1.3, 2.4),
overdue tickets, a category up ≥ 50% on ≥ 30 tickets, a bank with ≥ 3
failing inspections, yearly quotas behind pace by at least one item,
indicators missed, late documents (3.7(1)), contract flags) and add the
period's incidents and EVERY deduction charged in the period. Each kind of
problem is ONE finding with its list of cases, not one line per case.

A deduction already charged is stated as charged, with the rectification;
no suggestion speaks of "avoiding" a deduction that has been charged.
"""

from __future__ import annotations

import pandas as pd

from ..dates.calendar import WorkCalendar
from ..dates.periods import Period
from ..ingest.ledgers import CATEGORY, CHANNEL, HOTLINE
from ..ingest.reader import DataSet
from ..measures.activity import in_period
from .backlog import CLOSED_LATE, OVERDUE, late_tickets
from .drivers import dissatisfaction
from .rankings import SCORES
from .slices import UNFILLED, labelled, select
from .stats import change_test

RULES = {
    # rule: (what was charged, the rectification)
    "B1": ("合同指标未达标", "逐项分析未达标原因，形成整改报告报采购人，并落实到后续工作安排。"),
    "B2": ("服务人员工资未按标准发放", "补发差额并按标准足额发放，向采购人提交发放凭证。"),
    "B3": ("不合格人员未按期更换", "尽快安排具备同等学历和经验的人员到岗，到岗后报采购人备案。"),
    "B4": ("项目经理未现场参加管理事项", "项目经理按月排定现场管理事项，逐项参加并留存记录。"),
    "B5": ("因本项目原因造成的有效投诉", "对被投诉人员开展针对性培训并跟踪回访投诉人；同一人员多次被投诉的按3.4(1)处理。"),
    "B6": ("业务抽检发现差错", "逐笔更正差错业务，组织差错案例学习，加强复核。"),
    "B7": ("个人月差错率超过5%", "对相关人员安排复核和再培训，必要时调整岗位。"),
    "B8": ("公司会议、培训超出额度或旷工", "严格审批驻场人员参加公司会议和培训，保证在岗。"),
    "B9": ("人员流动率高于投标承诺", "分析离职原因，稳定服务团队，做好交接和新人培训。"),
    "B10": ("人员流动率超过合同限值", "分析离职原因，稳定服务团队，做好交接和新人培训。"),
    "B11": ("办文超过表2时限", "超时办文尽快提交；对办文实行到期前一日提醒，确有困难的稿件提前报备延期。"),
}


def _finding(kind: str, problem: str, suggestion: str, items: list[str] | None = None, amount: float | None = None) -> dict:
    return {"kind": kind, "problem": problem, "suggestion": suggestion, "items": items or [], "amount_yuan": amount}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def rising_categories(tickets: pd.DataFrame, period: Period, previous: Period | None, min_tickets: int = 30,
                      min_ratio: float = 1.5) -> pd.DataFrame:
    """Categories with at least ``min_tickets`` tickets this period and ``min_ratio`` × last period's (all channels)."""
    cols = ["category", "tickets", "previous", "change_pct", "p_value"]
    if previous is None:
        return pd.DataFrame(columns=cols)
    cur, prev = select(tickets, period), select(tickets, previous)
    if prev.empty:
        return pd.DataFrame(columns=cols)
    a, b = labelled(cur[CATEGORY]).value_counts(), labelled(prev[CATEGORY]).value_counts()
    rows = [{"category": c, "tickets": int(n), "previous": int(b.get(c, 0)), "change_pct": (n / b[c] - 1) * 100,
             "p_value": change_test(int(n), len(cur), int(b[c]), len(prev))}
            for c, n in a.items() if c != UNFILLED and n >= min_tickets and b.get(c, 0) and n >= min_ratio * b[c]]
    return pd.DataFrame(rows, columns=cols)


def failing_inspections(ds: DataSet, period: Period, min_count: int = 3) -> pd.DataFrame:
    """Banks with at least ``min_count`` inspections in the period that found problems not rectified or a score below 60."""
    cols = ["bank", "inspections", "outlets"]
    if not (ds.has("outlet_inspections") and ds.has("outlets")):
        return pd.DataFrame(columns=cols)
    ins = in_period(ds["outlet_inspections"], "inspected_on", period).merge(ds["outlets"][["outlet_id", "bank"]], on="outlet_id", how="left")
    failing = ins[(ins["rectified"] == False) | (ins[SCORES].min(axis=1) < 60)]  # noqa: E712
    g = failing.groupby(labelled(failing["bank"]).to_numpy())
    df = pd.DataFrame({"inspections": g.size(), "outlets": g["outlet_id"].agg(lambda s: "、".join(sorted(set(s))[:5]))})
    df = df[df["inspections"] >= min_count].sort_values("inspections", ascending=False)
    return df.rename_axis("bank").reset_index()[cols]


def grouped_findings(ds: DataSet, tickets: pd.DataFrame, kpis: dict, period: Period, previous: Period | None,
                     cal: WorkCalendar, incidents: pd.DataFrame | None = None) -> list[dict]:
    """Problems and suggestions, one per kind, each with its list of cases (no personal data).

    Each finding: ``kind``, ``problem`` (one sentence with the figures),
    ``suggestion``, ``items`` (the cases: tickets, categories, banks,
    indicators, deductions …) and ``amount_yuan`` (for deductions).
    """
    out: list[dict] = []
    h = kpis["hotline"]
    late = late_tickets(tickets, period, cal)
    if h["on_time_rate"] is not None and h["on_time_rate"] < 1:
        n = h["tickets_due"] - h["closed_on_time"]
        lt = late[(late["state"] == CLOSED_LATE) | ((late["state"] == OVERDUE) & (late["due_at"] >= pd.Timestamp(period.start_dt)))]
        by_cat = lt.groupby("category").size().sort_values(ascending=False)
        out.append(_finding("按时办结", f"12345热线有 {n} 件工单未按时办结，按时办结率 {_pct(h['on_time_rate'])}，未达到100%的合同目标。",
                            "逐件核查超时原因，对临近时限工单实行每日预警和专人督办。",
                            ["按业务类别：" + "、".join(f"{c} {k} 件" for c, k in by_cat.items())] if len(by_cat) else []))
    if h["satisfaction_rate"] is not None and h["satisfaction_rate"] <= 0.9:
        d, _ = dissatisfaction(tickets, period, CATEGORY, filters={CHANNEL: HOTLINE})
        d = d[(d["group"] != "合计") & (d["dissatisfied"] > 0)].head(5)
        out.append(_finding("满意率", f"12345热线满意率 {_pct(h['satisfaction_rate'])}，未高于90%。", "对不满意工单逐件回访分析，符合条件的及时申诉。",
                            [f"{r.group}：不满意 {r.dissatisfied} 件 / 参评 {r.rated} 件" for r in d.itertuples()]))
    if h["overdue_open"]:
        od = late[late["state"] == OVERDUE]
        out.append(_finding("逾期未办结", f"截至统计时点有 {h['overdue_open']} 件12345工单逾期未办结。", "立即督办，当日内办结或报备延期。",
                            [f"{r.ticket_id}（{r.category}，逾期 {r.late_days:g} 天）" for r in od.itertuples()]))
    if incidents is not None and len(incidents):
        out.append(_finding("突发问题", f"本期发生工单量异常激增 {len(incidents)} 起。",
                            "会同合作银行和系统运维单位查明原因并处置，及时更新知识库口径，向采购人报送突发问题专报。",
                            [f"{r.start:%m月%d日}至{r.end:%m月%d日}，{r.categories}，超出常态 {r.excess:,.0f} 件，主要反映：{r.terms}"
                             for r in incidents.itertuples()]))
    rising = rising_categories(tickets, period, previous)
    if len(rising):
        out.append(_finding("诉求上升", f"{len(rising)} 个业务类别的工单较上期上升50%以上。",
                            "分析诉求集中的原因（系统、政策或网点），更新知识库口径并向相关银行或单位通报。",
                            [f"{r.category}：{r.tickets:,} 件，上期 {r.previous:,} 件，上升 {r.change_pct:.0f}%" for r in rising.itertuples()]))
    banks = failing_inspections(ds, period)
    if len(banks):
        out.append(_finding("网点检查", f"{len(banks)} 家银行各有3次以上现场检查发现问题未整改或单项低于60分。",
                            "向相关银行发函督促整改，并在下期复查相关网点。",
                            [f"{r.bank}：{r.inspections} 次（{r.outlets}）" for r in banks.itertuples()]))
    ind = kpis.get("indicators") or {}
    behind = [f"{c} {i['name']}：累计 {i['value']:,.0f}，应完成 {i['pace_target']:,.1f}，年度目标 {i['target']:,.0f}"
              for c, i in ind.items() if i["status"] == "at_risk" and i.get("pace_target") is not None and i["pace_target"] - i["value"] >= 1]
    if behind:
        out.append(_finding("年度任务进度", f"{len(behind)} 项年度任务低于当前应完成进度。", "调整后续排期，按剩余时间分解到每周并跟踪。", behind))
    penalties = kpis.get("penalties") or {"items": []}
    charged_b1 = any(it["rule"] == "B1" for it in penalties["items"])
    missed = [f"{c} {i['name']}" for c, i in ind.items() if i["status"] == "missed" and c not in ("A1", "A2")]
    if missed:
        out.append(_finding("指标未达标", f"{len(missed)} 项合同指标未达标。",
                            ("已按3.1(1)计扣违约金（见下）；" if charged_b1 else "") + "查明原因并制定整改措施，报采购人。", missed))
    docs = kpis.get("documents") or {}
    if docs.get("late"):
        out.append(_finding("办文超时", f"本期有 {docs['late']} 件次办文超过表2时限，超时 {docs['late_days']} 天。",
                            "对办文实行到期前一日提醒；确有困难的稿件提前报备延期。"))
    flags: dict[tuple[str, str], list[str]] = {}
    for f in kpis.get("flags") or []:
        flags.setdefault((f["flag"], f["clause"]), []).append(f"{f['basis']}（{f['date']}）")
    for (flag, clause), items in flags.items():
        out.append(_finding("合同关注事项", f"{flag}（{clause}）：{len(items)} 项。", "按合同条款要求及时处理，向采购人报告并留存记录。", items))
    by_rule: dict[str, list[dict]] = {}
    for it in penalties["items"]:
        by_rule.setdefault(it["rule"], []).append(it)
    for rule in sorted(by_rule, key=lambda r: int(r[1:])):
        items = by_rule[rule]
        what, fix = RULES.get(rule, (rule, "落实整改。"))
        total = round(sum(i["amount_yuan"] for i in items), 2)
        out.append(_finding("违约金", f"{what}：本期按{items[0]['clause']}计扣违约金 {len(items)} 笔，共 {total:,.2f} 元。",
                            f"已计扣。{fix}", [f"{i['basis']}：{i['amount_yuan']:,.2f} 元" for i in items], total))
    return out


def summary_facts(kpis: dict, previous_kpis: dict | None, hot: pd.DataFrame, incidents: pd.DataFrame) -> dict:
    """The figures of the period's summary paragraph (本月工作综述).

    ``received`` / ``hotline_received`` and their change from the previous
    period (``change``, ``change_pct``; None without one); ``on_time_rate`` and
    ``satisfaction_rate`` with ``on_time_met`` (= 100%) and
    ``satisfaction_met`` (> 90%); ``incidents`` (one line each);
    ``top_topics`` (the three largest hot topics with count and share);
    ``penalties_yuan``, ``penalty_items`` and ``penalty_rules`` (rule →
    (lines, yuan)).
    """
    h = kpis["hotline"]
    received = kpis["all_channels"]["tickets_received"]
    prev = previous_kpis["all_channels"]["tickets_received"] if previous_kpis else None
    pen = kpis.get("penalties") or {"total_yuan": 0.0, "items": []}
    rules: dict[str, list[float]] = {}
    for it in pen["items"]:
        rules.setdefault(it["rule"], []).append(it["amount_yuan"])
    return {
        "received": received, "hotline_received": h["tickets_received"], "previous_received": prev,
        "change": None if prev is None else received - prev,
        "change_pct": None if not prev else (received / prev - 1) * 100,
        "on_time_rate": h["on_time_rate"], "on_time_met": h["on_time_rate"] is not None and h["on_time_rate"] >= 1,
        "satisfaction_rate": h["satisfaction_rate"], "satisfaction_met": h["satisfaction_rate"] is not None and h["satisfaction_rate"] > 0.9,
        "overdue_open": h["overdue_open"],
        "incidents": [f"{r.start.month}月{r.start.day}日至{r.end.month}月{r.end.day}日“{'、'.join(r.drivers)}”类工单激增，"
                      f"超出常态 {r.excess:,.0f} 件（约为常态的 {r.ratio:.1f} 倍），主要反映“{r.terms}”"
                      for r in incidents.itertuples()],
        "top_topics": [(r.topic, int(r.tickets), float(r.share)) for r in hot.head(3).itertuples()],
        "penalties_yuan": float(pen["total_yuan"]), "penalty_items": len(pen["items"]),
        "penalty_rules": {r: (len(v), round(sum(v), 2)) for r, v in sorted(rules.items(), key=lambda kv: int(kv[0][1:]))},
    }


def achievements(kpis: dict, previous_kpis: dict | None) -> tuple[pd.DataFrame, list[str]]:
    """工作成效: yearly quotas done so far, and what improved on the previous period.

    Returns (quotas, improvements). ``quotas``: one row per quota indicator
    with ``code``, ``name``, ``value`` (cumulative from the service start),
    ``period_value``, ``target``, ``done`` (value ÷ target, fraction) and
    ``status``. ``improvements``: sentences for a rate that rose with a
    Fisher p < 0.05, fewer overdue tickets, fewer late documents, fewer
    deductions, and quotas reached.
    """
    rows = [{"code": c, "name": i["name"], "value": i["value"], "period_value": i.get("period_value"), "target": i["target"],
             "done": i["value"] / i["target"] if i.get("target") else None, "status": i["status"]}
            for c, i in (kpis.get("indicators") or {}).items() if "pace_target" in i and i.get("value") is not None]
    quotas = pd.DataFrame(rows, columns=["code", "name", "value", "period_value", "target", "done", "status"])
    better: list[str] = []
    for r in rows:
        if r["status"] == "met":
            better.append(f"{r['code']} {r['name']}累计 {r['value']:,.0f}，已完成年度目标 {r['target']:,.0f}。")
    if previous_kpis:
        h, ph = kpis["hotline"], previous_kpis["hotline"]
        for label, k, n, pk, pn in (("按时办结率", h["closed_on_time"], h["tickets_due"], ph["closed_on_time"], ph["tickets_due"]),
                                    ("满意率", h["satisfied"], h["rated"], ph["satisfied"], ph["rated"])):
            p = change_test(k, n, pk, pn)
            if p is not None and p < 0.05 and k / n > pk / pn:
                better.append(f"12345热线{label}由上期 {_pct(pk / pn)} 提升至 {_pct(k / n)}（变化显著，p={p:.3f}）。")
        if h["overdue_open"] < ph["overdue_open"]:
            better.append(f"逾期未办结工单由上期 {ph['overdue_open']} 件减少至 {h['overdue_open']} 件。")
        d, pd_ = kpis.get("documents") or {}, previous_kpis.get("documents") or {}
        if d.get("late") is not None and pd_.get("late") and d["late"] < pd_["late"]:
            better.append(f"超时办文由上期 {pd_['late']} 件次减少至 {d['late']} 件次。")
        pen, ppen = kpis.get("penalties"), previous_kpis.get("penalties")
        if pen and ppen and pen["total_yuan"] < ppen["total_yuan"]:
            better.append(f"违约金由上期 {ppen['total_yuan']:,.2f} 元减少至 {pen['total_yuan']:,.2f} 元。")
    return quotas, better
