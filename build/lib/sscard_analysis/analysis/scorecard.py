"""The banks' yearly outlet assessment: one scorecard row per cooperating bank (2.2(1), 表1 #2, #9).

The seed asks the team to help draw up the yearly assessment of the service
outlets (表1 #2 "协助制定服务网点年度考核"; 2.2(1) "配合服务银行年度考核") from
what it records: on-site inspections of the outlets (表1 #9 item 2), phone
checks of their lines (表1 #9 item 3) and the tickets about each bank (表1 #6
item 2). For each of the 15 banks this module gives

- its outlets open at the period's cut-off, the tickets about it received in
  the period (all channels, 无效/重复/退单 excluded) and, of those, the
  complaints (诉求类型 投诉), each per outlet;
- the on-site inspection score by item and overall (mean over visits, 0–100)
  with a bootstrap interval; the rectification rate of findings; the phone
  checks' answer rate and, of the answered calls, the share with a correct
  answer (业务口径正确), each with a Wilson interval;
- its open outlets not inspected in the service year (service start through
  the cut-off);
- a weighted score in [0, 100] with a range obtained by putting every
  component's interval bounds into the same weights (a bank with few checks
  gets a wide range), and its rank.

Component scores (each 0–100): ``inspection`` = mean visit score;
``rectification``, ``phone_answer``, ``phone_script`` = the rate × 100;
``complaints`` = 100 × clip(1 − ½ · r / r̄, 0, 1) with r the bank's complaints
per outlet and r̄ that of all banks together (no complaints: 100; the
all-bank level: 50; twice it or more: 0). The score is the weighted mean of
the components that have data (``Settings.bank_weights``, renormalised over
them); a bank with no component has no score and no rank.

Everything is pure: ledger frames in, a new tidy frame out.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import bootstrap, chi2

from ..config import DEFAULT_BANK_WEIGHTS
from ..dates.periods import Period
from ..ingest.ledgers import BANKS
from ..measures.activity import in_period
from ..measures.hotline import as_at, counted, received
from .stats import wilson_interval

SCORE_ITEMS = {
    "score_environment": "网点环境",
    "score_management": "业务管理",
    "score_security": "安全管理",
    "score_conduct": "业务规范",
    "score_knowledge": "人员业务掌握",
}
COMPONENTS = {
    "inspection": "现场检查得分",
    "rectification": "问题整改率",
    "phone_answer": "电话接通率",
    "phone_script": "业务口径正确率",
    "complaints": "投诉（每网点）",
}
COMPLAINT_TYPE = "投诉"
FEW_CHECKS = 10  # fewer inspections or phone checks than this in the period: "样本少"
_OPEN_STATUSES = ("正常",)
_BOOT_RESAMPLES = 2000


def open_outlets(outlets: pd.DataFrame, on: date) -> pd.DataFrame:
    """Outlets open on ``on``: status 正常 (or empty), opened by then (or no date), not closed by then.

    ``status`` is the registry's current state: 暂停 and 撤销 outlets are not
    counted whatever the date.
    """
    ts = pd.Timestamp(on)
    status = outlets["status"].astype(object)
    ok = status.isna() | status.isin(_OPEN_STATUSES)
    ok &= outlets["opened_on"].isna() | (outlets["opened_on"] <= ts)
    ok &= outlets["closed_on"].isna() | (outlets["closed_on"] > ts)
    return outlets[ok]


def visit_scores(inspections: pd.DataFrame) -> pd.Series:
    """Each visit's score: the mean of its item scores that were filled in (0–100; NaN when none)."""
    return inspections[list(SCORE_ITEMS)].mean(axis=1)


