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
from ..dates.periods import Period, label_bounds, normalize_label
from ..ingest.ledgers import PM_POST, SRC_FILE, SRC_ROW
from ..ingest.reader import DataSet
from ..measures.documents import lateness, task_stages
from ..measures.memo import last_result
from ..measures.staffing import (
    MIN_STAFF,
    covered_days,
    headcount_by_day,
    leave_flags,
    on_board,
    turnover,
)
from ..privacy import mask_name
from .indicators import is_assessed, missing_ledger_reason

FINAL_PAYMENT_SHARE = Fraction(1, 5)  # 4.1(3)


def _item(rule: str, clause: str, basis: str, amount: float, day: date) -> dict:
    return {"rule": rule, "clause": clause, "basis": basis, "amount_yuan": round(float(amount), 2), "date": day.isoformat()}


def _who(staff: pd.DataFrame, staff_id) -> str:
    """``张* (S012)``: a worker named with the surname only."""
    name = _masked_names(staff).get(staff_id)
    return f"工号 {staff_id}" if name is None else f"{name}（{staff_id}）"


@last_result
def _masked_names(staff: pd.DataFrame) -> dict:
    """staff_id -> masked name of a roster (the first row of each work ID)."""
    first = ~staff["staff_id"].duplicated()
    return dict(zip(staff.loc[first, "staff_id"], staff.loc[first, "name"].map(mask_name)))


def _quarter_end(label: str, settings=None) -> tuple[str, date] | None:
    """(normalised quarter label, its last day) for a quarter written in any usual form, else None."""
    norm = normalize_label(label)
    if norm is None or not re.fullmatch(r"\d{4}-Q[1-4]|contract-Q\d+", norm):
        return None
    bounds = label_bounds(norm, settings)
    return (norm, bounds[1]) if bounds else None


def _quarter_labels(text: str) -> list[str]:
    """The quarters a cell lists, split on , ， ; ； 、 / or line breaks (spaces split only a piece that is not
    one quarter as a whole, so ``2024年 第3季度`` stays one)."""
    out = []
    for piece in re.split(r"[,，;；、/\n]+", text.strip()):
        piece = piece.strip()
        if not piece:
            continue
        if _quarter_end(piece) is None and re.search(r"\s", piece):
            out += piece.split()
        else:
            out.append(piece)
    return out


def b2_pay(staff: pd.DataFrame, service_start: date | None = None, service_end: date | None = None,
           settings=None) -> tuple[list[dict], list[dict], list[dict]]:
    """B2 (3.1(5)): 2,000 per person per quarter paid below standard, charged on the quarter's last day.

    Quarters are read in any usual form (2024Q3, 2024-Q3, 2024年3季度,
    2024年第3季度, 2024年第三季度, 2024年三季度; a service quarter contract-Q2)
    and normalised, so the same quarter written two ways is one quarter. A
    quarter that runs past the service end is charged on the service's last
    day; a quarter wholly before the service start is not the operator's.
    Five or more people in one (normalised) quarter raise a flag (the
    purchaser may report to the regulator).

    Returns (items, flags, unreadable): ``unreadable`` lists each label that
    cannot be read as a quarter, with its file and row ({who, label, file,
    row}), never silently skipped.
    """
    items, per_q, unreadable = [], {}, []
    for r in staff.to_dict("records"):
        text = r.get("pay_below_standard_quarters")
        if not isinstance(text, str):
            continue
        for label in _quarter_labels(text):
            q = _quarter_end(label, settings)
            if q is None:
                unreadable.append({"who": _who(staff, r["staff_id"]), "label": label, "file": r.get(SRC_FILE), "row": r.get(SRC_ROW)})
                continue
            norm, end = q
            if service_start and end < service_start:
                continue
            end = min(end, service_end) if service_end else end
            if r["staff_id"] in per_q.setdefault(norm, {}):
                continue  # the same quarter listed twice for one person
            per_q[norm][r["staff_id"]] = end
            items.append(_item("B2", "3.1(5)", f"{_who(staff, r['staff_id'])} {norm} 工资未按标准发放", 2000, end))
    flags = [{"flag": "同一季度工资未达标人数达5人", "clause": "3.1(5)", "basis": f"{q}：{len(ids)} 人", "date": min(ids.values()).isoformat()}
             for q, ids in per_q.items() if len(ids) >= 5]
    return items, flags, unreadable


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
                               f"应于 {deadline} 当日（含）前到岗，{state}", 300, d))
    return items


