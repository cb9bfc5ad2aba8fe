"""The banks' outlet assessment as a workbook and as JSON (2.2(1), 表1 #2; ``sscard banks``).

The figures are :func:`sscard_analysis.analysis.scorecard.bank_scorecard`'s
and :func:`~sscard_analysis.analysis.scorecard.outlet_detail`'s; this module
files them: an Excel workbook with the ranking (numbers, not text, so the
office can sort and chart them), every outlet's detail and the method, and a
JSON form with the scorecard's English column names.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..analysis.scorecard import COMPONENTS, SCORE_ITEMS
from ..dates.periods import Period
from ..privacy import scrub_series
from ..reporting.banks import weights_note
from ..reporting.excel import Workbook

# scorecard column -> Chinese header of the workbook's ranking sheet, in sheet order.
RANKING_COLUMNS = {
    "rank": "排名", "bank": "银行", "score": "综合得分", "score_low": "得分区间下限", "score_high": "得分区间上限",
    "outlets": "在用网点", "tickets": "工单（件）", "tickets_per_outlet": "工单/网点", "complaints": "投诉工单（件）",
    "complaints_per_outlet": "投诉/网点", "inspections": "现场检查（次）", "outlets_inspected": "检查网点（个）",
    **SCORE_ITEMS,
    "inspection_score": "检查平均分", "inspection_score_low": "平均分区间下限", "inspection_score_high": "平均分区间上限",
    "findings": "发现问题（次）", "rectified": "已整改（次）", "rectification_rate": "整改率",
    "rectification_rate_low": "整改率区间下限", "rectification_rate_high": "整改率区间上限",
    "phone_checks": "电话巡检（次）", "answered": "接通（次）", "answer_rate": "接通率", "answer_rate_low": "接通率区间下限",
    "answer_rate_high": "接通率区间上限", "script_checked": "记录口径（次）", "script_ok": "口径正确（次）", "script_rate": "口径正确率",
    "script_rate_low": "口径正确率区间下限", "script_rate_high": "口径正确率区间上限", "never_inspected": "服务年度内未检查网点",
    **{f"comp_{c}": f"分项得分：{label}" for c, label in COMPONENTS.items()},
    "note": "说明",
}
RATE_COLUMNS = tuple(RANKING_COLUMNS[c] for c in RANKING_COLUMNS if c.endswith(("_rate", "_rate_low", "_rate_high")))
DETAIL_COLUMNS = {
    "outlet_id": "网点编号", "name": "网点名称", "bank": "银行", "district": "所属区", "score": "网点得分",
    "inspections": "现场检查（次）", "last_inspected": "最近检查日期", "inspection_score": "检查平均分", "lowest_item": "最低分项",
    "last_issue": "最近发现问题", "unrectified": "未整改", "phone_checks": "电话巡检（次）", "answered": "接通（次）",
    "script_wrong": "口径错误（次）",
}


def workbook_name(period: Period) -> str:
    """How the office files the assessment: ``银行网点考核_contract.xlsx``."""
    return f"银行网点考核_{period.label}.xlsx"


def write_workbook(card: pd.DataFrame, detail: pd.DataFrame, period: Period, weights: dict[str, float], path: Path) -> Path:
    """Write the ranking, every outlet's detail and the method to ``path`` (an .xlsx); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ranking = card[list(RANKING_COLUMNS)].rename(columns=RANKING_COLUMNS)
    for col in ranking.columns:
        if col not in ("银行", "说明"):
            ranking[col] = pd.to_numeric(ranking[col], errors="coerce")
    outlets = detail[list(DETAIL_COLUMNS)].assign(last_issue=scrub_series(detail["last_issue"].astype(object)).values)
    outlets = outlets.rename(columns=DETAIL_COLUMNS)
    outlets["最近检查日期"] = pd.to_datetime(outlets["最近检查日期"])
    for col in ("网点得分", "检查平均分"):
        outlets[col] = pd.to_numeric(outlets[col], errors="coerce").round(1)
    total = sum(weights.values()) or 1
    method = pd.DataFrame(
        [{"项目": "统计期间", "内容": f"{period.start} 至 {period.end}（统计时点 {period.as_of:%Y-%m-%d %H:%M}）"}]
        + [{"项目": f"权重：{label}", "内容": f"{weights.get(c, 0) / total * 100:.0f}%"} for c, label in COMPONENTS.items()]
        + [{"项目": "计算方法", "内容": weights_note(weights)},
           {"项目": "依据", "内容": "采购需求 2.2(1)“配合服务银行年度考核”、表1 #2“协助制定服务网点年度考核”、表1 #9 网点现场检查与电话巡检。"}])
    wb = Workbook(path)
    wb.sheet("银行排名", ranking.round(4), percent=RATE_COLUMNS)
    wb.sheet("网点明细", outlets)
    wb.sheet("说明", method, widths={"项目": 22, "内容": 100})
    wb.close()
    return path


def _plain(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def as_json(card: pd.DataFrame, detail: pd.DataFrame, period: Period, weights: dict[str, float], bottom: int = 15) -> dict:
    """``sscard banks --json``: the period, the normalised weights, one object per bank and the bottom outlets."""
    total = sum(weights.values()) or 1
    low = detail[detail["score"].notna()].head(bottom).assign(last_issue=lambda d: scrub_series(d["last_issue"].astype(object)).values)
    return {
        "period": period.to_dict(),
        "weights": {c: weights.get(c, 0) / total for c in COMPONENTS},
        "banks": [{k: _plain(v) for k, v in r.items()} for r in card.to_dict("records")],
        "bottom_outlets": [{k: _plain(v) for k, v in r.items()} for r in low.to_dict("records")],
    }
