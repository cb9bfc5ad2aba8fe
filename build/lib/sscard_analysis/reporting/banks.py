"""The banks' outlet assessment as a report section and as display tables (2.2(1), 表1 #2, #9).

:func:`bank_scorecard_section` is the section of the quarterly and annual
reports; :func:`ranking_table`, :func:`items_table` and :func:`bottom_table`
are the Chinese tables that the section, the ``sscard banks`` command and its
Excel workbook share. The numbers come from
:func:`sscard_analysis.analysis.scorecard.bank_scorecard`.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.scorecard import COMPONENTS, SCORE_ITEMS, bank_scorecard, outlet_detail
from ..dates.periods import Period
from ..ingest.reader import DataSet
from ..privacy import scrub_series
from . import charts
from .context import ReportContext
from .formatting import Fragment, figure_html, fragment, html_table

BOTTOM_OUTLETS = 15  # outlets listed in the report section (the workbook lists all)


def assessment(ds: DataSet, period: Period, tickets: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bank scorecard, outlet detail) of a data folder for a period, with the deployment's weights."""
    f = {name: ds[name] for name in ("outlets", "outlet_inspections", "phone_checks")}
    card = bank_scorecard(f["outlets"], f["outlet_inspections"], f["phone_checks"],
                          ds["tickets"] if tickets is None else tickets, period, ds.settings.start, ds.settings.bank_weights)
    detail = outlet_detail(f["outlets"], f["outlet_inspections"], f["phone_checks"], period, ds.settings.bank_weights)
    return card, detail


def _f(v, digits: int = 1) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:.{digits}f}"


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{v * 100:.1f}%"


def _with_span(v, lo, hi, pct: bool = False) -> str:
    """``88.8（69.8–91.3）`` or ``96.4%（86.7–99.4%）``; the value alone when there is no interval."""
    if v is None or pd.isna(v):
        return "—"
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return _pct(v) if pct else _f(v)
    if pct:
        return f"{v * 100:.1f}%（{lo * 100:.1f}–{hi * 100:.1f}%）"
    return f"{v:.1f}（{lo:.1f}–{hi:.1f}）"


def _int(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{int(v):,}"


RANKING_RIGHT = ("排名", "综合得分（区间）", "在用网点", "工单（件）", "投诉（件）", "投诉/网点", "现场检查（次）", "检查平均分（区间）",
                 "整改率（区间）", "电话巡检（次）", "接通率（区间）", "口径正确率（区间）", "年度未检查网点")


def ranking_table(card: pd.DataFrame) -> pd.DataFrame:
    """The ranking with every component and its 95% interval, as text for HTML and the terminal."""

    def col(key: str, pct: bool = False) -> list[str]:
        return [_with_span(v, lo, hi, pct) for v, lo, hi in zip(card[key], card[f"{key}_low"], card[f"{key}_high"])]

    return pd.DataFrame({
        "排名": card["rank"].map(_int), "银行": card["bank"], "综合得分（区间）": col("score"),
        "在用网点": card["outlets"].map(_int), "工单（件）": card["tickets"].map(_int), "投诉（件）": card["complaints"].map(_int),
        "投诉/网点": card["complaints_per_outlet"].map(lambda v: _f(v, 2)),
        "现场检查（次）": card["inspections"].map(_int), "检查平均分（区间）": col("inspection_score"),
        "整改率（区间）": col("rectification_rate", True), "电话巡检（次）": card["phone_checks"].map(_int),
        "接通率（区间）": col("answer_rate", True), "口径正确率（区间）": col("script_rate", True),
        "年度未检查网点": card["never_inspected"].map(_int), "说明": card["note"],
    })


def items_table(card: pd.DataFrame) -> pd.DataFrame:
    """Mean on-site score of each inspection item per bank (0–100)."""
    out = pd.DataFrame({"银行": card["bank"], "现场检查（次）": card["inspections"].map(_int)})
    for col, label in SCORE_ITEMS.items():
        out[label] = card[col].map(_f)
    return out


def bottom_table(detail: pd.DataFrame, n: int | None = BOTTOM_OUTLETS) -> pd.DataFrame:
    """The lowest-scoring outlets (all when ``n`` is None); findings scrubbed of personal data."""
    d = detail if n is None else detail[detail["score"].notna()].head(n)
    return pd.DataFrame({
        "网点编号": d["outlet_id"], "网点名称": d["name"], "银行": d["bank"], "所属区": d["district"],
        "网点得分": d["score"].map(_f), "检查（次）": d["inspections"].map(_int),
        "最近检查": pd.to_datetime(d["last_inspected"]).dt.strftime("%Y-%m-%d").fillna("—"),
        "检查平均分": d["inspection_score"].map(_f), "最低分项": d["lowest_item"].fillna("—"),
        "最近发现问题": scrub_series(d["last_issue"].astype(object)).replace("", "—").values,
        "未整改": np.where(d["unrectified"], "是", ""), "电话巡检（次）": d["phone_checks"].map(_int),
        "接通（次）": d["answered"].map(_int), "口径错误（次）": d["script_wrong"].map(_int),
    })


def weights_note(weights: dict[str, float]) -> str:
    """The weights and how intervals are read, in one Chinese sentence."""
    total = sum(weights.values()) or 1
    parts = "、".join(f"{COMPONENTS[c]} {weights.get(c, 0) / total * 100:.0f}%" for c in COMPONENTS)
    return (f"综合得分（0–100）按权重加权：{parts}（权重可在 sscard.toml [banks.weights] 设置）。"
            "现场检查得分为各次检查五个分项的平均分；整改率 = 已整改 ÷ 发现问题的检查次数；接通率 = 接通 ÷ 电话巡检次数；"
            "口径正确率 = 口径正确 ÷ 已接通且记录口径的次数；投诉按每网点投诉工单数折算（零投诉 100 分，全市平均 50 分，两倍及以上 0 分）。"
            "率的区间为 95% Wilson 区间，平均分区间为 bootstrap 区间；得分区间将各分项区间端点代入同一权重，样本少的银行区间更宽，"
            "区间重叠的银行之间排名差异不宜过度解读。")


def score_chart(card: pd.DataFrame) -> plt.Figure:
    """Each bank's score with its range, best at the top."""
    charts.use_cjk_font()
    c = card[card["score"].notna()].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.32 * len(c) + 1)), layout="constrained")
    ax.set_title("各银行综合得分及区间", loc="left", fontsize=12, fontweight="bold")
    y = np.arange(len(c))
    score = c["score"].astype(float).to_numpy()
    lo, hi = c["score_low"].astype(float).to_numpy(), c["score_high"].astype(float).to_numpy()
    ax.errorbar(score, y, xerr=[score - lo, hi - score], fmt="o", color=charts.PALETTE[0], ecolor="#9bb3d6", capsize=3)
    median = float(np.median(score)) if len(score) else None
    if median is not None:
        ax.axvline(median, color="gray", lw=0.8, ls="--", label=f"中位数 {median:.1f}")
        ax.legend(frameon=False, fontsize=8, loc="lower left")
    ax.set_yticks(y, c["bank"].astype(str))
    ax.set_xlabel("综合得分（0–100）")
    ax.grid(axis="y", visible=False)
    return fig


