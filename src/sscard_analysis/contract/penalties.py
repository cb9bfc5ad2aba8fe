"""Deductions (违约金) B1–B11 and the flags that carry no money (CONTRACT_RULES B).

Every deduction is an itemised line with ``rule``, ``clause``, ``basis`` (who
or what and the figures, personal data masked) and ``amount_yuan``; each line
is charged on a day, and a period holds the lines charged inside it (up to the
cut-off), so monthly figures add up to the year. Boundaries use exact
arithmetic (:class:`fractions.Fraction`). All deductions are settled from the
final 20% payment (4.1(3)).
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from fractions import Fraction

import pandas as pd

from ..config import add_months
from ..dates.calendar import WorkCalendar, end_of_day
from ..dates.periods import Period
from ..ingest.ledgers import LEDGERS, PM_POST
from ..ingest.reader import DataSet
from ..measures.documents import lateness, task_stages
from ..measures.staffing import (
    covered_days,
    leave_flags,
    monthly_turnover,
    on_board,
    turnover,
)
from ..privacy import mask_name

FINAL_PAYMENT_SHARE = Fraction(1, 5)  # 4.1(3)


def _item(rule: str, clause: str, basis: str, amount: float, day: date) -> dict:
    return {"rule": rule, "clause": clause, "basis": basis, "amount_yuan": round(float(amount), 2), "date": day.isoformat()}


def _who(staff: pd.DataFrame, staff_id) -> str:
    """``张* (S012)``: a worker named with the surname only."""
    row = staff[staff["staff_id"] == staff_id]
    if row.empty:
        return f"工号 {staff_id}"
    return f"{mask_name(row['name'].iloc[0])}（{staff_id}）"


def _quarter_end(label: str) -> date | None:
    m = re.fullmatch(r"(\d{4})\s*[-年]?\s*Q?([1-4])\s*(?:季度)?", label.strip(), re.I)
    if not m:
        return None
    return add_months(date(int(m[1]), 3 * int(m[2]) - 2, 1), 3) - timedelta(days=1)


def b2_pay(staff: pd.DataFrame, service_start: date | None = None, service_end: date | None = None) -> tuple[list[dict], list[dict]]:
    """B2 (3.1(5)): 2,000 per person per quarter paid below standard, charged on the quarter's last day.

    A quarter that runs past the service end is charged on the service's last
    day; a quarter wholly before the service start is not the operator's.
    Five or more people in one quarter raise a flag (the purchaser may report
    to the regulator).
    """
    items, per_q = [], {}
    for r in staff.itertuples(index=False):
        if not isinstance(r.pay_below_standard_quarters, str):
            continue
        for q in re.split(r"[,，;；、\s]+", r.pay_below_standard_quarters.strip()):
            end = _quarter_end(q) if q else None
            if end is None or (service_start and end < service_start):
                continue
            end = min(end, service_end) if service_end else end
            per_q.setdefault(q, []).append(r.staff_id)
            items.append(_item("B2", "3.1(5)", f"{_who(staff, r.staff_id)} {q} 工资未按标准发放", 2000, end))
    flags = [{"flag": "工资未达标人数达5人", "clause": "3.1(5)", "basis": f"{q}：{len(ids)} 人",
              "date": min(_quarter_end(q), service_end or _quarter_end(q)).isoformat()}
             for q, ids in per_q.items() if len(ids) >= 5]
    return items, flags


def b3_replacement(staff: pd.DataFrame, as_of, cal: WorkCalendar) -> list[dict]:
    """B3 (3.2(3)): an unfit worker replaced later than 10 working days after the notice: 300 a day late.

    The 10 days are working days; "每延期1天" counts calendar days. Each late
    day (from the day after the 10th working day through the replacement's
    arrival, or through the cut-off) is one line on that day.
    """
    items = []
    for r in staff[staff["unfit_notice_on"].notna()].itertuples(index=False):
        deadline = cal.add_workdays(r.unfit_notice_on.date(), 10)
        arrived = r.replaced_on.date() if pd.notna(r.replaced_on) and r.replaced_on <= as_of else None
        last = arrived if arrived else as_of.date()
        state = f"到岗 {arrived}" if arrived else "尚未到岗"
        for d in pd.date_range(deadline + timedelta(days=1), last).date:
            items.append(_item("B3", "3.2(3)", f"{_who(staff, r.staff_id)} 不合格更换通知 {r.unfit_notice_on.date()}，"
                               f"应于 {deadline} 前到岗，{state}", 300, d))
    return items


def b4_pm_duties(pm: pd.DataFrame, fee: float, first: date, last: date) -> list[dict]:
    """B4 (3.3(1)): PM on-site management items in a month.

    Not attended on 3–4 items, or 3–4 items not up to requirement: 10% of the
    monthly fee; 5 or more of either: 15%. The two counts are tested
    separately (the clause's "或"); the month is charged on its last day.
    """
    items = []
    for month, g in pm.groupby(pm["month"].dt.to_period("M")):
        m0 = month.start_time.date()
        m1 = month.end_time.date()
        if not (first <= m1 and m0 <= last):
            continue
        absent = int((g["attended"] == False).sum())  # noqa: E712
        poor = int(((g["attended"] == True) & (g["compliant"] == False)).sum())  # noqa: E712
        worst = max(absent, poor)
        share = Fraction(15, 100) if worst >= 5 else Fraction(10, 100) if worst >= 3 else 0
        if share:
            items.append(_item("B4", "3.3(1)①②", f"{month} 项目经理未现场参加 {absent} 项、不符合要求 {poor} 项，扣当月服务费 {int(share * 100)}%"
                               f"（月服务费 {fee:,.2f} 元）", float(Fraction(fee).limit_denominator(100) * share), m1))
    return items


def b5_complaints(complaints: pd.DataFrame, staff: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """B5 (3.4(1)): 300 per valid cardholder complaint caused by the operator (empty = caused by the operator).

    Flags per worker over the contract: >= 3 valid complaints (may be replaced), > 5 (regulator).
    """
    c = complaints[(complaints["valid"] == True) & (complaints["complainant"] == "持卡人")  # noqa: E712
                   & (complaints["caused_by_operator"] != False)]  # noqa: E712
    items = [_item("B5", "3.4(1)", f"有效投诉 {r.complaint_id}" + (f"，被投诉人 {_who(staff, r.staff_id)}" if isinstance(r.staff_id, str) else ""),
                   300, r.received_on.date()) for r in c.itertuples(index=False)]
    flags = []
    for sid, g in c[c["staff_id"].notna()].groupby("staff_id"):
        n = len(g)
        if n >= 3:
            third = g["received_on"].sort_values().iloc[2].date()
            flags.append({"flag": "同一服务人员有效投诉≥3次（可要求更换）", "clause": "3.4(1)", "basis": f"{_who(staff, sid)} 共 {n} 次", "date": third.isoformat()})
        if n > 5:
            sixth = g["received_on"].sort_values().iloc[5].date()
            flags.append({"flag": "同一服务人员有效投诉超过5次（可报监管部门）", "clause": "3.4(1)", "basis": f"{_who(staff, sid)} 共 {n} 次", "date": sixth.isoformat()})
    return items, flags


ERROR_BANDS = [(Fraction(10, 100), 10000), (Fraction(8, 100), 6000), (Fraction(5, 100), 2000)]


def error_rate_amount(errors: int, volume: int) -> int:
    """B7 (3.4(2)): the monthly error-rate deduction for one worker (0 with no volume).

    r = errors / volume, exactly: 5% <= r < 8% -> 2,000; 8% <= r < 10% -> 6,000; r >= 10% -> 10,000.
    """
    if not volume:
        return 0
    r = Fraction(int(errors), int(volume))
    return next((amount for floor, amount in ERROR_BANDS if r >= floor), 0)


def b6_b7_errors(errors: pd.DataFrame, staff: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """B6 (10 yuan per spot-check error) and B7 (error-rate bands) per worker and month, charged on the month's last day."""
    items, flags = [], []
    for r in errors.itertuples(index=False):
        month_end = (add_months(r.month.date(), 1) - timedelta(days=1))
        label = r.month.strftime("%Y-%m")
        if pd.notna(r.spot_check_errors) and int(r.spot_check_errors) > 0:
            n = int(r.spot_check_errors)
            items.append(_item("B6", "3.4(2)", f"{_who(staff, r.staff_id)} {label} 抽检差错 {n} 笔 × 10 元", 10 * n, month_end))
        if pd.notna(r.volume) and pd.notna(r.errors):
            amount = error_rate_amount(int(r.errors), int(r.volume))
            if amount:
                rate = Fraction(int(r.errors), int(r.volume))
                items.append(_item("B7", "3.4(2)", f"{_who(staff, r.staff_id)} {label} 差错率 {float(rate) * 100:.2f}%（{int(r.errors)}/{int(r.volume)}）", amount, month_end))
        if r.serious is True:
            flags.append({"flag": "严重业务差错（如造成100人及以上用卡故障）", "clause": "3.4(2)", "basis": f"{_who(staff, r.staff_id)} {label}", "date": month_end.isoformat()})
    return items, flags


def b8_absence(attendance: pd.DataFrame, staff: pd.DataFrame, service_start: date, cal: WorkCalendar) -> list[dict]:
    """B8 (3.5(1)): company meetings/training beyond the allowance, and recorded 旷工: 2,000 per day.

    Allowance from the service start: 10 days for 综合规划（兼项目经理）, 5 for
    everyone else. Each working day that takes a worker beyond it (a part
    day counts as a whole one, the worst-case reading) is one absence,
    charged on that day; each 旷工 day likewise.
    """
    posts = dict(zip(staff["staff_id"], staff["post"]))
    items = []
    a = attendance[attendance["date"] >= pd.Timestamp(service_start)].sort_values(["staff_id", "date"])
    for sid, g in a.groupby("staff_id"):
        allowance = 10 if posts.get(sid) == PM_POST else 5
        used = 0.0
        for r in g.itertuples(index=False):
            days = float(r.days) if pd.notna(r.days) else 1.0
            for d, share in covered_days(r.date.date(), days, cal):
                if r.kind in ("公司会议", "公司培训"):
                    used += share
                    if used > allowance:
                        items.append(_item("B8", "3.5(1)", f"{_who(staff, sid)} {d} 公司会议/培训累计 {used:g} 天，超出 {allowance} 天额度，视为旷工", 2000, d))
                elif r.kind == "旷工":
                    items.append(_item("B8", "3.5(1)", f"{_who(staff, sid)} {d} 旷工", 2000, d))
    return items


def b9_b10_turnover(staff: pd.DataFrame, settings, last: date) -> tuple[list[dict], list[dict], dict]:
    """B9 (3.6(1)①) and B10 (3.6(1)②) over the service period through ``last``.

    B9: the mean of monthly turnover rates above the bid's promised rate:
    10,000 per full percentage point (floored); not assessed without
    ``promised_turnover_rate``. B10: turnover t over the whole window: 25% <= t
    < 40% -> 2,000 per leaver; t >= 40% -> 3,000; key-post turnover >= 50% ->
    4,000 per key-post leaver instead.
    """
    start = settings.start
    items, not_assessed = [], []
    months = monthly_turnover(staff, start, last)
    rates = [Fraction(m["leavers"]) / Fraction(m["headcount_start"] + m["headcount_end"], 2) for m in months if m["headcount_start"] + m["headcount_end"]]
    avg = sum(rates, Fraction(0)) / len(rates) if rates else None
    whole = turnover(staff, start, last)
    key = turnover(staff, start, last, key_only=True)
    info = {"average_monthly_rate": None if avg is None else float(avg), "rate": whole["rate"], "leavers": whole["leavers"],
            "key_post_rate": key["rate"], "key_post_leavers": key["leavers"], "months": months}
    if settings.promised_turnover_rate is None:
        not_assessed.append({"rule": "B9", "clause": "3.6(1)①", "reason": "needs promised_turnover_rate in sscard.toml（投标承诺流动率）"})
    elif avg is not None:
        promised = Fraction(str(settings.promised_turnover_rate))
        points = math.floor((avg - promised) * 100)
        if points > 0:
            items.append(_item("B9", "3.6(1)①", f"平均流动率 {float(avg) * 100:.2f}%，高于承诺 {float(promised) * 100:.2f}% 共 {points} 个百分点", 10000 * points, last))
    h = Fraction(whole["headcount_start"] + whole["headcount_end"], 2)
    t = Fraction(whole["leavers"]) / h if h else Fraction(0)
    hk = Fraction(key["headcount_start"] + key["headcount_end"], 2)
    tk = Fraction(key["leavers"]) / hk if hk else Fraction(0)
    key_ids = set(key["leaver_ids"]) if tk >= Fraction(1, 2) else set()
    per = 3000 if t >= Fraction(2, 5) else 2000 if t >= Fraction(1, 4) else 0
    for sid in whole["leaver_ids"]:
        if sid in key_ids:
            items.append(_item("B10", "3.6(1)②", f"重点岗位流动率 {float(tk) * 100:.2f}%（≥50%），离职 {_who(staff, sid)}", 4000, last))
        elif per:
            items.append(_item("B10", "3.6(1)②", f"人员流动率 {float(t) * 100:.2f}%，离职 {_who(staff, sid)}", per, last))
    return items, not_assessed, info


def b11_documents(docs: pd.DataFrame, period: Period, settings, cal: WorkCalendar, deliverables: pd.DataFrame | None = None) -> list[dict]:
    """B11 (3.7(1)): 100 per document (task) per day late, for the late days inside the period.

    Tasks are the purchaser's requests (表2 rows 1–4) and the weekly and monthly reports (row 5).
    """
    late = lateness(task_stages(docs, deliverables, settings, cal), period, settings.late_day_basis, cal)
    unit = "工作日" if settings.late_day_basis == "working" else "天"
    return [_item("B11", "3.7(1)", f"办文 {r.doc_id}（{r.doc_type}，{r.stage}）期限 {r.deadline:%Y-%m-%d}，本期超时 {r.late_days} 个{unit}",
                  100 * r.late_days, min(period.end, period.as_of.date()))
            for r in late.itertuples() if r.late_days > 0]


def compute_penalties(ds: DataSet, period: Period, indicators: dict, cal: WorkCalendar) -> dict:
    """Every deduction charged in ``period`` with the flags raised in it.

    Returns ``total_yuan``, ``items`` (rule, clause, basis, amount_yuan, date),
    ``not_assessed`` (rules whose data is missing, with the reason), ``flags``
    and ``settlement`` (deductions from the service start to the cut-off
    against the final 20% payment).
    """
    settings = ds.settings
    first, last = period.start, min(period.end, period.as_of.date())
    items, flags, not_assessed = [], [], []

    def need(rule: str, clause: str, *ledgers: str) -> bool:
        missing = [lg for lg in ledgers if not ds.has(lg)]
        for lg in missing:
            not_assessed.append({"rule": rule, "clause": clause, "reason": f"needs {lg} ledger（{LEDGERS[lg].zh}）"})
        return not missing

    staff = ds["staff"]
    whole_service = period.start <= settings.start and period.end >= settings.end
    if whole_service and period.as_of >= end_of_day(settings.end):
        for code, ind in indicators.items():
            if ind["status"] == "missed":
                items.append(_item("B1", "3.1(1)", f"{code} {ind['name']} 未达标（{_fmt(ind['value'])} / 目标 {_fmt(ind['target'])}）", 2000, settings.end))
    if need("B2", "3.1(5)", "staff"):
        i, f = b2_pay(staff, settings.start, settings.end)
        items += i
        flags += f
    if need("B3", "3.2(3)", "staff"):
        items += b3_replacement(staff, period.as_of, cal)
        team = on_board(staff, last)
        day = pd.Timestamp(last)
        notified = team[team["unfit_notice_on"].notna() & (team["unfit_notice_on"] <= day)
                        & (team["replaced_on"].isna() | (team["replaced_on"] > day))]  # on the team, not yet replaced
        if len(team) and Fraction(len(notified), len(team)) > Fraction(1, 10):
            flags.append({"flag": "超过10%的服务人员不能满足任职要求", "clause": "3.2(3)", "basis": f"{len(notified)} / {len(team)} 人", "date": last.isoformat()})
    if need("B4", "3.3(1)", "pm_duties"):
        items += b4_pm_duties(ds["pm_duties"], settings.monthly_fee_yuan, first, last)
    if need("B5", "3.4(1)", "complaints"):
        seen = ds["complaints"][ds["complaints"]["received_on"] <= pd.Timestamp(period.as_of)]
        i, f = b5_complaints(seen, staff)
        items += i
        flags += f
        flags += termination_triggers(seen)
    if need("B6", "3.4(2)", "errors"):
        i, f = b6_b7_errors(ds["errors"], staff)
        items += i
        flags += f
    if need("B8", "3.5(1)", "attendance", "staff"):
        items += b8_absence(ds["attendance"], staff, settings.start, cal)
        flags += [{"flag": "请假≥5个工作日，须安排同资质人员顶岗", "clause": "3.5(2)",
                   "basis": f"{_who(staff, f['staff_id'])} {f['month']} " + ("连续请假5个工作日" if f["kind"] == "consecutive" else f"当月请假累计达 {f['days']:g} 个工作日"),
                   "date": f["until"]}
                  for f in leave_flags(ds["attendance"], cal, first, last)]
    turnover_info = None
    if need("B9", "3.6(1)", "staff"):
        service_last = min(settings.end, period.as_of.date())
        i, na, turnover_info = b9_b10_turnover(staff, settings, service_last)
        if whole_service and period.as_of >= end_of_day(settings.end):  # settled on the whole service period
            items += i
            not_assessed += na
    if need("B11", "3.7(1)", "documents"):
        items += b11_documents(ds["documents"], period, settings, cal, ds["deliverables"] if ds.has("deliverables") else None)
    # Keep what is charged inside the period (B11 is already split by period).
    items = [it for it in items if it["rule"] in ("B11", "B9", "B10", "B1") or first <= date.fromisoformat(it["date"]) <= last]
    flags = [f for f in flags if first <= date.fromisoformat(f["date"][:10]) <= last]
    items.sort(key=lambda it: (int(it["rule"][1:]), it["date"], it["basis"]))
    total = round(sum(it["amount_yuan"] for it in items), 2)
    return {"total_yuan": total, "items": items, "not_assessed": not_assessed, "flags": flags, "turnover": turnover_info}


def termination_triggers(complaints: pd.DataFrame) -> list[dict]:
    """5.3(1): serious operator-caused complaints from >= 5 outlets within 7 days, or >= 20 cardholders within 2 days.

    Checked over sliding windows of calendar days; one flag per window end day.
    """
    c = complaints[(complaints["valid"] == True) & (complaints["serious"] == True) & (complaints["caused_by_operator"] != False)]  # noqa: E712
    flags = []
    outlets = c[c["complainant"] == "网点"]
    for day in sorted(outlets["received_on"].dt.date.unique()):
        window = outlets[(outlets["received_on"].dt.date > day - timedelta(days=7)) & (outlets["received_on"].dt.date <= day)]
        n = window["outlet_id"].fillna(window["complaint_id"]).nunique()
        if n >= 5:
            flags.append({"flag": "一周内5个以上网点严重投诉（可终止合同）", "clause": "5.3(1)", "basis": f"截至 {day} 的7天内 {n} 个网点", "date": day.isoformat()})
    holders = c[c["complainant"] == "持卡人"]
    for day in sorted(holders["received_on"].dt.date.unique()):
        n = int(((holders["received_on"].dt.date > day - timedelta(days=2)) & (holders["received_on"].dt.date <= day)).sum())
        if n >= 20:
            flags.append({"flag": "两天内20个以上持卡人严重投诉（可终止合同）", "clause": "5.3(1)", "basis": f"截至 {day} 的2天内 {n} 人次", "date": day.isoformat()})
    return flags


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and v <= 1:
        return f"{v * 100:.2f}%"
    return f"{v:,}" if isinstance(v, int) else f"{v:,.0f}"


def settlement(price_yuan: float, deductions_to_date: float) -> dict:
    """4.1(3): deductions are settled from the final 20% payment."""
    final = float(Fraction(price_yuan).limit_denominator(100) * FINAL_PAYMENT_SHARE)
    return {"final_payment_yuan": round(final, 2), "deductions_to_date_yuan": round(deductions_to_date, 2),
            "final_payment_left_yuan": round(final - deductions_to_date, 2)}
