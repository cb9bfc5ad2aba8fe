"""The report's analytical sections, each a function of the report context returning an HTML fragment.

Every section renders the output of one function of the analysis layer,
called with the context's tickets, period and previous period, so a test can
compare what the report shows with what the function returns:

=========================  ===================================================
section                    data function
=========================  ===================================================
:func:`overview`           ``analysis.findings.summary_facts`` (本月工作综述)
:func:`hot_topics`         ``analysis.topics.hot_topics`` (热点诉求)
:func:`incidents`          ``analysis.anomalies.incidents`` (突发问题)
:func:`dissatisfaction`    ``analysis.drivers`` (不满意与申诉分析)
:func:`district_ranking`,  ``analysis.rankings.unit_metrics`` (排名, units
:func:`bank_ranking`       below the line named)
:func:`late_tickets`       ``analysis.backlog.late_tickets`` (逾期与超时工单)
:func:`next_steps`         ``analysis.backlog.open_items`` (下期工作计划 /
                           需采购人协调事项)
:func:`achievements`       ``analysis.findings.achievements`` (工作成效)
:func:`findings`           ``analysis.findings.grouped_findings`` (问题与建议)
=========================  ===================================================

Personal data never appears: tickets are listed by number, text is
scrubbed, handlers are work IDs or masked names, callers pseudonyms.
"""

from __future__ import annotations

import html

import pandas as pd

from ..analysis import anomalies as _anomalies
from ..analysis import backlog as _backlog
from ..analysis import drivers as _drivers
from ..analysis import findings as _findings
from ..analysis import rankings as _rankings
from ..analysis import topics as _topics
from ..analysis.slices import UNFILLED
from ..ingest.ledgers import CATEGORY, CHANNEL, HOTLINE
from .context import ReportContext
from .formatting import STATUS_ZH, Fragment, fmt_int, fmt_pct, fmt_yuan, fragment, html_table

NEXT = {"weekly": "下周", "monthly": "下月", "quarterly": "下季度", "annual": "下一阶段"}
THIS = {"weekly": "本周", "monthly": "本月", "quarterly": "本季度", "annual": "本年度"}
LAST = {"weekly": "上周", "monthly": "上月", "quarterly": "上季度", "annual": "上年度"}
MAX_ITEMS = 10


# ---------------------------------------------------------------- data, once per report


def _cached(ctx: ReportContext, name: str, compute):
    store = ctx.__dict__.setdefault("_narrative_cache", {})
    if name not in store:
        store[name] = compute()
    return store[name]


def hot_topics_data(ctx: ReportContext, top: int = 5) -> pd.DataFrame:
    """What :func:`hot_topics` shows: ``analysis.topics.hot_topics`` for the report's period and the previous one."""
    return _cached(ctx, f"hot{top}", lambda: _topics.hot_topics(ctx.tickets, ctx.period, ctx.previous, top, ctx.ds.settings.basic_satisfied_counts))


def incidents_data(ctx: ReportContext) -> pd.DataFrame:
    """What :func:`incidents` shows: ``analysis.anomalies.incidents`` over the report's period (all channels)."""
    return _cached(ctx, "incidents", lambda: _anomalies.incidents(ctx.tickets, ctx.period, ctx.cal))


def ranking_data(ctx: ReportContext, by: str) -> pd.DataFrame:
    """What the ranking sections show: ``analysis.rankings.unit_metrics`` by district or bank."""
    return _cached(ctx, f"rank-{by}", lambda: _rankings.unit_metrics(ctx.ds, ctx.tickets, ctx.period, by, ctx.ds.settings.basic_satisfied_counts))


def late_data(ctx: ReportContext) -> pd.DataFrame:
    """What :func:`late_tickets` shows: ``analysis.backlog.late_tickets`` (12345热线)."""
    return _cached(ctx, "late", lambda: _backlog.late_tickets(ctx.tickets, ctx.period, ctx.cal))


# ---------------------------------------------------------------- formatting


def _ci(low, high, pct: bool = True) -> str:
    if pd.isna(low) or pd.isna(high):
        return "—"
    return f"{low * 100:.1f}–{high * 100:.1f}%" if pct else f"{low:.2f}–{high:.2f}"