RANKING_PARTS = (
    ("排名", "银行", "综合得分（区间）", "在用网点", "工单（件）", "投诉（件）", "投诉/网点", "年度未检查网点"),
    ("排名", "银行", "现场检查（次）", "检查平均分（区间）", "整改率（区间）"),
    ("排名", "银行", "电话巡检（次）", "接通率（区间）", "口径正确率（区间）"),
)


def bank_scorecard_section(ctx: ReportContext) -> Fragment:
    """Quarterly/annual report section: the banks' outlet assessment (ranking, items, bottom outlets)."""
    ds = ctx.ds
    if not ds.has("outlets"):
        return fragment('<p class="nodata">未提供合作银行网点名录，无法进行银行网点考核。</p>')
    card, detail = assessment(ds, ctx.period, ctx.tickets)
    parts = [f'<p class="note">{html.escape(weights_note(ds.settings.bank_weights))}</p>']
    if card["score"].notna().any():
        parts.append(figure_html(score_chart(card), "各银行综合得分及区间"))
    table = ranking_table(card)
    for columns in RANKING_PARTS:  # tables of the same banks in the same order, each narrow enough for the A4 text block
        parts.append(html_table(table[list(columns)], right=tuple(c for c in columns if c in RANKING_RIGHT), cls="banks"))
    notes = [f"{b}：{n}" for b, n in zip(table["银行"], table["说明"]) if isinstance(n, str) and n]
    if notes:
        parts.append("<p>说明：" + html.escape("；".join(notes)) + "。</p>")
    parts.append("<p>现场检查分项平均分（0–100）：</p>")
    parts.append(html_table(items_table(card), right=("现场检查（次）", *SCORE_ITEMS.values())))
    bottom = bottom_table(detail)
    if len(bottom):
        parts.append(f"<p>得分最低的 {len(bottom)} 个网点（网点得分按同一权重计算，不含投诉；全部网点明细见 sscard banks 生成的 Excel）：</p>")
        parts.append(html_table(bottom, right=("网点得分", "检查（次）", "检查平均分", "电话巡检（次）", "接通（次）", "口径错误（次）")))
    return fragment(*parts)