def mean_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of a mean (2,000 resamples, fixed seed); None for fewer than 2 values."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < 2:
        return None
    if np.all(v == v[0]):
        return float(v[0]), float(v[0])
    res = bootstrap((v,), np.mean, confidence_level=level, n_resamples=_BOOT_RESAMPLES, method="percentile",
                    random_state=np.random.default_rng(0), vectorized=True)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def poisson_interval(k: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson count k."""
    a = 1 - level
    lo = 0.0 if k == 0 else float(chi2.ppf(a / 2, 2 * k) / 2)
    return lo, float(chi2.ppf(1 - a / 2, 2 * k + 2) / 2)


def complaint_component(rate: float, overall: float) -> float:
    """Complaints per outlet as a 0–100 score: 100 at none, 50 at the all-bank level, 0 at twice it or more."""
    if not overall:
        return 100.0
    return float(100 * np.clip(1 - 0.5 * rate / overall, 0, 1))


def _rate(k: int, n: int, level: float) -> tuple[float | None, float | None, float | None]:
    ci = wilson_interval(k, n, level)
    return (k / n if n else None), (ci[0] if ci else None), (ci[1] if ci else None)


def _weights(weights: dict[str, float] | None) -> dict[str, float]:
    w = dict(DEFAULT_BANK_WEIGHTS if weights is None else weights)
    return {c: float(w.get(c, 0.0)) for c in COMPONENTS}


def weighted_score(parts: dict[str, tuple[float | None, float | None, float | None]],
                   weights: dict[str, float]) -> tuple[float | None, float | None, float | None]:
    """(score, low, high) from components {name: (value, low, high)} on 0–100.

    Components without a value leave the score and the weights are
    renormalised over the rest; a component with a value but no interval
    counts with bounds 0 and 100 (too few data to say more).
    """
    have = {c: v for c, v in parts.items() if v[0] is not None and weights.get(c, 0) > 0}
    total = sum(weights[c] for c in have)
    if not total:
        return None, None, None
    score = sum(weights[c] * v[0] for c, v in have.items()) / total
    low = sum(weights[c] * (0.0 if v[1] is None else v[1]) for c, v in have.items()) / total
    high = sum(weights[c] * (100.0 if v[2] is None else v[2]) for c, v in have.items()) / total
    return score, low, high


def _inspections_with_bank(inspections: pd.DataFrame, outlets: pd.DataFrame) -> pd.DataFrame:
    """Inspections with their outlet's bank and district (outlets unknown to the registry are dropped)."""
    return inspections.merge(outlets[["outlet_id", "bank", "district"]], on="outlet_id", how="inner")


def _with_finding(ins: pd.DataFrame) -> pd.Series:
    """Visits that found a problem: an issue written down, or a rectification status recorded."""
    issues = ins["issues"].astype(object)
    return (issues.notna() & (issues.astype(str).str.strip() != "")) | ins["rectified"].notna()


def bank_scorecard(outlets: pd.DataFrame, inspections: pd.DataFrame, phone_checks: pd.DataFrame,
                   tickets: pd.DataFrame, period: Period, service_start: date,
                   weights: dict[str, float] | None = None, level: float = 0.95) -> pd.DataFrame:
    """One row per cooperating bank (the 15 of 1.2, in the ledger contract's order, plus any other bank named).

    Parameters
    ----------
    outlets, inspections, phone_checks, tickets : ledger frames as the reader returns them
        (``tickets`` needs received_at, status, ticket_type and bank).
    period : the assessed period; events after its cut-off are not counted.
    service_start : first day of the service year (outlets not inspected since then are "never inspected").
    weights : component -> weight (default ``config.DEFAULT_BANK_WEIGHTS``).
    level : confidence level of the intervals.

    Returns
    -------
    DataFrame with columns ``bank``, ``outlets`` (open at the cut-off), ``tickets``,
    ``tickets_per_outlet``, ``complaints``, ``complaints_per_outlet``, ``inspections``
    (visits in the period), ``outlets_inspected`` (distinct), the five item means
    ``score_environment`` … ``score_knowledge`` (0–100), ``inspection_score`` with
    ``inspection_score_low/high`` (bootstrap), ``findings`` (visits with a finding),
    ``rectified``, ``rectification_rate`` with ``_low/_high`` (Wilson; fractions in [0, 1]),
    ``phone_checks``, ``answered``, ``answer_rate`` (+ bounds), ``script_checked``
    (answered calls with 业务口径 recorded), ``script_ok``, ``script_rate`` (+ bounds),
    ``never_inspected`` (open outlets with no visit from ``service_start`` through the
    cut-off), ``comp_<component>`` (0–100), ``score``, ``score_low``, ``score_high``
    (0–100), ``rank`` (1 = best; NaN without a score) and ``note`` (Chinese). Sorted by rank.
    """
    w = _weights(weights)
    cutoff = min(period.end, period.as_of.date())
    reg = open_outlets(outlets, cutoff)
    all_outlets = outlets[["outlet_id", "bank", "district"]]
    ins = _inspections_with_bank(in_period(inspections, "inspected_on", period), all_outlets)
    ins = ins.assign(_score=visit_scores(ins), _finding=_with_finding(ins))
    pc = in_period(phone_checks, "checked_at", period).merge(all_outlets, on="outlet_id", how="inner")
    t = counted(received(as_at(tickets, period.as_of), period))
    t_bank = t["bank"].astype(object)
    year = inspections[(inspections["inspected_on"] >= pd.Timestamp(service_start)) & (inspections["inspected_on"] <= period.end_dt)]
    seen = set(year["outlet_id"].astype(str))

    named = [b for b in BANKS]
    extra = sorted(set(reg["bank"].dropna().astype(str)) - set(named))
    total_outlets = len(reg)
    total_complaints = int((t_bank.notna() & (t["ticket_type"].astype(object) == COMPLAINT_TYPE)).sum())
    overall = total_complaints / total_outlets if total_outlets else 0.0

    rows = []
    for bank in named + extra:
        r: dict = {"bank": bank}
        mine = reg[reg["bank"] == bank]
        n_out = len(mine)
        bt = t[t_bank == bank]
        n_compl = int((bt["ticket_type"].astype(object) == COMPLAINT_TYPE).sum())
        r.update(outlets=n_out, tickets=len(bt), tickets_per_outlet=len(bt) / n_out if n_out else None,
                 complaints=n_compl, complaints_per_outlet=n_compl / n_out if n_out else None)
        bi = ins[ins["bank"] == bank]
        r.update(inspections=len(bi), outlets_inspected=int(bi["outlet_id"].nunique()))
        for item in SCORE_ITEMS:
            m = bi[item].mean()
            r[item] = None if pd.isna(m) else float(m)
        scores = bi["_score"].to_numpy(dtype=float)
        has = ~np.isnan(scores)
        ci = mean_interval(scores, level)
        r.update(inspection_score=float(scores[has].mean()) if has.any() else None,
                 inspection_score_low=ci[0] if ci else None, inspection_score_high=ci[1] if ci else None)
        found = bi[bi["_finding"]]
        k = int((found["rectified"] == True).sum())  # noqa: E712
        r.update(findings=len(found), rectified=k)
        r["rectification_rate"], r["rectification_rate_low"], r["rectification_rate_high"] = _rate(k, len(found), level)
        bp = pc[pc["bank"] == bank]
        answered = bp[bp["answered"] == True]  # noqa: E712
        r.update(phone_checks=len(bp), answered=len(answered))
        r["answer_rate"], r["answer_rate_low"], r["answer_rate_high"] = _rate(len(answered), len(bp), level)
        scripted = answered[answered["script_ok"].notna()]
        ok = int((scripted["script_ok"] == True).sum())  # noqa: E712
        r.update(script_checked=len(scripted), script_ok=ok)
        r["script_rate"], r["script_rate_low"], r["script_rate_high"] = _rate(ok, len(scripted), level)
        r["never_inspected"] = int((~mine["outlet_id"].astype(str).isin(seen)).sum())

        def pct(key: str) -> tuple[float | None, float | None, float | None]:
            v, lo, hi = r[key], r[f"{key}_low"], r[f"{key}_high"]
            return (None if v is None else 100 * v, None if lo is None else 100 * lo, None if hi is None else 100 * hi)

        parts = {
            "inspection": (r["inspection_score"], r["inspection_score_low"], r["inspection_score_high"]),
            "rectification": pct("rectification_rate"),
            "phone_answer": pct("answer_rate"),
            "phone_script": pct("script_rate"),
        }
        if n_out:
            lo_k, hi_k = poisson_interval(n_compl, level)
            parts["complaints"] = (complaint_component(n_compl / n_out, overall),
                                   complaint_component(hi_k / n_out, overall), complaint_component(lo_k / n_out, overall))
        else:
            parts["complaints"] = (None, None, None)
        for c in COMPONENTS:
            r[f"comp_{c}"] = parts[c][0]
        r["score"], r["score_low"], r["score_high"] = weighted_score(parts, w)
        notes = []
        if not n_out:
            notes.append("名录中无在用网点")
        if len(bi) < FEW_CHECKS or len(bp) < FEW_CHECKS:
            notes.append("检查或巡检样本少，区间较宽，慎重解读")
        missing = [COMPONENTS[c] for c in COMPONENTS if parts[c][0] is None and w[c] > 0]
        if missing and r["score"] is not None:
            notes.append("无数据未计分：" + "、".join(missing))
        r["note"] = "；".join(notes)
        rows.append(r)
    card = pd.DataFrame(rows)
    card["rank"] = card["score"].astype(float).rank(ascending=False, method="min").astype("Int64")
    return card.sort_values(["rank", "bank"], na_position="last", kind="stable").reset_index(drop=True)


def outlet_detail(outlets: pd.DataFrame, inspections: pd.DataFrame, phone_checks: pd.DataFrame, period: Period,
                  weights: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per outlet visited or phoned in the period, lowest score first (the "bottom outlets").

    Columns: ``outlet_id``, ``name``, ``bank``, ``district``, ``inspections``,
    ``last_inspected``, ``inspection_score`` (mean visit score, 0–100),
    ``lowest_item`` (the item with the lowest mean and that mean), ``last_issue``,
    ``unrectified`` (the latest visit's finding is not rectified), ``phone_checks``,
    ``answered``, ``script_wrong`` (answered calls with a wrong answer) and ``score``:
    the bank weights applied to the outlet's own inspection score, rectification,
    answer and correct-answer rates (complaints are not recorded per outlet); an
    outlet only phoned, never visited, has no score (one call says too little) and
    comes last.
    """
    w = _weights(weights)
    reg = outlets[["outlet_id", "name", "bank", "district"]]
    ins = in_period(inspections, "inspected_on", period).merge(reg[["outlet_id"]], on="outlet_id", how="inner")
    ins = ins.assign(_score=visit_scores(ins), _finding=_with_finding(ins)).sort_values(["inspected_on", "inspection_id"])
    pc = in_period(phone_checks, "checked_at", period).merge(reg[["outlet_id"]], on="outlet_id", how="inner")
    cols = ["outlet_id", "name", "bank", "district", "inspections", "last_inspected", "inspection_score", "lowest_item",
            "last_issue", "unrectified", "phone_checks", "answered", "script_wrong", "score"]
    ids = pd.Index(ins["outlet_id"]).union(pd.Index(pc["outlet_id"])).unique()
    if not len(ids):
        return pd.DataFrame(columns=cols)
    g = ins.groupby("outlet_id")
    last = g.tail(1).set_index("outlet_id")
    items = g[list(SCORE_ITEMS)].mean()
    found = ins[ins["_finding"]].groupby("outlet_id")
    p = pc.assign(_ans=pc["answered"] == True, _ok=pc["script_ok"] == True,  # noqa: E712
                  _scripted=(pc["answered"] == True) & pc["script_ok"].notna()).groupby("outlet_id")  # noqa: E712
    out = pd.DataFrame(index=ids)
    out["inspections"] = g.size().reindex(ids).fillna(0).astype(int)
    out["last_inspected"] = g["inspected_on"].max().reindex(ids)
    out["inspection_score"] = g["_score"].mean().reindex(ids)
    low_item = items.idxmin(axis=1, skipna=True) if len(items) else pd.Series(dtype=object)
    out["lowest_item"] = [
        None if pd.isna(low_item.get(i)) else f"{SCORE_ITEMS[low_item[i]]} {items.loc[i, low_item[i]]:.0f}" for i in ids
    ]
    out["last_issue"] = last["issues"].astype(object).reindex(ids)
    out["unrectified"] = (last["rectified"] == False).reindex(ids).fillna(False).astype(bool)  # noqa: E712
    out["phone_checks"] = p.size().reindex(ids).fillna(0).astype(int)
    out["answered"] = p["_ans"].sum().reindex(ids).fillna(0).astype(int)
    scripted = p["_scripted"].sum().reindex(ids).fillna(0).astype(int)
    script_ok = pc[(pc["answered"] == True) & (pc["script_ok"] == True)].groupby("outlet_id").size().reindex(ids).fillna(0).astype(int)  # noqa: E712
    out["script_wrong"] = scripted - script_ok
    n_found = found.size().reindex(ids).fillna(0).astype(int)
    n_fixed = found["rectified"].apply(lambda s: int((s == True).sum())).reindex(ids).fillna(0).astype(int)  # noqa: E712
    scores = []
    for i in ids:
        parts = {
            "inspection": (_num(out.at[i, "inspection_score"]), None, None),
            "rectification": (100 * n_fixed[i] / n_found[i] if n_found[i] else None, None, None),
            "phone_answer": (100 * out.at[i, "answered"] / out.at[i, "phone_checks"] if out.at[i, "phone_checks"] else None, None, None),
            "phone_script": (100 * script_ok[i] / scripted[i] if scripted[i] else None, None, None),
            "complaints": (None, None, None),
        }
        scores.append(weighted_score(parts, w)[0] if parts["inspection"][0] is not None else None)
    out["score"] = pd.to_numeric(pd.Series(scores, index=ids, dtype=object))
    out = out.rename_axis("outlet_id").reset_index().merge(reg, on="outlet_id", how="left")
    out = out.sort_values(["score", "unrectified", "outlet_id"], ascending=[True, False, True], na_position="last", kind="stable")
    return out[cols].reset_index(drop=True)


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)