def _charge_day(month_start: date, service_start: date, service_end: date) -> date | None:
    """The day a monthly deduction is charged: the month's last day, or the service's last day for the part
    month at the service end; None for a month wholly outside the service (CONTRACT_RULES B, monthly)."""
    month_end = add_months(month_start, 1) - timedelta(days=1)
    if month_end < service_start or month_start > service_end:
        return None
    return min(month_end, service_end)


PM_MIN_ITEMS = 20  # 3.3(1): at least 20 project-management items a month


def b4_pm_duties(pm: pd.DataFrame, fee: float, service_start: date, service_end: date) -> tuple[list[dict], list[dict]]:
    """B4 (3.3(1)): PM on-site management items in a month.

    Not attended on 3–4 items, or 3–4 items not up to requirement: 10% of the
    monthly fee; 5 or more of either: 15%. The two counts are tested
    separately (the clause's "或"). Months are calendar months clipped to
    the service: a month is charged on its last day, the part month at the
    service end on the service's last day (never dropped). A service month
    with fewer than 20 items recorded is a data warning (a flag dated on the
    month's charge day): 3.3(1) asks for at least 20 items.

    Returns (items, flags).
    """
    items, flags = [], []
    groups = dict(list(pm.groupby(pm["month"].dt.to_period("M"))))
    m = date(service_start.year, service_start.month, 1)
    while m <= service_end:
        month = pd.Period(m, freq="M")
        day = _charge_day(m, service_start, service_end)
        g = groups.get(month, pm.iloc[0:0])
        if len(g) < PM_MIN_ITEMS:
            flags.append({"flag": "数据提示：项目经理管理事项记录不足20项", "clause": "3.3(1)",
                          "basis": f"{month} 仅记录 {len(g)} 项（3.3(1) 要求每月至少20项）", "date": day.isoformat()})
        absent = int((g["attended"] == False).sum())  # noqa: E712
        poor = int(((g["attended"] == True) & (g["compliant"] == False)).sum())  # noqa: E712
        worst = max(absent, poor)
        share = Fraction(15, 100) if worst >= 5 else Fraction(10, 100) if worst >= 3 else 0
        if share:
            items.append(_item("B4", "3.3(1)①②", f"{month} 项目经理未现场参加 {absent} 项、不符合要求 {poor} 项，扣当月服务费 {int(share * 100)}%"
                               f"（月服务费 {fee:,.2f} 元）", float(Fraction(fee).limit_denominator(100) * share), day))
        m = add_months(m, 1)
    return items, flags


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


def b6_b7_errors(errors: pd.DataFrame, staff: pd.DataFrame, service_start: date, service_end: date) -> tuple[list[dict], list[dict]]:
    """B6 (10 yuan per spot-check error) and B7 (error-rate bands) per worker and month.

    Charged on the month's last day, the part month at the service end on
    the service's last day (never dropped); a month wholly outside the
    service is not charged (CONTRACT_RULES B, monthly).
    """
    items, flags = [], []
    for r in errors.itertuples(index=False):
        day = _charge_day(r.month.date(), service_start, service_end)
        if day is None:
            continue
        label = r.month.strftime("%Y-%m")
        if pd.notna(r.spot_check_errors) and int(r.spot_check_errors) > 0:
            n = int(r.spot_check_errors)
            items.append(_item("B6", "3.4(2)", f"{_who(staff, r.staff_id)} {label} 抽检差错 {n} 笔 × 10 元", 10 * n, day))
        if pd.notna(r.volume) and pd.notna(r.errors):
            amount = error_rate_amount(int(r.errors), int(r.volume))
            if amount:
                rate = Fraction(int(r.errors), int(r.volume))
                items.append(_item("B7", "3.4(2)", f"{_who(staff, r.staff_id)} {label} 差错率 {float(rate) * 100:.2f}%（{int(r.errors)}/{int(r.volume)}）", amount, day))
        if r.serious is True:
            flags.append({"flag": "严重业务差错（如造成100人及以上用卡故障）", "clause": "3.4(2)", "basis": f"{_who(staff, r.staff_id)} {label}", "date": day.isoformat()})
    return items, flags