def _items(items: list[str], limit: int = MAX_ITEMS) -> str:
    if not items:
        return ""
    shown = "".join(f"<li>{html.escape(i)}</li>" for i in items[:limit])
    more = f"<li>等共 {len(items)} 项。</li>" if len(items) > limit else ""
    return f"<ul>{shown}{more}</ul>"


def _signed(n: float) -> str:
    return f"增加 {n:,.0f}" if n > 0 else f"减少 {-n:,.0f}" if n < 0 else "持平"


# ---------------------------------------------------------------- sections


def overview(ctx: ReportContext) -> Fragment:
    """本月工作综述: volume and change, the two rates against target, incidents, top problems, money charged."""
    f = _findings.summary_facts(ctx.kpis, ctx.previous_kpis, hot_topics_data(ctx), incidents_data(ctx))
    this, last = THIS[ctx.kind], LAST[ctx.kind]
    s = [f"{this}共受理各渠道社保卡工单 {f['received']:,} 件，其中12345热线 {f['hotline_received']:,} 件"]
    if f["change"] is not None:
        s[-1] += f"，较{last}{_signed(f['change'])} 件" + (f"（{f['change_pct']:+.1f}%）" if f["change_pct"] is not None else "")
    s[-1] += "。"
    def against(rate, met, target):
        return f"（目标{target}，本期无数据）" if rate is None else f"（目标{target}，{'达标' if met else '未达标'}）"

    s.append(f"12345热线按时办结率 {fmt_pct(f['on_time_rate'])}{against(f['on_time_rate'], f['on_time_met'], '100%')}，"
             f"满意率 {fmt_pct(f['satisfaction_rate'])}{against(f['satisfaction_rate'], f['satisfaction_met'], '高于90%')}"
             + (f"；截至统计时点逾期未办结 {f['overdue_open']} 件。" if f["overdue_open"] else "。"))
    if f["incidents"]:
        s.append(f"{this}发生突发问题 {len(f['incidents'])} 起：" + "；".join(f["incidents"]) + "。")
    else:
        s.append(f"{this}未发现工单量异常激增的突发问题。")
    if f["top_topics"]:
        s.append("诉求量居前的业务类别为" + "、".join(f"{t}（{n:,} 件，占 {sh * 100:.1f}%）" for t, n, sh in f["top_topics"]) + "。")
    if f["penalty_items"]:
        rules = "；".join(f"{r} {_findings.RULES.get(r, (r,))[0]} {n} 笔 {fmt_yuan(y)} 元" for r, (n, y) in f["penalty_rules"].items())
        s.append(f"{this}计扣违约金 {fmt_yuan(f['penalties_yuan'])} 元（{rules}）。")
    else:
        s.append(f"{this}未计扣违约金。")
    return fragment(f'<p class="overview">{html.escape("".join(s))}</p>')


def hot_topics(ctx: ReportContext, top: int = 5) -> Fragment:
    """热点诉求: the largest categories with count, share, change, 12345 satisfaction, distinctive terms and a typical case."""
    df = hot_topics_data(ctx, top)
    if df.empty:
        return fragment('<p class="nodata">（本期没有受理工单）</p>')
    has_prev = ctx.previous is not None
    shown = pd.DataFrame({
        "序号": range(1, len(df) + 1), "业务类别": df["topic"], "件数": df["tickets"].map(fmt_int),
        "占比": df["share"].map(lambda x: f"{x * 100:.1f}%"),
        "上期": df["previous"].map(lambda v: "—" if pd.isna(v) else fmt_int(v)),
        "环比": [("—" if not has_prev or pd.isna(p) else "新增" if not p else f"{(n / p - 1) * 100:+.1f}%") for n, p in zip(df["tickets"], df["previous"])],
        "12345满意率（95%区间）": [f"{fmt_pct(None if pd.isna(r) else r)}（{_ci(lo, hi)}）" if not pd.isna(r) else "—"
                             for r, lo, hi in zip(df["satisfaction_rate"], df["satisfaction_low"], df["satisfaction_high"])],
        "关键词": df["terms"], "典型诉求（已脱敏）": df["example"],
    })
    note = ('<p class="note">件数为全部渠道受理量；满意率为该类别12345热线期内办结且参评工单的满意率（Wilson 95%区间）；'
            "关键词为该类别相对其他类别最突出的词；典型诉求为与该类别用词最接近的一件。</p>")
    return fragment(html_table(shown, right=("序号", "件数", "占比", "上期", "环比")), note)


