"""The report's tables as data: the frames and cell texts the page, the Word document and the workbook share.

The HTML sections (:mod:`.report`) format these for reading; the workbook
(:mod:`.workbook`) writes the same figures as numbers. Keeping them here
means a table reads the same in every format.
"""

from __future__ import annotations

import re

import pandas as pd

from ..contract.indicators import indicator_note
from ..ingest.ledgers import HOTLINE, LEDGERS
from .context import ReportContext, received_in
from .formatting import UNFILLED, fmt_pct, unfilled_last


# How the indicators that are not yearly counts read (value, target), so that no figure can be misread.
_RATE_TARGETS = {"A1": "100%", "A2": ">90%（表1 ≥90%）"}


def indicator_cells(code: str, i: dict) -> tuple[str, str]:
    """(value, target) of one indicator as the report writes them.

    A1/A2 are rates; A10 counts the working days with fewer than 2 guide
    checks (target 0 days); A20 counts the months whose case report is
    missing (target 0); A21 counts people; the rest are yearly counts.
    """
    v, t = i["value"], i["target"]
    if code in _RATE_TARGETS:
        return fmt_pct(v), _RATE_TARGETS[code]
    if v is None:
        return "—", f"{t:,.0f}" if isinstance(t, (int, float)) else str(t)
    if code == "A10":
        return f"不足2次的工作日：{v:,.0f} 天", "每个工作日≥2次"
    if code == "A20":
        return f"缺报：{v:,.0f} 个月", "每月1份"
    if code == "A21":
        return f"{v:,.0f} 人", f"≥{t:,.0f} 人"
    return f"{v:,.0f}", f"{t:,.0f}"


def zh_reason(reason: str) -> str:
    """A "not assessed" reason in Chinese: ``needs staff ledger（人员名册）`` reads ``未提供人员名册``."""
    reason = re.sub(r"needs \w+ ledger[（(](.+?)[）)]", r"未提供\1", reason)
    return re.sub(r"needs (\w+) in sscard\.toml[（(](.+?)[）)]", r"未在 sscard.toml 中设置\2（\1）", reason)


def indicator_text(code: str, i: dict) -> str:
    """The 说明 of one indicator: the engine's note, or what a zero means for A10 and A20."""
    note = indicator_note(code, i)
    if note:
        return zh_reason(note)
    if code == "A10" and i.get("working_days") is not None:
        return f"{i['working_days']} 个工作日均达到每日2次"
    if code == "A20" and i.get("months") is not None:
        return f"已到期 {i['months']} 个月，均已提交"
    return ""


def breakdown_frame(ctx: ReportContext, column: str, label: str) -> pd.DataFrame:
    """Tickets received in the period by one attribute: all channels, 12345, share and the previous period.

    Columns: ``label``, 全部渠道, 12345热线 (counts), 占比 (fraction of all
    tickets received, in [0, 1]), 上期 (count, None without a previous period),
    环比 (fractional change, None when the previous count is 0). Largest
    first; an empty attribute is ``（未填）`` and always last.
    """
    rec = received_in(ctx)
    cur = rec[column].astype(object).fillna(UNFILLED).value_counts()
    hot = rec.loc[rec["channel"] == HOTLINE, column].astype(object).fillna(UNFILLED).value_counts()
    df = pd.DataFrame({label: cur.index.astype(object), "全部渠道": cur.values.astype(int)})
    df["12345热线"] = df[label].map(hot).fillna(0).astype(int)
    df["占比"] = df["全部渠道"] / max(len(rec), 1)
    if ctx.previous is None:
        df["上期"], df["环比"] = None, None
    else:
        prev = received_in(ctx, ctx.previous)
        before = prev[column].astype(object).fillna(UNFILLED).value_counts()
        df["上期"] = df[label].map(before).fillna(0).astype(int)
        df["环比"] = [(a / b - 1) if b else None for a, b in zip(df["全部渠道"], df["上期"])]
    return unfilled_last(df, label).reset_index(drop=True)


# What one deduction line of each rule stands for (CONTRACT_RULES B), and for the rules priced per unit the
# quantity behind the amount: (what, unit of one line, (quantity name, yuan per unit, unit) or None).
PENALTY_RULES = {
    "B1": ("年度指标未达标", "项指标", None),
    "B2": ("工资未按标准发放", "人·季度", None),
    "B3": ("不合格人员更换超期", "天", None),
    "B4": ("项目经理现场管理不到位", "个月", None),
    "B5": ("有效投诉", "件", None),
    "B6": ("抽检差错", "人·月", ("差错", 10, "笔")),  # 3.4(2): 10 yuan per error
    "B7": ("差错率超标", "人·月", None),
    "B8": ("超额会议培训或旷工", "人·天", None),
    "B9": ("平均流动率高于承诺", "项", None),
    "B10": ("人员流动率超标", "人", None),
    "B11": ("办文超时", "件·环节", ("超时", 100, "天")),  # 3.7(1): 100 yuan per document per day
}


def penalty_summary(items: list[dict]) -> pd.DataFrame:
    """Deductions by rule: what a line counts (people, months, documents …), the quantity behind the amount, the amount.

    Columns: 规则, 条款, 事项, 扣款条目 (e.g. ``5 人·月``), 计量 (e.g. ``差错 6 笔``
    for B6, where one person's month may hold several errors), 金额（元）.
    """
    cols = ["规则", "条款", "事项", "扣款条目", "计量", "金额（元）"]
    if not items:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(items)
    rows = []
    for (rule, clause), g in df.groupby(["rule", "clause"], sort=False):
        what, unit, per = PENALTY_RULES.get(rule, (rule, "条", None))
        amount = float(g["amount_yuan"].sum())
        qty = f"{per[0]} {round(amount / per[1]):,} {per[2]}" if per else ""
        rows.append({"规则": rule, "条款": clause, "事项": what, "扣款条目": f"{len(g):,} {unit}", "计量": qty, "金额（元）": amount})
    return pd.DataFrame(rows, columns=cols)


def quarantine_zh(q: pd.DataFrame) -> pd.DataFrame:
    """The quarantine list as a reader sees it: Chinese column and ledger names, no internal column keys in the reasons.

    ``受理时间(received_at): 无法识别的日期`` reads ``受理时间: 无法识别的日期``.
    """
    out = q.rename(columns={"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "reason": "原因"})
    if len(out):
        out["台账"] = out["台账"].map(lambda n: LEDGERS[n].zh if n in LEDGERS else n)
        out["原因"] = out["原因"].astype(str).str.replace(r"\s*[(（][a-z][a-z0-9_]*[)）]", "", regex=True)
    return out