def service_days(start: date, days: float, cal: WorkCalendar) -> list[tuple[date, float]]:
    """The working days a company meeting, training or 旷工 row takes, with the share of each (3.5(1)).

    A row starting on a working day covers ``days`` consecutive working days
    (DATA_CONTRACT 2, attendance). A row starting on a rest day covers
    ``days`` calendar days from that day, of which only the working days
    count: a meeting on a rest day takes no service day.
    """
    if cal.is_workday(start):
        return covered_days(start, days, cal)
    out, left, d = [], days, start
    while left > 0:
        share = min(1.0, left)
        if cal.is_workday(d):
            out.append((d, share))
        left -= share
        d += timedelta(days=1)
    return out


def b8_absence(attendance: pd.DataFrame, staff: pd.DataFrame, service_start: date, cal: WorkCalendar) -> list[dict]:
    """B8 (3.5(1)): company meetings/training beyond the allowance, and recorded 旷工: 2,000 per day.

    Allowance from the service start: 10 days for 综合规划（兼项目经理）, 5 for
    everyone else. Only working days count (:func:`service_days`). Each
    working day that takes a worker beyond the allowance (a part day counts
    as a whole one, the worst-case reading) is one absence, charged on that
    day; each working day of 旷工 likewise.
    """
    posts = dict(zip(staff["staff_id"], staff["post"]))
    items = []
    charged = attendance["kind"].isin(("公司会议", "公司培训", "旷工"))
    a = attendance[charged & (attendance["date"] >= pd.Timestamp(service_start))].sort_values(["staff_id", "date"])
    for sid, g in a.groupby("staff_id"):
        allowance = 10 if posts.get(sid) == PM_POST else 5
        used = 0.0
        for r in g.itertuples(index=False):
            days = float(r.days) if pd.notna(r.days) else 1.0
            for d, share in service_days(r.date.date(), days, cal):
                if r.kind == "旷工":
                    items.append(_item("B8", "3.5(1)", f"{_who(staff, sid)} {d} 旷工", 2000, d))
                    continue
                used += share
                if used > allowance:
                    items.append(_item("B8", "3.5(1)", f"{_who(staff, sid)} {d} 公司会议/培训累计 {used:g} 个工作日，超出 {allowance} 天额度，视为旷工", 2000, d))
    return items


def _pct(x: Fraction | None) -> str:
    return "—" if x is None else f"{float(x) * 100:.2f}%"