def incidents(ctx: ReportContext) -> Fragment:
    """突发问题: each incident's dates, size against the working-day baseline, categories, terms, banks and a typical case."""
    df = incidents_data(ctx)
    if df.empty:
        return fragment(f"<p>{THIS[ctx.kind]}未发现工单量明显偏离常态的突发问题。</p>",
                        '<p class="note">判定方法：按业务类别逐日比较受理量与前后同类日（工作日与工作日、休息日与休息日，调休上班日按工作日）中位数，'
                        "稳健Z值≥4、超出常态≥10件且达到常态1.5倍的日期视为异常；相邻异常日（中间仅隔休息日）合并为一起突发问题。</p>")
    parts = []
    for r in df.itertuples():
        parts.append(
            f"<p><strong>突发问题{r.incident}：{r.start:%Y年%m月%d日}至{r.end:%m月%d日}（{r.days} 天）</strong>，"
            f"{html.escape(r.categories)}类工单 {r.tickets:,} 件，常态约 {r.expected:,.0f} 件，超出 {r.excess:,.0f} 件"
            f"（约为常态的 {r.ratio:.1f} 倍）；峰值 {r.peak_date:%m月%d日} {r.peak_tickets:,} 件。"
            f"主要反映：{html.escape(r.terms or '—')}。" + (f"涉及银行较多的有：{html.escape(r.banks)}。" if r.banks else "")
            + (f"典型诉求：{html.escape(r.example)}" if r.example else "") + "</p>")
    table = pd.DataFrame({"序号": df["incident"], "起止日期": [f"{a:%m-%d}至{b:%m-%d}" for a, b in zip(df["start"], df["end"])],
                          "业务类别（超出件数）": df["categories"], "工单量": df["tickets"].map(fmt_int),
                          "常态": df["expected"].map(lambda v: f"{v:,.0f}"), "超出": df["excess"].map(lambda v: f"{v:,.0f}"),
                          "倍数": df["ratio"].map(lambda v: f"{v:.1f}"), "关键词": df["terms"]})
    parts.append(html_table(table, right=("序号", "工单量", "常态", "超出", "倍数")))
    parts.append('<p class="note">常态为前后同类日（工作日、休息日分别计算，调休上班日按工作日）受理量的中位数；'
                 "超出件数为异常期间实际受理量减去常态之和。</p>")
    return fragment(*parts)


def dissatisfaction(ctx: ReportContext) -> Fragment:
    """不满意与申诉分析: 12345 不满意 and appeals by category, tests across categories, districts, banks and handlers, reasons."""
    p, basic, hot = ctx.period, ctx.ds.settings.basic_satisfied_counts, {CHANNEL: HOTLINE}
    by_cat, p_cat = _drivers.dissatisfaction(ctx.tickets, p, CATEGORY, basic, hot)
    total = by_cat[by_cat["group"] == "合计"].iloc[0] if len(by_cat) else None
    if total is None or not total["rated"]:
        return fragment("<p>本期12345热线没有参评工单。</p>")
    parts = [f"<p>本期12345热线办结并参评 {total['rated']:,} 件，不满意 {total['dissatisfied_raw']:,} 件；"
             f"提出申诉 {total['appeals_filed']:,} 件，申诉成功 {total['appeals_upheld']:,} 件"
             + (f"（成功率 {fmt_pct(total['upheld_rate'])}）" if total["appeals_filed"] else "")
             + f"，申诉成功的不计入满意率。计入满意率的不满意 {total['dissatisfied']:,} 件，不满意率 {fmt_pct(total['rate'])}"
             f"（95%区间 {_ci(total['low'], total['high'])}）。</p>"]
    shown = by_cat[by_cat["dissatisfied_raw"] > 0]
    parts.append(html_table(pd.DataFrame({
        "业务类别": shown["group"], "参评": shown["rated"].map(fmt_int), "不满意": shown["dissatisfied_raw"].map(fmt_int),
        "申诉": shown["appeals_filed"].map(fmt_int), "申诉成功": shown["appeals_upheld"].map(fmt_int),
        "计入不满意": shown["dissatisfied"].map(fmt_int), "不满意率": shown["rate"].map(lambda v: fmt_pct(None if pd.isna(v) else v)),
        "95%区间": [_ci(a, b) for a, b in zip(shown["low"], shown["high"])], "与总体比较": shown["flag"].replace("", "无显著差异"),
    }), right=("参评", "不满意", "申诉", "申诉成功", "计入不满意", "不满意率")))
    tests = _drivers.dimension_tests(ctx.tickets, p, basic, hot)
    tests = tests[tests["dimension"] != CHANNEL]
    parts.append(html_table(pd.DataFrame({
        "维度": tests["name"], "有参评的组数": tests["groups"],
        "卡方检验p值": tests["p_value"].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}"),
        "结论": ["各组差异显著" if s else "各组差异不显著" for s in tests["significant"]],
        "不满意率明显高于总体的组": tests["above_overall"].replace("", "无"),
    }), right=("有参评的组数", "卡方检验p值")))
    terms, examples = _drivers.reasons(ctx.tickets, p, 6, basic, hot)
    if len(terms):
        parts.append(f"<p>不满意工单中相对满意工单更突出的用词：{html.escape('、'.join(terms['term']))}。</p>")
    if examples:
        parts.append("<p>典型不满意工单（已脱敏）：</p>" + _items(examples))
    parts.append('<p class="note">不满意率 = 计入满意率的不满意 ÷ 参评；区间为 Wilson 95%区间；“明显高于总体”指该组区间整体高于总体不满意率；'
                 "卡方检验各组不满意率是否相同，小样本组不单独下结论。</p>")
    return fragment(*parts)


