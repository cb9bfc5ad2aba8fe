"""Districts and banks ranked by rates, with intervals, and the units below the line named.

Metrics (one row per unit and metric):

=====================  ===========================================  ==================  =====================
metric                 value                                        better              the line
=====================  ===========================================  ==================  =====================
on_time                12345 tickets due in the period closed by    higher              100% (1.3, 2.4)
                       their deadline ÷ due (A1's rule)
satisfaction           12345 satisfaction as A2 counts it           higher              90%: at or below is
                                                                                        below (1.3 "高于90%")
complaints_per_outlet  valid complaints received in the period ÷    lower               the overall rate
                       outlets of the unit (3.4(1))
inspection_score       mean of the five scores of the period's      higher              the overall mean
                       on-site inspections (表1 #9)
answer_rate            phone checks answered ÷ checks (表1 #9)      higher              the overall rate
=====================  ===========================================  ==================  =====================

Intervals: Wilson for rates, exact Poisson for complaints per outlet,
Student-t for mean scores (95%). Units are ranked by the pessimistic end of
their interval (the lower bound when higher is better, the upper bound when
lower is better), so a unit with 5 tickets is not ranked above one with 500
on a lucky draw; ties by the value, then by the larger sample. A unit is
``below_line`` when its value is on the wrong side of the line, and
``clearly_below`` when its whole interval is. ``（未填）`` (no district or
bank recorded) is listed last and never ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dates.periods import Period
from ..ingest.ledgers import CHANNEL, HOTLINE
from ..ingest.reader import DataSet
from ..measures.activity import in_period
from .slices import UNFILLED, labelled
from .stats import mean_interval, poisson_interval, wilson_interval
from .trends import rates

SCORES = ["score_environment", "score_management", "score_security", "score_conduct", "score_knowledge"]
METRICS = {
    # metric: (Chinese name, higher is better, fixed line or None for the overall value, unit of the value)
    "on_time": ("按时办结率", True, 1.0, "rate"),
    "satisfaction": ("满意率", True, 0.9, "rate"),
    "complaints_per_outlet": ("每网点有效投诉", False, None, "per_outlet"),
    "inspection_score": ("现场检查平均分", True, None, "score"),
    "answer_rate": ("电话巡检接通率", True, None, "rate"),
}
COLUMNS = ["unit", "metric", "name", "k", "n", "value", "low", "high", "rank", "line", "below_line", "clearly_below"]
UNIT_NAMES = {"district": "所属区", "bank": "银行"}


def _rows(metric: str, units: pd.Index, k: pd.Series, n: pd.Series, interval) -> list[dict]:
    out = []
    for u in units:
        kk, nn = k.get(u, 0), n.get(u, 0)
        ci = interval(kk, nn) if nn else None
        out.append({"unit": u, "metric": metric, "k": kk, "n": nn, "value": kk / nn if nn else np.nan,
                    "low": ci[0] if ci else np.nan, "high": ci[1] if ci else np.nan})
    return out


def _outlets(ds: DataSet, period: Period, by: str) -> pd.DataFrame:
    """Outlets open at some point of the period, with their unit."""
    if not ds.has("outlets"):
        return pd.DataFrame(columns=["outlet_id", "unit"])
    o = ds["outlets"]
    open_ = (o["status"].astype(object) != "撤销") | (o["closed_on"].notna() & (o["closed_on"] >= pd.Timestamp(period.start)))
    open_ &= o["opened_on"].isna() | (o["opened_on"] <= pd.Timestamp(period.end))
    o = o[open_]
    return pd.DataFrame({"outlet_id": o["outlet_id"].astype(str), "unit": labelled(o[by]).to_numpy()})


def unit_metrics(ds: DataSet, tickets: pd.DataFrame, period: Period, by: str = "district",
                 basic_counts: bool = True) -> pd.DataFrame:
    """Every metric for every unit (district or bank), with intervals, ranks and the line (long form, :data:`COLUMNS`).

    ``tickets`` are prepared tickets (all channels; the ticket metrics use
    12345热线); the outlet metrics use the outlets, outlet_inspections,
    phone_checks and complaints ledgers when present. ``k`` and ``n`` are the
    numerator and denominator (for scores: the sum and the number of
    inspections; for complaints: complaints and outlets).
    """
    if by not in UNIT_NAMES:
        raise ValueError(f"排名单位应为 {'、'.join(UNIT_NAMES)} 之一")
    rows: list[dict] = []
    r = rates(tickets, period, by=by, basic_counts=basic_counts, filters={CHANNEL: HOTLINE}).set_index(by)
    rows += _rows("on_time", r.index, r["on_time"], r["due"], wilson_interval)
    rows += _rows("satisfaction", r.index, r["satisfied"], r["rated"], wilson_interval)
    outlets = _outlets(ds, period, by)
    unit_of = outlets.set_index("outlet_id")["unit"]
    if ds.has("complaints") and len(outlets):
        c = in_period(ds["complaints"], "received_on", period)
        c = c[(c["valid"] == True) & c["outlet_id"].notna()]  # noqa: E712
        k = c["outlet_id"].astype(str).map(unit_of).dropna().value_counts()
        n = outlets["unit"].value_counts()
        rows += _rows("complaints_per_outlet", n.index, k, n, poisson_interval)
    if ds.has("outlet_inspections"):
        ins = in_period(ds["outlet_inspections"], "inspected_on", period)
        ins = ins.assign(unit=ins["outlet_id"].astype(str).map(unit_of).fillna(UNFILLED).to_numpy(),
                         score=ins[SCORES].mean(axis=1)).dropna(subset=["score"])
        for u, g in ins.groupby("unit"):
            ci = mean_interval(g["score"])
            rows.append({"unit": u, "metric": "inspection_score", "k": float(g["score"].sum()), "n": len(g),
                         "value": float(g["score"].mean()), "low": ci[0] if ci else np.nan, "high": ci[1] if ci else np.nan})
    if ds.has("phone_checks"):
        pc = in_period(ds["phone_checks"], "checked_at", period)
        unit = pc["outlet_id"].astype(str).map(unit_of).fillna(UNFILLED)
        n = unit.value_counts()
        k = unit[(pc["answered"] == True).to_numpy()].value_counts()  # noqa: E712
        rows += _rows("answer_rate", n.index, k, n, wilson_interval)
    df = pd.DataFrame(rows, columns=["unit", "metric", "k", "n", "value", "low", "high"])
    return _rank(df)


def _overall(df: pd.DataFrame, metric: str) -> float:
    m = df[(df["metric"] == metric) & (df["n"] > 0)]
    return float(m["k"].sum() / m["n"].sum()) if len(m) and m["n"].sum() else np.nan


def _rank(df: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for metric, (name, higher, fixed, _) in METRICS.items():
        m = df[df["metric"] == metric].copy()
        if m.empty:
            continue
        line = fixed if fixed is not None else _overall(df, metric)
        m["name"], m["line"] = name, line
        rankable = (m["unit"] != UNFILLED) & (m["n"] > 0)
        # No interval (a single inspection): ranked after every unit that has one.
        key = m["low"].fillna(-np.inf) if higher else -m["high"].fillna(np.inf)
        m["_key"], m["_v"] = key, m["value"] if higher else -m["value"]
        ordered = m[rankable].sort_values(["_key", "_v", "n", "unit"], ascending=[False, False, False, True])
        m["rank"] = pd.Series(range(1, len(ordered) + 1), index=ordered.index, dtype="Int64")
        if metric == "satisfaction":  # 1.3, 2.4: the target is "高于90%"; exactly 90% is below
            below, clearly = m["value"] <= line, m["high"] <= line
        elif higher:
            below, clearly = m["value"] < line, m["high"] < line
        else:
            below, clearly = m["value"] > line, m["low"] > line
        m["below_line"] = (below & rankable).astype(bool)
        m["clearly_below"] = (clearly & rankable).astype(bool)
        m = pd.concat([m.loc[ordered.index], m[~rankable].sort_values("unit")])
        parts.append(m.drop(columns=["_key", "_v"]))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def below_line(metrics: pd.DataFrame) -> pd.DataFrame:
    """The units below the line per metric, worst first, with whether their whole interval is below it."""
    b = metrics[metrics["below_line"]].copy()
    return b.sort_values(["metric", "rank"], ascending=[True, False]).reset_index(drop=True)