def b9_b10_turnover(staff: pd.DataFrame, settings, last: date) -> tuple[list[dict], list[dict], dict]:
    """B9 (3.6(1)①) and B10 (3.6(1)②) over the service period through ``last``.

    Turnover t = leavers ÷ the statistical average head count of counted
    staff (past probation) over [service start, last]
    (:func:`~sscard_analysis.measures.staffing.turnover`); leaving on or
    after the service's last day is not turnover. B9: t above the bid's
    promised (yearly) rate: 10,000 per full percentage point (floored); not
    assessed without ``promised_turnover_rate``. B10 (the same t): 25% <= t
    < 40% -> 2,000 per leaver; t >= 40% -> 3,000; key-post turnover >= 50%
    -> 4,000 per key-post leaver instead. Every line is dated ``last``.

    Returns (items, not_assessed, info); info holds ``rate``, ``leavers``,
    ``average_headcount`` and the same for key posts (``key_post_…``).
    """
    start, end = settings.start, settings.end
    items, not_assessed = [], []
    whole = turnover(staff, start, last, end)
    key = turnover(staff, start, last, end, key_only=True)
    t, tk = whole["rate"], key["rate"]
    info = {"rate": None if t is None else float(t), "leavers": whole["leavers"], "average_headcount": float(whole["average_headcount"]),
            "key_post_rate": None if tk is None else float(tk), "key_post_leavers": key["leavers"],
            "key_post_average_headcount": float(key["average_headcount"])}
    basis = f"离职 {whole['leavers']} 人 ÷ 平均人数 {float(whole['average_headcount']):.2f}"
    if settings.promised_turnover_rate is None:
        not_assessed.append({"rule": "B9", "clause": "3.6(1)①", "reason": "sscard.toml 未设置投标承诺流动率（[contract] promised_turnover_rate），无法评估"})
    elif t is not None:
        promised = Fraction(str(settings.promised_turnover_rate))
        points = math.floor((t - promised) * 100)
        if points > 0:
            items.append(_item("B9", "3.6(1)①", f"服务期人员流动率 {_pct(t)}（{basis}），高于承诺 {_pct(promised)} 共 {points} 个百分点",
                               10000 * points, last))
    key_ids = set(key["leaver_ids"]) if tk is not None and tk >= Fraction(1, 2) else set()
    per = 3000 if t is not None and t >= Fraction(2, 5) else 2000 if t is not None and t >= Fraction(1, 4) else 0
    for sid in whole["leaver_ids"]:
        if sid in key_ids:
            items.append(_item("B10", "3.6(1)②", f"重点岗位流动率 {_pct(tk)}（≥50%），离职 {_who(staff, sid)}", 4000, last))
        elif per:
            items.append(_item("B10", "3.6(1)②", f"人员流动率 {_pct(t)}（{basis}），离职 {_who(staff, sid)}", per, last))
    return items, not_assessed, info


def b11_documents(docs: pd.DataFrame, period: Period, settings, cal: WorkCalendar, deliverables: pd.DataFrame | None = None) -> list[dict]:
    """B11 (3.7(1)): 100 per document (task) per day late, one line per task per late day, dated that day.

    Tasks are the purchaser's requests (表2 rows 1–4) and, given the
    deliverables ledger, every weekly and monthly report the service
    calendar expects (row 5): one never submitted is late from its deadline
    through the cut-off. Days are calendar days (``late_day_basis``); only
    the days inside the period are charged, so periods add up to the year.
    A late day after the service end (the reports on the last week and
    month fall due after it) is charged on the service's last day, never
    dropped, like the monthly deductions (CONTRACT_RULES B); its own date is
    in the basis.
    """
    cut = period.as_of
    span = period if period.end < settings.end else Period(period.label, period.start, max(period.end, cut.date()), cut)
    late = lateness(task_stages(docs, deliverables, settings, cal), span, settings.late_day_basis, cal)
    working = settings.late_day_basis == "working"
    items = []
    for r in late.itertuples():
        state = f"{r.done_eff:%Y-%m-%d} 完成" if pd.notna(r.done_eff) else "截至统计时点未报送" if r.stage == "报送" else "截至统计时点未完成"
        first = r.deadline.date() + timedelta(days=1)
        for d in r.charged:
            k = max(cal.workdays_in(first, d) if working else (d - first).days + 1, 1)
            after = "（服务期结束后，计入服务期最后一日）" if d > settings.end else ""
            day = min(d, settings.end)
            if period.start <= day <= min(period.end, cut.date()):
                items.append(_item("B11", "3.7(1)", f"办文 {r.doc_id}（{r.doc_type}，{r.stage}）期限 {r.deadline:%Y-%m-%d}，{state}；"
                                   f"{d} 为超时第 {k} {'个工作日' if working else '天'}{after}", 100, day))
    return items