# One table per group, narrow enough for the A4 text block: ticket rates, complaints per outlet, checks of outlets.
RANKING_GROUPS = (("on_time", "satisfaction"), ("complaints_per_outlet",), ("inspection_score", "answer_rate"))
PER_100 = {"complaints_per_outlet": "每百网点有效投诉"}  # shown per 100 outlets: per outlet the figures are all 0.00x
COUNT_LABELS = {"on_time": "到期件数", "satisfaction": "参评件数", "inspection_score": "检查次数", "answer_rate": "巡检次数"}


def ranking_tables(m: pd.DataFrame, unit: str) -> list[pd.DataFrame]:
    """The ranking tables of one unit kind from ``analysis.rankings.unit_metrics``, one per :data:`RANKING_GROUPS`.

    Each metric has a ``数值［95%区间］`` column (:func:`ranking_cell`) and a
    名次 column; rows in rank order of the table's first ranked metric,
    ``（未填）`` last.
    """
    out = []
    for group in RANKING_GROUPS:
        metrics = [k for k in group if k in set(m["metric"])]
        if not metrics:
            continue
        first = m[m["metric"] == metrics[0]]
        units = list(first["unit"])
        units += sorted(set(m.loc[m["metric"].isin(metrics), "unit"]) - set(units))
        units = [u for u in units if u != UNFILLED] + [u for u in units if u == UNFILLED]
        table: dict[str, list] = {unit: units}
        for metric in metrics:
            name, _, _, kind = _rankings.METRICS[metric]
            name = PER_100.get(metric, name)
            cells = m[m["metric"] == metric].set_index("unit")
            if metric == "complaints_per_outlet":
                table["网点数"] = [fmt_int(cells.loc[u, "n"]) if u in cells.index else "—" for u in units]
                table["有效投诉"] = [fmt_int(cells.loc[u, "k"]) if u in cells.index else "—" for u in units]
            else:
                table[COUNT_LABELS[metric]] = [fmt_int(cells.loc[u, "n"]) if u in cells.index else "—" for u in units]
            table[f"{name}［95%区间］"] = [ranking_cell(cells.loc[u], kind) if u in cells.index else "—" for u in units]
            table[f"{name}名次"] = ["—" if u not in cells.index or pd.isna(cells.loc[u, "rank"]) else int(cells.loc[u, "rank"]) for u in units]
        out.append(pd.DataFrame(table))
    return out


