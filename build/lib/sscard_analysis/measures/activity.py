"""Counts of the team's recorded work in a period (表1 #3, #8, #9; DATA_CONTRACT 4).

Outlet inspections (visits and distinct outlets), phone checks of outlet
lines, trainings by kind, publications (articles and printed copies) and
service-guide checks. Each function takes a ledger frame and a period and
returns plain numbers; events dated after the cut-off are not counted.
"""

from __future__ import annotations

import pandas as pd

from ..dates.periods import Period
from ..ingest.ledgers import ARTICLE_KINDS, PRINTED_KINDS


def in_period(frame: pd.DataFrame, column: str, period: Period) -> pd.DataFrame:
    """Rows whose ``column`` falls in [period start, min(period end, cut-off)]."""
    when = frame[column]
    return frame[(when >= period.start_dt) & (when <= period.end_dt)]


def outlet_inspection_counts(inspections: pd.DataFrame, period: Period) -> dict:
    """表1 #9: on-site visits (``count``) and distinct outlets visited (``outlets_covered``)."""
    rows = in_period(inspections, "inspected_on", period)
    return {"count": len(rows), "outlets_covered": int(rows["outlet_id"].nunique())}


def phone_check_counts(checks: pd.DataFrame, period: Period) -> dict:
    """表1 #9: phone spot checks of outlet lines, and how many were answered."""
    rows = in_period(checks, "checked_at", period)
    return {"count": len(rows), "answered": int((rows["answered"] == True).sum())}  # noqa: E712


def training_counts(trainings: pd.DataFrame, period: Period) -> dict:
    """表1 #3: internal trainings, external trainings (banks, hotline) and outreach talks."""
    kinds = in_period(trainings, "held_on", period)["kind"]
    return {
        "internal": int((kinds == "内部培训").sum()),
        "external": int((kinds == "外部培训").sum()),
        "outreach": int((kinds == "宣讲").sum()),
    }


def publication_counts(publications: pd.DataFrame, period: Period) -> dict:
    """表1 #3, #11: articles (培训材料 + 推文 + 活动简讯), printed copies (宣传折页 + 展架 + 海报),
    application promotion materials."""
    rows = in_period(publications, "published_on", period)
    printed = rows[rows["kind"].isin(PRINTED_KINDS)]
    return {
        "articles": int(rows["kind"].isin(ARTICLE_KINDS).sum()),
        "copies_printed": int(pd.to_numeric(printed["copies"], errors="coerce").fillna(0).sum()),
        "promotion_materials": int((rows["kind"] == "应用推广材料").sum()),
    }


def guide_check_counts(checks: pd.DataFrame, period: Period) -> dict:
    """表1 #8: service-guide checks, and those that found a guide needing an update."""
    rows = in_period(checks, "checked_at", period)
    return {"count": len(rows), "needs_update": int((rows["result"] == "需更新").sum())}
