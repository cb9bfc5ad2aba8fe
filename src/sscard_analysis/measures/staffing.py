"""Staff: the roster against 表1, turnover (3.6(1)) and leave (3.5(2)).

表1 sets a minimum head count per post and, for most posts, a minimum per
level; a higher level may fill a lower slot (DATA_CONTRACT 2, staff). The
table lives here as data, transcribed from the seed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..config import add_months
from ..dates.calendar import WorkCalendar

LEVEL_RANK = {"经理级": 4, "高级": 3, "中级": 2, "初级": 1}

# 表1 最低岗位配置要求: post -> (minimum head count, {level: minimum}).
TABLE1_POSTS: dict[str, tuple[int, dict[str, int]]] = {
    "综合规划（兼项目经理）": (1, {"经理级": 1}),
    "服务规划": (2, {"高级": 2}),
    "培训与宣传实施": (3, {"高级": 1, "中级": 1, "初级": 1}),
    "专家坐席": (2, {"高级": 1, "中级": 1}),
    "工单处理（统筹）": (1, {"中级": 1}),
    "工单处理（实施）": (7, {"高级": 1, "中级": 2, "初级": 4}),
    "银行专线服务支持": (3, {"中级": 2, "初级": 1}),
    "服务指引维护": (3, {"高级": 1, "中级": 1, "初级": 1}),
    "银行网点现场服务支持": (13, {"高级": 1, "中级": 4, "初级": 8}),
    "业务需求分析和测试": (2, {"中级": 2}),
    "社会保障卡应用项目推广与实施管理": (1, {}),
    "社会保障卡应用实施与综合业务管理": (1, {}),
    "社会保障卡应用实施与业务保障": (2, {}),
}
MIN_STAFF = 41  # 2.3(1)


def on_board(staff: pd.DataFrame, day: date) -> pd.DataFrame:
    """Staff on the team on ``day``: joined by then and not yet left (left_on is the first day away)."""
    ts = pd.Timestamp(day)
    return staff[(staff["onboard_on"] <= ts) & (staff["left_on"].isna() | (staff["left_on"] > ts))]


def _level_shortfall(levels: list[str], need: dict[str, int]) -> dict[str, int]:
    """Slots left unfilled when people of these levels fill the required slots.

    Slots are filled from the highest required level down, each by the lowest
    level that qualifies, so a higher level fills a lower slot only when no
    one else can.
    """
    pool = sorted((LEVEL_RANK.get(lv, 0) for lv in levels))
    short: dict[str, int] = {}
    for level in sorted(need, key=lambda lv: -LEVEL_RANK[lv]):
        for _ in range(need[level]):
            fit = next((i for i, r in enumerate(pool) if r >= LEVEL_RANK[level]), None)
            if fit is None:
                short[level] = short.get(level, 0) + 1
            else:
                pool.pop(fit)
    return short


def roster_check(staff: pd.DataFrame, day: date) -> dict:
    """A21 (2.3(1), 表1): head count and per-post, per-level minimums on ``day``.

    Returns ``headcount``, ``target`` (41), ``met`` and ``shortfalls``: a list
    of {post, need, have, missing_levels} for posts below their minimum.
    """
    team = on_board(staff, day)
    shortfalls = []
    for post, (need, levels) in TABLE1_POSTS.items():
        people = team[team["post"] == post]
        have = len(people)
        by_level = _level_shortfall([lv for lv in people["level"] if isinstance(lv, str)], levels)
        if have < need or by_level:
            shortfalls.append({"post": post, "need": need, "have": have, "missing_levels": by_level})
    headcount = len(team)
    return {"headcount": headcount, "target": MIN_STAFF, "met": headcount >= MIN_STAFF and not shortfalls, "shortfalls": shortfalls}


def counted_on(staff: pd.DataFrame, day: date) -> pd.DataFrame:
    """Staff who count for turnover on ``day`` (3.6(1)): on board and past the two-month probation.

    ``probation_passed_on`` records the passed assessment (for key posts also
    the purchaser's written consent, recorded as the same date).
    """
    team = on_board(staff, day)
    return team[team["probation_passed_on"].notna() & (team["probation_passed_on"] <= pd.Timestamp(day))]


def turnover(staff: pd.DataFrame, first: date, last: date, key_only: bool = False) -> dict:
    """Turnover over [first, last] (3.6(1); CONTRACT_RULES B).

    t = leavers / mean(counted head count on ``first`` and on ``last``), where
    leavers are counted staff whose left_on falls in the window. Returns
    ``leavers``, ``headcount_start``, ``headcount_end`` and ``rate`` (a fraction;
    None when both head counts are 0). ``key_only`` restricts to key posts.
    """
    s = staff[staff["key_post"] == True] if key_only else staff  # noqa: E712
    a, b = pd.Timestamp(first), pd.Timestamp(last)
    left = s[s["left_on"].notna() & (s["left_on"] >= a) & (s["left_on"] <= b)]
    # counted the day before leaving: past probation by then
    left = left[left["probation_passed_on"].notna() & (left["probation_passed_on"] < left["left_on"])]
    h0 = len(counted_on(s, first))
    h1 = len(counted_on(s, last))
    mean = (h0 + h1) / 2
    return {"leavers": len(left), "leaver_ids": left["staff_id"].tolist(), "headcount_start": h0, "headcount_end": h1,
            "rate": len(left) / mean if mean else None}


def monthly_turnover(staff: pd.DataFrame, start: date, last: date) -> list[dict]:
    """Turnover of each service month from ``start`` through ``last`` (the basis of B9's average)."""
    out, k = [], 0
    while (m := add_months(start, k)) <= last:  # counted from the start each time: no drift after a 31st
        end = min(add_months(start, k + 1) - timedelta(days=1), last)
        out.append({"month": m.isoformat()[:7], **turnover(staff, m, end)})
        k += 1
    return out


def leave_flags(attendance: pd.DataFrame, cal: WorkCalendar, first: date, last: date) -> list[dict]:
    """3.5(2): leave (事假, 病假) of >= 5 consecutive working days, or >= 5 working days in a month.

    Each attendance row covers ``days`` consecutive working days from ``date``
    (default 1; halves allowed). A flag is dated on the working day the
    threshold is reached (the 5th consecutive day, or the day a calendar
    month's total reaches 5) and returned when that day is in [first, last].
    """
    leave = attendance[attendance["kind"].isin(["事假", "病假"])]
    per_staff: dict[str, dict[date, float]] = {}
    for r in leave.itertuples(index=False):
        days = float(r.days) if pd.notna(r.days) else 1.0
        for d, share in covered_days(r.date.date(), days, cal):
            per_staff.setdefault(r.staff_id, {})[d] = per_staff.get(r.staff_id, {}).get(d, 0) + share
    flags = []
    for sid, by_day in per_staff.items():
        month_total: dict[str, float] = {}
        run, prev = 0, None
        for d in sorted(by_day):
            month = d.isoformat()[:7]
            before = month_total.get(month, 0.0)
            month_total[month] = before + by_day[d]
            if before < 5 <= month_total[month] and first <= d <= last:
                flags.append({"staff_id": sid, "month": month, "kind": "month", "days": month_total[month], "until": d.isoformat()})
            full = by_day[d] >= 1
            run = (run + 1 if prev is not None and cal.add_workdays(prev, 1) == d else 1) if full else 0
            prev = d if full else None
            if run == 5 and first <= d <= last:
                flags.append({"staff_id": sid, "month": month, "kind": "consecutive", "days": 5, "until": d.isoformat()})
    return flags


def covered_days(start: date, days: float, cal: WorkCalendar) -> list[tuple[date, float]]:
    """The working days a row covers, with the share of each (1 or a final half)."""
    out, d, left = [], start, days
    if not cal.is_workday(d):
        d = cal.add_workdays(d, 1)
    while left > 0:
        share = min(1.0, left)
        out.append((d, share))
        left -= share
        if left > 0:
            d = cal.add_workdays(d, 1)
    return out