def _ranking(ctx: ReportContext, by: str) -> Fragment:
    m = ranking_data(ctx, by)
    if m.empty:
        return fragment('<p class="nodata">（本期无数据）</p>')
    parts = [html_table(t, right=tuple(c for c in t.columns[1:])) for t in ranking_tables(m, _rankings.UNIT_NAMES[by])]
    below = _rankings.below_line(m)
    lines = []
    for metric in _rankings.METRICS:
        b = below[below["metric"] == metric]
        if b.empty:
            continue
        name, _, _, kind = _rankings.METRICS[metric]
        name = PER_100.get(metric, name)
        where = ("低于目标100%" if metric == "on_time" else "未高于90%" if metric == "satisfaction"
                 else f"差于全市平均（{_value(b['line'].iloc[0], kind)}）")
        names = "、".join(f"{r.unit}（{_value(r.value, kind)}{'，区间整体在线下' if r.clearly_below else '，区间跨线，差异不显著'}）"
                         for r in b.itertuples())
        lines.append(f"{name}{where}：{names}")
    parts.append("<p>低于线的单位：</p>" + _items(lines, 20) if lines else "<p>各单位均未低于线。</p>")
    parts.append('<p class="note">名次按95%区间的保守端排列（越高越好的指标按下限、越低越好的按上限），样本少的单位不会因偶然的高值排在前面；'
                 "“（未填）”不参与排名。按时办结率、满意率为12345热线；每百网点有效投诉 = 期内有效投诉 ÷ 网点数 × 100；现场检查平均分为五项得分的平均；"
                 "电话巡检接通率 = 接通 ÷ 巡检次数。按时办结率的线为100%，满意率为90%，其余为全市总体水平。</p>")
    return fragment(*parts)


def _value(v, kind: str) -> str:
    if pd.isna(v):
        return "—"
    return fmt_pct(v) if kind == "rate" else f"{v * 100:.2f}" if kind == "per_outlet" else f"{v:.1f}分"


def ranking_cell(row: pd.Series, kind: str) -> str:
    """One metric of one unit as the ranking tables show it: ``95.77%［95.3–96.6%］``."""
    if not row["n"]:
        return "—"
    if kind == "rate":
        ci = _ci(row["low"], row["high"])
    elif kind == "per_outlet":
        ci = "—" if pd.isna(row["low"]) else f"{row['low'] * 100:.2f}–{row['high'] * 100:.2f}"
    else:
        ci = "—" if pd.isna(row["low"]) else f"{row['low']:.1f}–{row['high']:.1f}"
    return f"{_value(row['value'], kind)}［{ci}］"


def district_ranking(ctx: ReportContext) -> Fragment:
    """Districts ranked by rate (on-time, satisfaction, complaints per outlet, inspection score, phone answers), below-line units named."""
    return _ranking(ctx, "district")


def bank_ranking(ctx: ReportContext) -> Fragment:
    """Banks ranked by rate, below-line banks named."""
    return _ranking(ctx, "bank")


def late_tickets(ctx: ReportContext, limit: int = 30) -> Fragment:
    """逾期与超时工单: each late 12345 ticket with how late (days, working days) and its category; a summary by category."""
    df = late_data(ctx)
    overdue = df["state"] == _backlog.OVERDUE
    n_od, n_late = int(overdue.sum()), int((df["state"] == _backlog.CLOSED_LATE).sum())
    n_od_here = int((overdue & df["due_in_period"].astype(bool)).sum())
    counts = (f"<p>截至统计时点逾期未办结 {n_od} 件（其中本期到期 {n_od_here} 件）；本期到期、超时办结 {n_late} 件。"
              f"本期到期未按时办结合计 {n_od_here + n_late} 件。</p>")
    if df.empty:
        return fragment(counts)
    summary = _backlog.late_summary(df)
    parts = [counts,
             html_table(pd.DataFrame({"状态": summary["state"], "业务类别": summary["category"], "件数": summary["tickets"],
                                      "平均超时（天）": summary["mean_late_days"], "最长超时（天）": summary["max_late_days"]}),
                        right=("件数", "平均超时（天）", "最长超时（天）"))]
    shown = df.head(limit)
    parts.append(html_table(pd.DataFrame({
        "工单编号": shown["ticket_id"], "状态": shown["state"], "业务类别": shown["category"],
        "办理时限": shown["due_at"].dt.strftime("%m-%d %H:%M"), "办结时间": shown["closed_at"].dt.strftime("%m-%d %H:%M").fillna("未办结"),
        "超时天数": shown["late_days"].map(lambda v: f"{v:.1f}"), "超时工作日": shown["late_workdays"],
        "经办人": shown["handler"], "诉求摘要（已脱敏）": shown["summary"],
    }), right=("超时天数", "超时工作日"), cls="late"))
    if len(df) > limit:
        parts.append(f'<p class="note">另有 {len(df) - limit} 件未列出。</p>')
    parts.append('<p class="note">超时天数自办理时限起算至办结时间（未办结的至统计时点）；超时工作日为办理时限次日至办结日（或统计时点当日）的工作日数。</p>')
    return fragment(*parts)


