"""The content of the weekly, monthly, quarterly and annual reports.

The report notebooks call these functions section by section: each returns
an HTML fragment (tables with Chinese headers, charts as images) computed
from the package's KPI functions, so the numbers in a report are the numbers
of ``sscard kpi`` for the same period. Personal data never appears: tickets
are listed by number, free text is scrubbed, workers are named by surname.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..analysis.stats import change_test, wilson_interval
from ..dates.periods import parse_period
from ..ingest.ledgers import HOTLINE
from ..measures.activity import in_period
from ..measures.documents import lateness, task_stages
from ..measures.staffing import roster_check
from ..privacy import scrub_text
from . import charts
from .context import ReportContext, build_context, period_title, received_in
from .formatting import (
    STATUS_CLASS,
    clip,
    STATUS_ZH,
    Fragment,
    figure_html,
    fmt_int,
    fmt_pct,
    UNFILLED,
    fmt_yuan,
    format_kpi,
    fragment,
    html_table,
    kpi_value,
    unfilled_last,
)
from .tables import (
    breakdown_frame,
    indicator_cells,
    indicator_text,
    penalty_summary,
    quarantine_zh,
    zh_reason,
)

__all__ = ["build_context"]


# ---------------------------------------------------------------- sections


def cover(ctx: ReportContext) -> Fragment:
    """The 通报 block of page 1: report name, period, 期号, 报送单位, 编制单位, 报送日期, cut-off and data summary."""
    p, st = ctx.period, ctx.ds.settings
    dq = ctx.kpis["data_quality"]
    rows = [("期　　号", f"第{ctx.issue_number}期"), ("报送日期", _zh_date(ctx.due_date)),
            ("报送单位", st.report_recipient), ("编制单位", st.report_author),
            ("统计期间", f"{_zh_date(p.start)}至{_zh_date(p.end)}"), ("统计时点", f"{_zh_date(p.as_of.date())} {p.as_of:%H:%M}")]
    cells = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return fragment(
        '<div class="cover">',
        f"<h1>{html.escape(ctx.name)}</h1>",
        f'<p class="subtitle">{html.escape(period_title(p))}</p>',
        f'<table class="notice">{cells}</table>',
        f'<p class="meta">数据来源：{dq["files"]} 个台账文件，读入 {dq["rows_read"]:,} 行，接收 {dq["accepted_rows"]:,} 行，'
        f'隔离 {dq["quarantined_rows"]:,} 行（见“数据质量”）；生成时间 {ctx.generated_at:%Y-%m-%d %H:%M}。</p>',
        "</div>",
    )


def _zh_date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _change(cur, prev, how: str = "int") -> str:
    """The change from the previous period: points for rates, the difference and its percentage otherwise."""
    if cur is None or prev is None:
        return "—"
    d = cur - prev
    if how == "pct":
        return f"{d * 100:+.2f} 个百分点"
    diff = f"{d:+,.2f}" if how == "yuan" else f"{d:+,}"
    return diff + (f"（{d / prev * 100:+,.1f}%）" if prev else "")


HEADLINE = [
    ("hotline.tickets_received", "12345热线受理工单（件）", "int"),
    ("hotline.tickets_due", "期内到期工单（件）", "int"),
    ("hotline.closed_on_time", "按时办结（件）", "int"),
    ("hotline.on_time_rate", "按时办结率（目标100%）", "pct"),
    ("hotline.rated", "参评工单（件）", "int"),
    ("hotline.satisfaction_rate", "满意率（目标高于90%）", "pct"),
    ("hotline.overdue_open", "逾期未办结（件，截至统计时点）", "int"),
    ("all_channels.tickets_received", "全渠道受理工单（件）", "int"),
    ("outlet_inspections.count", "网点现场检查（次）", "int"),
    ("outlet_inspections.outlets_covered", "检查覆盖网点（个）", "int"),
    ("phone_checks.count", "电话巡检（次）", "int"),
    ("trainings.internal", "内部培训（次）", "int"),
    ("trainings.external", "外部培训（次）", "int"),
    ("trainings.outreach", "宣讲（次）", "int"),
    ("publications.articles", "培训材料、推文、活动简讯（篇）", "int"),
    ("publications.copies_printed", "印制宣传资料（份）", "int"),
    ("guide_checks.count", "服务指引检查（次）", "int"),
    ("documents.late", "超时办文（件次）", "int"),
    ("documents.late_days", "办文超时天数", "int"),
    ("penalties.total_yuan", "本期违约金（元）", "yuan"),
]


def headline(ctx: ReportContext, summary: str = "") -> Fragment:
    """综述 on page 1: the summary paragraph (``narrative.overview``), then the headline figures with the change
    from the previous period; each cell carries its KPI key."""
    rows = []
    for key, label, how in HEADLINE:
        cur = kpi_value(ctx.kpis, key)
        prev = kpi_value(ctx.previous_kpis, key) if ctx.previous_kpis else None
        rows.append(f'<tr><td>{label}</td><td class="num" data-key="{key}">{format_kpi(cur, how)}</td>'
                    f'<td class="num">{"—" if prev is None else format_kpi(prev, how)}</td><td class="num">{_change(cur, prev, how)}</td></tr>')
    before = "" if ctx.previous else '<p class="note">服务期开始前没有可比的上期。</p>'
    return fragment('<h2 class="unnumbered">综述</h2>', summary,
                    '<table class="headline"><thead><tr><th>指标</th><th>本期</th><th>上期</th><th>变化</th></tr></thead><tbody>',
                    *rows, "</tbody></table>", before)


def indicators_table(ctx: ReportContext) -> Fragment:
    """A1–A21 with status, value, pace, projection and chance of meeting the target."""
    rows = []
    for code, i in ctx.kpis["indicators"].items():
        v, t = indicator_cells(code, i)
        p = i.get("p_meet_target")
        cls = STATUS_CLASS[i["status"]]
        rows.append(
            f'<tr><td>{code}</td><td>{html.escape(i["name"])}</td><td class="num">{html.escape(t)}</td>'
            f'<td class="num" data-key="indicators.{code}.value">{html.escape(v)}</td>'
            f'<td class="num">{"" if "period_value" not in i else format(i["period_value"], ",.0f")}</td>'
            f'<td class="status {cls}">{STATUS_ZH[i["status"]]}</td>'
            f'<td class="num">{"" if i.get("pace_target") is None else format(i["pace_target"], ",.1f")}</td>'
            f'<td class="num">{"" if i.get("projected") is None else format(i["projected"], ",.0f")}</td>'
            f'<td class="num">{"" if p is None else f"{p * 100:.0f}%"}</td><td class="date">{i.get("reach_date") or ""}</td>'
            f'<td class="text">{html.escape(indicator_text(code, i))}</td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ["编号", "指标", "目标", "完成（累计）", "本期", "状态", "应完成进度", "预计全年", "达标概率", "预计达成日", "说明"])
    return fragment(f'<table class="indicators"><thead><tr>{head}</tr></thead><tbody>', *rows, "</tbody></table>",
                 '<p class="note">年度任务按服务期累计计算；“应完成进度”= 年度目标 × 已过天数 ÷ 服务期天数；达标概率按泊松模型估计；'
                 "A10 计不足每日2次检查的工作日天数，A20 计未提交报告的月数，目标均为 0。</p>")


def volume_chart(ctx: ReportContext) -> Fragment:
    """Tickets received per day (weekly, monthly) or per month (quarterly, annual), hotline vs other channels."""
    rec = received_in(ctx)
    if rec.empty:
        return fragment('<p class="nodata">（本期没有受理工单）</p>')
    chan = np.where(rec["channel"] == HOTLINE, "12345热线", "其他渠道")
    if ctx.kind in ("weekly", "monthly"):
        key = rec["received_at"].dt.date
        daily = pd.crosstab(key, chan)
        days = pd.date_range(ctx.period.start, ctx.period.end).date  # the whole period: the axis ends at its last day
        daily = daily.reindex(days, fill_value=0)
        rest = [d for d in days if not _workday(ctx, d)]
        return fragment(figure_html(charts.daily_volume(daily, rest_days=rest), "工单受理量（按日）"))
    return fragment(figure_html(charts.monthly_trend(monthly_trend(ctx)), "按月趋势"))


def _workday(ctx: ReportContext, d) -> bool:
    try:
        return ctx.cal.is_workday(d)
    except ValueError:  # past the known calendar: weekends only
        return d.weekday() < 5


def monthly_trend(ctx: ReportContext) -> pd.DataFrame:
    """Hotline volume, on-time and satisfaction rates for each month of the period."""
    from ..dates.periods import months_in
    from ..measures.hotline import hotline_kpis

    rows = {}
    for label in months_in(ctx.period):
        p = parse_period(label, ctx.ds.settings, now=ctx.period.as_of)  # each month cut off where the report is
        if p.start > ctx.period.as_of.date():
            break
        k = hotline_kpis(ctx.tickets, p, ctx.ds.settings.basic_satisfied_counts)
        rows[label] = {"受理量": k["tickets_received"], "按时办结率": _nan(k["on_time_rate"]), "满意率": _nan(k["satisfaction_rate"])}
    return pd.DataFrame.from_dict(rows, orient="index")


def _nan(rate: float | None) -> float:
    return np.nan if rate is None else rate


def breakdown(ctx: ReportContext, column: str, label: str, chart: bool = False, top: int = 15) -> Fragment:
    """Tickets received in the period by one attribute, all channels and 12345, with the change from last period.

    The largest ``top`` values are listed, ``（未填）`` last; by channel the
    12345 column is left out (it would repeat the 12345 row).
    """
    df = breakdown_frame(ctx, column, label)
    if column == "channel":
        df = df.drop(columns="12345热线")
    unfilled = df[df[label] == UNFILLED]
    df = pd.concat([df[df[label] != UNFILLED].head(top - len(unfilled)), unfilled])
    shown = df.assign(
        全部渠道=df["全部渠道"].map(fmt_int), 占比=df["占比"].map(lambda x: f"{x * 100:.1f}%"),
        上期=df["上期"].map(lambda v: "—" if v is None or pd.isna(v) else fmt_int(v)),
        环比=[("—" if ctx.previous is None else "新增" if not b else _change(int(a), int(b))) for a, b in zip(df["全部渠道"], df["上期"])])
    if "12345热线" in shown:
        shown["12345热线"] = shown["12345热线"].map(fmt_int)
    parts = [html_table(shown, right=("全部渠道", "12345热线", "占比", "上期", "环比"), cls="ranking")]
    if chart and len(df):
        counts = pd.Series(df["全部渠道"].values, index=df[label].values)
        parts.insert(0, figure_html(charts.ranked_bars(counts, f"按{label}分布（全部渠道）"), label))
    return fragment(*parts)


def rates_with_intervals(ctx: ReportContext) -> Fragment:
    """On-time and satisfaction rates with 95% Wilson intervals and a test of the change from last period."""
    h = ctx.kpis["hotline"]
    ph = ctx.previous_kpis["hotline"] if ctx.previous_kpis else None
    rows = []
    for label, k, n, pk, pn in (
        ("按时办结率", h["closed_on_time"], h["tickets_due"], ph and ph["closed_on_time"], ph and ph["tickets_due"]),
        ("满意率", h["satisfied"], h["rated"], ph and ph["satisfied"], ph and ph["rated"]),
    ):
        ci = wilson_interval(k, n)
        p = change_test(k, n, pk, pn) if ph else None
        rows.append({
            "指标": label, "分子": fmt_int(k), "分母": fmt_int(n), "本期": fmt_pct(k / n if n else None),
            "95%置信区间": "—" if ci is None else f"{ci[0] * 100:.2f}%–{ci[1] * 100:.2f}%",
            "上期": "—" if not pn else fmt_pct(pk / pn), "变化检验p值": "—" if p is None else f"{p:.3f}",
            "结论": "—" if p is None else ("变化显著" if p < 0.05 else "变化不显著"),
        })
    note = ('<p class="note">满意率 =（满意 + 基本满意）÷（满意 + 基本满意 + 不满意）；申诉成功的不满意不计入分子分母。'
            "置信区间为 Wilson 区间；变化检验为 Fisher 精确检验（双侧）。</p>")
    return fragment(html_table(pd.DataFrame(rows), right=("分子", "分母", "本期", "上期", "变化检验p值")), note)








def outlet_section(ctx: ReportContext) -> Fragment:
    """On-site inspections and phone checks: coverage by district and bank, scores, issues and rectification."""
    ds, p = ctx.ds, ctx.period
    if not ds.has("outlet_inspections"):
        return fragment('<p class="nodata">未提供网点现场检查记录。</p>')
    ins = in_period(ds["outlet_inspections"], "inspected_on", p)
    outlets = ds["outlets"][["outlet_id", "bank", "district"]] if ds.has("outlets") else pd.DataFrame(columns=["outlet_id", "bank", "district"])
    m = ins.merge(outlets, on="outlet_id", how="left")
    scores = ["score_environment", "score_management", "score_security", "score_conduct", "score_knowledge"]
    names = ["网点环境", "业务管理", "安全管理", "业务规范", "人员业务掌握"]
    parts = []
    for col, label in (("district", "所属区"), ("bank", "所属银行")):
        if m.empty:
            break
        g = m.groupby(m[col].astype(object).fillna("（未登记网点）"))
        total = outlets.groupby(outlets[col].astype(object)).size() if len(outlets) else pd.Series(dtype=int)
        df = pd.DataFrame({
            label: g.size().index, "检查次数": g.size().values, "覆盖网点": g["outlet_id"].nunique().values,
        })
        df["网点总数"] = df[label].map(total).fillna(0).astype(int)
        df["平均得分"] = g[scores].mean().mean(axis=1).round(1).values
        df["发现问题"] = g["issues"].apply(lambda s: int(s.notna().sum())).values
        df["已整改"] = g["rectified"].apply(lambda s: int((s == True).sum())).values  # noqa: E712
        df = unfilled_last(df.sort_values("检查次数", ascending=False, kind="stable"), label)
        parts.append(html_table(df, right=("检查次数", "覆盖网点", "网点总数", "平均得分", "发现问题", "已整改"), cls="ranking"))
    if not m.empty:
        avg = pd.DataFrame({"检查项": names, "平均分": [round(float(m[c].mean()), 1) for c in scores], "低于60分的次数": [int((m[c] < 60).sum()) for c in scores]})
        parts.append(html_table(avg, right=("平均分", "低于60分的次数")))
    if ds.has("phone_checks"):
        pc = in_period(ds["phone_checks"], "checked_at", p)
        n = len(pc)
        parts.append(f"<p>电话巡检 {n:,} 次，接通 {int((pc['answered'] == True).sum()):,} 次（接通率 {fmt_pct((pc['answered'] == True).mean() if n else None)}），"  # noqa: E712
                     f"服务规范 {int((pc['service_ok'] == True).sum()):,} 次，口径正确 {int((pc['script_ok'] == True).sum()):,} 次。</p>")  # noqa: E712
    return fragment(*parts)


def quota_chart(ctx: ReportContext) -> Fragment:
    """Every yearly quota (A3–A9, A11–A19): completed so far in % of the target, coloured by status, with the pace."""
    rows = [{"指标": f"{c} {i['name']}", "累计": i["value"], "目标": i["target"], "进度目标": i["pace_target"], "状态": STATUS_ZH[i["status"]]}
            for c, i in ctx.kpis["indicators"].items() if "pace_target" in i and i["value"] is not None]
    if not rows:
        return fragment('<p class="nodata">（无年度任务数据）</p>')
    note = ('<p class="note">条形为服务期累计完成占年度目标的百分比（超过130%按130%画出），颜色为指标状态；'
            "竖线为截至统计时点应完成的进度。</p>")
    return fragment(figure_html(charts.quota_progress(pd.DataFrame(rows)), "年度任务进度"), note)


ACTIVITY_CODES = ("A4", "A5", "A6", "A7", "A8", "A10", "A16", "A17", "A18", "A19")


def activity_table(ctx: ReportContext, codes: tuple[str, ...] = ACTIVITY_CODES) -> Fragment:
    """Trainings, publicity, guide checks and applications: the period's count beside the service's running total."""
    rows = []
    for code in codes:
        i = ctx.kpis["indicators"].get(code)
        if i is None:
            continue
        v, t = indicator_cells(code, i)
        period = i.get("period_value")
        rows.append({"编号": code, "事项": i["name"], "本期": "" if period is None else f"{period:,.0f}", "服务期累计": v, "年度目标": t,
                     "状态": STATUS_ZH[i["status"]], "说明": indicator_text(code, i)})
    if not rows:
        return fragment('<p class="nodata">（无数据）</p>')
    return fragment(html_table(pd.DataFrame(rows), right=("本期", "服务期累计", "年度目标")))


def documents_section(ctx: ReportContext) -> Fragment:
    """Purchaser requests in the period and the late ones (表2 deadlines)."""
    ds, p = ctx.ds, ctx.period
    if not ds.has("documents"):
        return fragment('<p class="nodata">未提供办文台账。</p>')
    st = task_stages(ds["documents"], ds["deliverables"] if ds.has("deliverables") else None, ds.settings, ctx.cal)
    late = lateness(st, p, ds.settings.late_day_basis, ctx.cal)
    d = ctx.kpis["documents"]
    parts = [f"<p>本期接收办文需求 {d['requested']} 件；超时 {d['late']} 件次，超时 {d['late_days']} 天"
             + (f"；{d['no_deadline']} 件来文未登记办理期限，无法评估" if d["no_deadline"] else "") + "。</p>"]
    late = late[late["late_in_period"] | (late["late_days"] > 0)]
    if not late.empty:
        df = pd.DataFrame({"编号": late["doc_id"], "类型": late["doc_type"], "环节": late["stage"], "期限": late["deadline"].dt.strftime("%Y-%m-%d"),
                           "完成时间": late["done_eff"].dt.strftime("%Y-%m-%d %H:%M").fillna("未完成"), "本期超时天数": late["late_days"]})
        parts.append(html_table(df, right=("本期超时天数",)))
    return fragment(*parts)


def staff_section(ctx: ReportContext) -> Fragment:
    """Roster against 表1, turnover, leave flags, error rates and complaints."""
    ds = ctx.ds
    if not ds.has("staff"):
        return fragment('<p class="nodata">未提供人员名册。</p>')
    day = min(ctx.period.end, ctx.period.as_of.date())
    r = roster_check(ds["staff"], day)
    parts = [f"<p>截至 {day}，在岗 {r['headcount']} 人（合同要求不少于 {r['target']} 人）。</p>"]
    if r["shortfalls"]:
        parts.append(html_table(pd.DataFrame([{"岗位": s["post"], "要求人数": s["need"], "在岗": s["have"],
                                           "缺少级别": "、".join(f"{k}{v}人" for k, v in s["missing_levels"].items())} for s in r["shortfalls"]])))
    t = ctx.kpis.get("turnover")
    if t:
        parts.append(f"<p>服务期内离职 {t['leavers']} 人，平均人数 {t['average_headcount']:.2f} 人，人员流动率 {fmt_pct(t['rate'])}，"
                     f"重点岗位流动率 {fmt_pct(t['key_post_rate'])}。</p>")
    if ds.has("errors"):
        e = ds["errors"]
        e = e[(e["month"] >= pd.Timestamp(ctx.period.start)) & (e["month"] <= pd.Timestamp(ctx.period.end))]
        vol, err = int(e["volume"].sum()), int(e["errors"].sum())
        parts.append(f"<p>本期业务量 {vol:,} 笔，差错 {err:,} 笔（差错率 {fmt_pct(err / vol if vol else None)}），抽检差错 {int(e['spot_check_errors'].fillna(0).sum())} 笔。</p>")
    p = ctx.period
    if ds.has("attendance"):
        a = in_period(ds["attendance"], "date", p)
        days = a.assign(d=a["days"].fillna(1)).groupby(a["kind"].astype(object))["d"].sum()
        if len(days):
            parts.append("<p>本期考勤记录：" + "，".join(f"{k} {v:g} 天" for k, v in days.items()) + "。</p>")
    if ds.has("complaints"):
        c = in_period(ds["complaints"], "received_on", p)
        valid = c[c["valid"] == True]  # noqa: E712
        parts.append(f"<p>本期投诉 {len(c)} 件，其中有效 {len(valid)} 件（持卡人 {int((valid['complainant'] == '持卡人').sum())} 件、"
                     f"网点 {int((valid['complainant'] == '网点').sum())} 件）。</p>")
    flags = ctx.kpis.get("flags", [])
    if flags:
        parts.append('<p class="lead">需关注：</p>' + html_table(pd.DataFrame([{"事项": f["flag"], "条款": f["clause"], "情况": f["basis"], "日期": f["date"]} for f in flags])))
    return fragment(*parts)


def penalties_section(ctx: ReportContext) -> Fragment:
    """Deductions charged in the period, rules not assessed, and the settlement against the final payment."""
    pen = ctx.kpis["penalties"]
    parts = [f'<p>本期违约金合计 <strong data-key="penalties.total_yuan">{fmt_yuan(pen["total_yuan"])}</strong> 元。</p>']
    if pen["items"]:
        by_rule = penalty_summary(pen["items"])
        by_rule["金额（元）"] = by_rule["金额（元）"].map(fmt_yuan)
        parts.append(html_table(by_rule, right=("扣款条目", "计量", "金额（元）")))
        parts.append('<p class="note">扣款条目：每条对应一次扣款（B6、B7 为一人一个月，B11 为一件办文的一个环节）；计量为按件或按天计价规则的实际件数、天数。</p>')
        items = pd.DataFrame(pen["items"])[["rule", "clause", "basis", "date", "amount_yuan"]].head(60)
        items.columns = ["规则", "条款", "依据", "扣款日期", "金额（元）"]
        items["金额（元）"] = items["金额（元）"].map(fmt_yuan)
        parts.append(html_table(items, right=("金额（元）",)))
        if len(pen["items"]) > 60:
            parts.append(f'<p class="note">另有 {len(pen["items"]) - 60} 条，见 Excel 附表“违约金”。</p>')
    for n in pen.get("not_assessed", []):
        parts.append(f'<p class="note">未评估 {n["rule"]}（{n["clause"]}）：{html.escape(zh_reason(n["reason"]))}</p>')
    st = pen["settlement"]
    parts.append(f"<p>尾款（合同价 20%）{fmt_yuan(st['final_payment_yuan'])} 元，截至统计时点累计扣款 {fmt_yuan(st['deductions_to_date_yuan'])} 元，"
                 f"尾款余额 {fmt_yuan(st['final_payment_left_yuan'])} 元。</p>")
    return fragment(*parts)






IGNORED_SHOWN = 20


def data_quality(ctx: ReportContext) -> Fragment:
    """Rows read, accepted, quarantined and dropped per ledger, with the files that needed attention (Chinese names only).

    A snapshot of the data folder when the report was generated (it is not
    part of the report's fingerprint, so a stray file does not re-render
    every report).
    """
    s = ctx.ds.summary()
    s = s[s["files"] > 0]
    df = pd.DataFrame({"台账": s["台账"], "文件数": s["files"], "读入行": s["rows_read"].map(fmt_int), "接收": s["accepted"].map(fmt_int),
                       "隔离": s["quarantined"].map(fmt_int),
                       "剔除（空行/合计行/重复）": (s["dropped_blank"] + s["dropped_summary"] + s["dropped_duplicate"]).map(fmt_int),
                       "警告": s["warnings"].map(fmt_int)})
    parts = [f'<p class="note">截至生成时（{ctx.generated_at:%Y-%m-%d %H:%M}）数据目录的读取情况。</p>',
             html_table(df, right=("文件数", "读入行", "接收", "隔离", "剔除（空行/合计行/重复）", "警告"))]
    q = quarantine_zh(ctx.ds.quarantine)
    if len(q):
        top = q.assign(原因=q["原因"].str.split("；").str[0].str.replace(r"“.*”", "“…”", regex=True)).groupby(["台账", "原因"]).size().reset_index(name="行数")
        parts.append('<p class="lead">隔离原因（每行的文件、工作表和行号见 Excel 附表“隔离明细”）：</p>'
                     + html_table(top.sort_values("行数", ascending=False, kind="stable").head(15), right=("行数",)))
    if ctx.ds.ignored:
        shown = [html.escape(clip(scrub_text(f"{f}（{w}）"), 120)) for f, w in ctx.ds.ignored[:IGNORED_SHOWN]]
        more = f"；等共 {len(ctx.ds.ignored)} 个" if len(ctx.ds.ignored) > IGNORED_SHOWN else ""
        parts.append("<p>未读取的文件：" + "；".join(shown) + more + "</p>")
    return fragment(*parts)


def work_summary(ctx: ReportContext) -> Fragment:
    """Quarterly/annual: the work done in the period, in one paragraph of figures."""
    k = ctx.kpis
    t, pub = k["trainings"], k["publications"]
    return fragment(
        f"<p>本期共受理各渠道社保卡工单 {k['all_channels']['tickets_received']:,} 件，其中12345热线 {k['hotline']['tickets_received']:,} 件；"
        f"开展网点现场检查 {k['outlet_inspections']['count']:,} 次（覆盖 {k['outlet_inspections']['outlets_covered']:,} 个网点）、电话巡检 {k['phone_checks']['count']:,} 次；"
        f"内部培训 {t['internal']} 次、外部培训 {t['external']} 次、宣讲 {t['outreach']} 次；编写培训材料、推文和活动简讯 {pub['articles']} 篇，"
        f"印制宣传资料 {pub['copies_printed']:,} 份；服务指引检查 {k['guide_checks']['count']:,} 次；接收办文需求 {k['documents']['requested']} 件。</p>"
    )
