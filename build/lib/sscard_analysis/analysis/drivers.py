"""Where 不满意 and 申诉 come from: by category, channel, district, bank and handler, with tests.

表1 #5 puts 考核、申诉 with the team; A2 (1.3, 2.4) counts satisfaction as
(满意 + 基本满意) ÷ (满意 + 基本满意 + 不满意) over counted tickets closed in
the period, a 不满意 upheld on appeal (申诉成功) leaving both. Here:

- ``rated`` is that denominator, ``dissatisfied`` the 不满意 that count
  against it, ``dissatisfied_raw`` every 不满意 recorded;
- ``appeals_filed`` the 不满意 with an appeal (申诉中, 申诉成功, 申诉失败),
  ``appeals_upheld`` those upheld (申诉成功), ``upheld_rate`` upheld ÷ filed;
- each rate carries a 95% Wilson interval, and each dimension a chi-square
  test that the rate is the same in every group (Fisher for two small
  groups), so a group of five tickets is not over-read;
- ``flag`` is "高于总体" when a group's interval lies wholly above the overall
  dissatisfaction rate, "低于总体" when wholly below.

Handlers are shown as work IDs or masked names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dates.periods import Period
from ..ingest.ledgers import BANK, CATEGORY, CHANNEL, DISTRICT
from ..measures.hotline import as_at
from .slices import UNFILLED, apply_filters, group_key
from .stats import independence_test, wilson_interval
from .topics import distinctive_terms, ticket_terms, typical_examples
from .trends import rating_flags

DIMENSIONS = {CATEGORY: "业务类别", CHANNEL: "来源渠道", DISTRICT: "所属区", BANK: "涉及银行", "handler": "经办人"}

COLUMNS = ["group", "rated", "dissatisfied", "dissatisfied_raw", "rate", "low", "high", "appeals_filed", "appeals_upheld",
           "upheld_rate", "flag"]


def rated_tickets(tickets: pd.DataFrame, period: Period, basic_counts: bool = True, filters: dict | None = None) -> pd.DataFrame:
    """Counted tickets closed in the period (as at its cut-off) with their rating flags (:func:`.trends.rating_flags`)."""
    return rating_flags(apply_filters(as_at(tickets, period.as_of), **(filters or {})), period, basic_counts)


def dissatisfaction(tickets: pd.DataFrame, period: Period, by: str, basic_counts: bool = True,
                    filters: dict | None = None) -> tuple[pd.DataFrame, float | None]:
    """不满意 and 申诉 per group of one dimension, and the chi-square p-value across groups.

    Returns (frame, p). The frame has one row per group (``（未填）`` last,
    the others by dissatisfied count) with :data:`COLUMNS`; ``rate`` =
    dissatisfied ÷ rated (fraction), ``low``/``high`` its Wilson interval.
    A last row ``合计`` holds the totals. ``p`` is None when fewer than two
    groups have ratings or no group differs.
    """
    r = rated_tickets(tickets, period, basic_counts, filters)
    key = group_key(r, by)
    flags = ["rated", "dissatisfied", "dissatisfied_raw", "appeal_filed", "appeal_upheld"]
    g = r[flags].astype(int).groupby(key.to_numpy()).sum()
    g = g[(g["rated"] > 0) | (g["dissatisfied_raw"] > 0)]
    g.index.name = "group"
    df = g.reset_index().rename(columns={"appeal_filed": "appeals_filed", "appeal_upheld": "appeals_upheld"})
    total = {c: int(df[c].sum()) for c in ["rated", "dissatisfied", "dissatisfied_raw", "appeals_filed", "appeals_upheld"]}
    overall = total["dissatisfied"] / total["rated"] if total["rated"] else None
    ranked = df[df["group"] != UNFILLED]
    p = independence_test(ranked["dissatisfied"], ranked["rated"])
    df = pd.concat([df, pd.DataFrame([{"group": "合计", **total}])], ignore_index=True)
    cis = [wilson_interval(int(k), int(n)) for k, n in zip(df["dissatisfied"], df["rated"])]
    df["rate"] = [k / n if n else np.nan for k, n in zip(df["dissatisfied"], df["rated"])]
    df["low"] = [c[0] if c else np.nan for c in cis]
    df["high"] = [c[1] if c else np.nan for c in cis]
    df["upheld_rate"] = [u / f if f else np.nan for u, f in zip(df["appeals_upheld"], df["appeals_filed"])]
    df["flag"] = ""
    if overall is not None:
        body = (df["group"] != "合计") & (df["group"] != UNFILLED)
        df.loc[body & (df["low"] > overall), "flag"] = "高于总体"
        df.loc[body & (df["high"] < overall), "flag"] = "低于总体"
    order = np.where(df["group"] == "合计", 2, np.where(df["group"] == UNFILLED, 1, 0))
    df = df.assign(_o=order).sort_values(["_o", "dissatisfied", "rated", "group"], ascending=[True, False, False, True])
    return df.drop(columns="_o").reset_index(drop=True)[COLUMNS], p


def dimension_tests(tickets: pd.DataFrame, period: Period, basic_counts: bool = True, filters: dict | None = None) -> pd.DataFrame:
    """For each dimension: groups with ratings, the chi-square p-value, and the groups flagged above the overall rate."""
    rows = []
    for col, zh in DIMENSIONS.items():
        df, p = dissatisfaction(tickets, period, col, basic_counts, filters)
        body = df[~df["group"].isin(["合计", UNFILLED])]
        rows.append({"dimension": col, "name": zh, "groups": int((body["rated"] > 0).sum()), "p_value": np.nan if p is None else p,
                     "significant": p is not None and p < 0.05,
                     "above_overall": "、".join(body.loc[body["flag"] == "高于总体", "group"])})
    return pd.DataFrame(rows)


def reasons(tickets: pd.DataFrame, period: Period, top: int = 8, basic_counts: bool = True,
            filters: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Terms over-represented in the text of 不满意 tickets against the satisfied ones, and two typical 不满意 tickets (masked)."""
    r = rated_tickets(tickets, period, basic_counts, filters)
    bad = r[r["dissatisfied_raw"]]
    good = r[r["satisfied"]]
    terms = ticket_terms(pd.concat([bad, good]))
    found = distinctive_terms(terms.iloc[: len(bad)], terms.iloc[len(bad):], top=top, min_tickets=2)
    return found, typical_examples(bad, 2)