def next_steps(ctx: ReportContext) -> Fragment:
    """下月工作计划 / 需采购人协调事项, drafted from what is open at the cut-off (for the team to edit)."""
    items = _cached(ctx, "open", lambda: _backlog.open_items(ctx.ds, ctx.tickets, ctx.kpis, ctx.period, ctx.cal, incidents_data(ctx)))
    nxt = NEXT[ctx.kind]
    parts = []
    for owner, title in ((_backlog.OWNER_TEAM, f"{nxt}工作计划"), (_backlog.OWNER_PURCHASER, "需采购人协调事项")):
        mine = [i for i in items if i["owner"] == owner]
        parts.append(f"<h3>{title}</h3>")
        if not mine:
            parts.append("<p>无。</p>" if owner == _backlog.OWNER_PURCHASER else "<p>按计划推进各项日常工作。</p>")
            continue
        parts.append("<ol class='plan'>" + "".join(
            f"<li><strong>{html.escape(i['kind'])}</strong>：{html.escape(i['item'])}{_items(i['details'])}</li>" for i in mine) + "</ol>")
    return fragment(*parts)


def achievements(ctx: ReportContext) -> Fragment:
    """工作成效 (quarterly, annual): yearly quotas done so far and what improved on the previous period."""
    quotas, better = _findings.achievements(ctx.kpis, ctx.previous_kpis)
    parts = []
    if len(quotas):
        parts.append(html_table(pd.DataFrame({
            "编号": quotas["code"], "任务": quotas["name"], "累计完成": quotas["value"].map(lambda v: f"{v:,.0f}"),
            "本期": quotas["period_value"].map(lambda v: "—" if v is None or pd.isna(v) else f"{v:,.0f}"),
            "年度目标": quotas["target"].map(lambda v: f"{v:,.0f}"), "完成比例": quotas["done"].map(lambda v: fmt_pct(v, 1)),
            "状态": quotas["status"].map(STATUS_ZH),
        }), right=("累计完成", "本期", "年度目标", "完成比例")))
    parts.append("<p>主要成效：</p>" + _items(better, 20) if better else "<p>与上期相比，主要指标无显著提升。</p>")
    return fragment(*parts)


def findings(ctx: ReportContext) -> Fragment:
    """问题与建议, grouped: one finding per kind with its list; every deduction charged in the period included."""
    items = _cached(ctx, "findings", lambda: _findings.grouped_findings(ctx.ds, ctx.tickets, ctx.kpis, ctx.period, ctx.previous, ctx.cal,
                                                                        incidents_data(ctx)))
    if not items:
        return fragment("<p>本期未发现需要特别说明的问题。</p>")
    return fragment("<ol class='findings'>" + "".join(
        f"<li><strong>{html.escape(f['problem'])}</strong>{_items(f['items'])}建议：{html.escape(f['suggestion'])}</li>" for f in items) + "</ol>")


def outline(kind: str) -> list[tuple[str, str]]:
    """(heading, section function name) in the order a report of ``kind`` shows them, for wiring into the notebooks.

    Every kind: the summary first, then hot topics, incidents, dissatisfaction,
    rankings, late tickets, findings and the next period's plan; quarterly and
    annual reports add 工作成效 before the findings.
    """
    this, nxt = THIS[kind], NEXT[kind]
    out = [(f"{this}工作综述", "overview"), ("热点诉求", "hot_topics"), ("突发问题", "incidents"), ("不满意与申诉分析", "dissatisfaction"),
           ("各区排名", "district_ranking"), ("合作银行排名", "bank_ranking"), ("逾期与超时工单", "late_tickets")]
    if kind in ("quarterly", "annual"):
        out.append(("工作成效", "achievements"))
    out += [("问题与建议", "findings"), (f"{nxt}工作计划与需采购人协调事项", "next_steps")]
    return out