def headcount_flags(staff: pd.DataFrame, first: date, last: date) -> list[dict]:
    """2.3(1): each run of days in [first, last] with fewer than 41 on the team is a flag dated on its first day."""
    per_day = headcount_by_day(staff, first, last)
    flags, run = [], []
    for d, n in list(per_day.items()) + [(None, MIN_STAFF)]:
        if n < MIN_STAFF:
            run.append((d, n))
        elif run:
            flags.append({"flag": f"在岗人数少于{MIN_STAFF}人", "clause": "2.3(1)",
                          "basis": f"{run[0][0]} 至 {run[-1][0]} 共 {len(run)} 天，最少 {min(x for _, x in run)} 人", "date": run[0][0].isoformat()})
            run = []
    return flags


def compute_penalties(ds: DataSet, period: Period, indicators: dict, cal: WorkCalendar) -> dict:
    """Every deduction charged in ``period`` with the flags raised in it.

    Returns ``total_yuan``, ``items`` (rule, clause, basis, amount_yuan, date),
    ``not_assessed`` (each rule whose data is missing, once, with the reason
    in Chinese), ``flags`` (no money: 3.1(5), 3.2(3), 3.4, 3.5(2), 5.3(1),
    2.3(1), and data warnings that stop a rule from being applied in full)
    and ``turnover``. B1 is charged only on a period covering the whole
    service once the cut-off passes the assessment day; B9 and B10 once the
    cut-off passes the service end. Every other line is dated on the day it
    is charged, so a period holds the lines of :func:`charged_to` dated inside it.
    """
    settings = ds.settings
    first, last = period.start, min(period.end, period.as_of.date())
    lines, dated_flags, not_assessed = charged_to(ds, period.as_of, cal)
    items = [dict(it) for it in lines if first <= date.fromisoformat(it["date"]) <= last]
    flags = list(dated_flags)
    staff = ds["staff"]
    whole_service = period.start <= settings.start and period.end >= settings.end
    if whole_service and is_assessed(period, settings, cal):
        for code, ind in indicators.items():
            if ind["status"] == "missed":
                items.append(_item("B1", "3.1(1)", f"{code} {ind['name']} 未达标（{_fmt(ind['value'])} / 目标 {_fmt(ind['target'])}）", 2000, settings.end))
    if ds.has("staff"):
        _, _, unreadable = _b2(staff, settings)
        flags += [{"flag": "数据提示：工资未达标季度无法识别，未计入B2", "clause": "3.1(5)",
                   "basis": (f"{u['file']} 第 {u['row']} 行 " if u["file"] else "") + f"{u['who']}：“{u['label']}”", "date": last.isoformat()}
                  for u in unreadable]
        team = on_board(staff, last)
        day = pd.Timestamp(last)
        notified = team[team["unfit_notice_on"].notna() & (team["unfit_notice_on"] <= day)
                        & (team["replaced_on"].isna() | (team["replaced_on"] > day))]  # on the team, not yet replaced
        if len(team) and Fraction(len(notified), len(team)) > Fraction(1, 10):
            flags.append({"flag": "超过10%的服务人员不能满足任职要求", "clause": "3.2(3)", "basis": f"{len(notified)} / {len(team)} 人", "date": last.isoformat()})
        lo, hi = max(first, settings.start), min(last, settings.end)
        if lo <= hi:
            flags += headcount_flags(staff, lo, hi)
    if ds.has("attendance") and ds.has("staff"):
        flags += [{"flag": "请假≥5个工作日，须安排同资质人员顶岗", "clause": "3.5(2)",
                   "basis": f"{_who(staff, f['staff_id'])} {f['month']} " + ("连续请假5个工作日" if f["kind"] == "consecutive" else f"当月请假累计达 {f['days']:g} 个工作日"),
                   "date": f["until"]}
                  for f in leave_flags(ds["attendance"], cal, first, last)]
    turnover_info = None
    if ds.has("staff"):
        i, na, turnover_info = _turnover_lines(staff, settings, min(settings.end, period.as_of.date()))
        if whole_service and period.as_of >= end_of_day(settings.end):  # settled on the whole service period
            items += i
            not_assessed = not_assessed + na
    flags = [f for f in flags if first <= date.fromisoformat(f["date"][:10]) <= last]
    items.sort(key=lambda it: (int(it["rule"][1:]), it["date"], it["basis"]))
    total = round(sum(it["amount_yuan"] for it in items), 2)
    return {"total_yuan": total, "items": items, "not_assessed": not_assessed, "flags": flags, "turnover": turnover_info}


@last_result
def _b2(staff: pd.DataFrame, settings) -> tuple[list[dict], list[dict], list[dict]]:
    return b2_pay(staff, settings.start, settings.end, settings)


@last_result
def _turnover_lines(staff: pd.DataFrame, settings, last: date):
    return b9_b10_turnover(staff, settings, last)


@last_result
def charged_to(ds: DataSet, as_of, cal: WorkCalendar) -> tuple[list[dict], list[dict], list[dict]]:
    """The B2–B8 and B11 lines charged from the service start through the cut-off ``as_of``, each dated on the
    day it is charged, with the flags dated with them and the rules not assessed (each once).

    A report asks for its period and for the service to date (the settlement) at the same cut-off: the lines
    are computed once and each period keeps those dated inside it. The result is shared: do not modify it.
    """
    settings = ds.settings
    span = Period("service-to-date", settings.start, max(settings.end, as_of.date()), as_of)
    items, flags, not_assessed = [], [], []

    def need(rules: tuple[str, ...], clause: str, *ledgers: str) -> bool:
        missing = [lg for lg in ledgers if not ds.has(lg)]
        if missing:
            not_assessed.extend({"rule": r, "clause": clause, "reason": missing_ledger_reason(*missing)} for r in rules)
        return not missing

    staff = ds["staff"]
    if need(("B2",), "3.1(5)", "staff"):
        i, f, _ = _b2(staff, settings)
        items += i
        flags += f
    if need(("B3",), "3.2(3)", "staff"):
        items += b3_replacement(staff, as_of, cal)
    if need(("B4",), "3.3(1)", "pm_duties"):
        i, f = b4_pm_duties(ds["pm_duties"], settings.monthly_fee_yuan, settings.start, settings.end)
        items += i
        flags += f
    if need(("B5",), "3.4(1)", "complaints"):
        seen = ds["complaints"][ds["complaints"]["received_on"] <= pd.Timestamp(as_of)]
        i, f = b5_complaints(seen, staff)
        items += i
        flags += f
        flags += termination_triggers(seen)
    if need(("B6", "B7"), "3.4(2)", "errors"):
        i, f = b6_b7_errors(ds["errors"], staff, settings.start, settings.end)
        items += i
        flags += f
    if need(("B8",), "3.5(1)", "attendance", "staff"):
        items += b8_absence(ds["attendance"], staff, settings.start, cal)
    need(("B9", "B10"), "3.6(1)", "staff")
    if ds.has("documents") or ds.has("deliverables"):
        items += b11_documents(ds["documents"], span, settings, cal, ds["deliverables"] if ds.has("deliverables") else None)
        if not ds.has("deliverables"):
            not_assessed.append({"rule": "B11", "clause": "3.7(1)", "reason": "缺少成果台账（deliverables），周报、月报的迟交无法评估"})
        elif not ds.has("documents"):
            not_assessed.append({"rule": "B11", "clause": "3.7(1)", "reason": "缺少办文台账（documents），采购人办文需求的超时无法评估"})
    else:
        need(("B11",), "3.7(1)", "documents", "deliverables")
    return items, flags, not_assessed


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
