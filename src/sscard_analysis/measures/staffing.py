"""Staff: the roster against 表1, turnover (3.6(1)) and leave (3.5(2)).

表1 sets a minimum head count per post and, for most posts, a minimum per
level; a higher level may fill a lower slot (DATA_CONTRACT 2, staff). The
table lives here as data, transcribed from the seed.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd

from ..config import add_months
from ..dates.calendar import CalendarError, WorkCalendar

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
    """Staff on the team on ``day``: joined by then and not yet gone (left_on, 离职日期, is the last day on the team)."""
    ts = pd.Timestamp(day)
    return staff[(staff["onboard_on"] <= ts) & (staff["left_on"].isna() | (staff["left_on"] >= ts))]


def _level_shortfall(levels: list[str], need: dict[str, int]) -> dict[str, int]:
    """Slots left unfilled when people of these levels fill the required slots (head counts on one day)."""
    pool: dict[int, float] = {}
    for lv in levels:
        pool[LEVEL_RANK.get(lv, 0)] = pool.get(LEVEL_RANK.get(lv, 0), 0) + 1
    return {lv: int(v) for lv, v in _fill_levels(pool, {lv: float(n) for lv, n in need.items()}).items()}


def _fill_levels(pool: dict[int, float], need: dict[str, float]) -> dict[str, float]:
    """What is left of ``need`` (level -> quantity) once ``pool`` (level rank -> quantity) fills it.

    A higher level may fill a lower slot (表1, DATA_CONTRACT 2): slots are filled
    from the highest required level down, each from the lowest level that
    qualifies, so a higher level fills a lower slot only when no one else can.
    Quantities are head counts (one day) or person-days (a period).
    """
    pool = dict(pool)
    short: dict[str, float] = {}
    for level in sorted(need, key=lambda lv: -LEVEL_RANK[lv]):
        want = need[level]
        for rank in sorted(r for r in pool if r >= LEVEL_RANK[level]):
            take = min(want, pool[rank])
            pool[rank] -= take
            want -= take
            if not want:
                break
        if want > 0:
            short[level] = want
    return short


def roster_check(staff: pd.DataFrame, day: date) -> dict:
    """The roster on one day against 表1 (2.3(1)): head count and per-post, per-level minimums on ``day``.

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


def _days_on_team(staff: pd.DataFrame, first: date, last: date) -> pd.Series:
    """Days each worker was on the team within [first, last] (onboard_on through left_on, both inclusive)."""
    a = staff["onboard_on"].clip(lower=pd.Timestamp(first))
    b = staff["left_on"].fillna(pd.Timestamp(last)).clip(upper=pd.Timestamp(last))
    return ((b - a).dt.days + 1).clip(lower=0).fillna(0).astype(int)


def staffing_delivery(staff: pd.DataFrame, first: date, last: date) -> dict:
    """A21 (2.3(1), 表1): person-days delivered per post and level over [first, last] against 表1.

    表1 gives each post's figure in 人月 over the 12-month service (e.g.
    银行网点现场服务支持 156 人月 = 13 people every day); pro-rated to a
    window of ``days`` calendar days a post needs ``head count × days``
    person-days, and each level ``level count × days``. A worker counts from
    onboard_on through left_on inclusive; a higher level may fill a lower slot.

    Returns
    -------
    dict with ``days`` (calendar days in the window), ``need_days`` (41 ×
    days), ``have_days`` (person-days of everyone on the team), ``met`` (no
    post and no level short) and ``shortfalls``: for each short post
    {post, need_days, have_days, short_days (post total, person-days),
    levels_short {level: person-days}}.
    """
    days = (last - first).days + 1
    if days <= 0:
        return {"days": 0, "need_days": 0, "have_days": 0, "met": True, "shortfalls": []}
    on = _days_on_team(staff, first, last)
    shortfalls = []
    for post, (n, levels) in TABLE1_POSTS.items():
        mine = staff["post"] == post
        have = int(on[mine].sum())
        pool: dict[int, float] = {}
        for lv, d in zip(staff.loc[mine, "level"], on[mine]):
            if isinstance(lv, str) and d:
                pool[LEVEL_RANK.get(lv, 0)] = pool.get(LEVEL_RANK.get(lv, 0), 0) + int(d)
        short = _fill_levels(pool, {lv: k * days for lv, k in levels.items()})
        if have < n * days or short:
            shortfalls.append({"post": post, "need_days": n * days, "have_days": have, "short_days": max(n * days - have, 0),
                               "levels_short": {lv: int(v) for lv, v in short.items()}})
    return {"days": days, "need_days": MIN_STAFF * days, "have_days": int(on.sum()), "met": not shortfalls, "shortfalls": shortfalls}


def headcount_by_day(staff: pd.DataFrame, first: date, last: date) -> pd.Series:
    """Workers on the team on each day of [first, last] (onboard_on through left_on inclusive), indexed by date."""
    days = pd.date_range(first, last, freq="D")
    if not len(days):
        return pd.Series(dtype=int)
    a = staff["onboard_on"].clip(lower=days[0])
    b = staff["left_on"].fillna(days[-1]).clip(upper=days[-1])
    ok = (a <= b).to_numpy()
    diff = np.zeros(len(days) + 1, dtype=int)
    np.add.at(diff, (a[ok] - days[0]).dt.days.to_numpy(), 1)
    np.add.at(diff, (b[ok] - days[0]).dt.days.to_numpy() + 1, -1)
    return pd.Series(np.cumsum(diff[:-1]), index=days.date)


def counted_on(staff: pd.DataFrame, day: date) -> pd.DataFrame:
    """Staff who count for turnover on ``day`` (3.6(1)): on board and past the two-month probation.

    ``probation_passed_on`` records the passed assessment (for key posts also
    the purchaser's written consent, recorded as the same date).
    """
    team = on_board(staff, day)
    return team[team["probation_passed_on"].notna() & (team["probation_passed_on"] <= pd.Timestamp(day))]


def average_headcount(staff: pd.DataFrame, first: date, last: date) -> Fraction:
    """The statistical average head count (平均人数) of counted staff over [first, last].

    The mean over the window's calendar months, each clipped to the window, of
    (counted head count on the month's first day + on its last day) ÷ 2.
    Exact (a Fraction); 0 for an empty window.
    """
    months, m = [], date(first.year, first.month, 1)
    while m <= last:
        a, b = max(m, first), min(add_months(m, 1) - timedelta(days=1), last)
        months.append(Fraction(len(counted_on(staff, a)) + len(counted_on(staff, b)), 2))
        m = add_months(m, 1)
    return sum(months, Fraction(0)) / len(months) if months else Fraction(0)


def turnover(staff: pd.DataFrame, first: date, last: date, service_end: date | None = None, key_only: bool = False) -> dict:
    """Turnover over [first, last] (3.6(1); CONTRACT_RULES B, turnover).

    t = leavers ÷ :func:`average_headcount`. Leavers are counted staff (past
    probation on their last day) whose left_on, the last day on the team,
    falls in the window and before ``service_end``: leaving on or after the
    service's last day is the end of the service, not turnover. Returns
    ``leavers``, ``leaver_ids``, ``average_headcount`` and ``rate`` (a Fraction;
    None when the average head count is 0). ``key_only`` restricts to key posts.
    """
    s = staff[staff["key_post"] == True] if key_only else staff  # noqa: E712
    a, b = pd.Timestamp(first), pd.Timestamp(last)
    left = s[s["left_on"].notna() & (s["left_on"] >= a) & (s["left_on"] <= b)]
    if service_end is not None:
        left = left[left["left_on"] < pd.Timestamp(service_end)]
    left = left[left["probation_passed_on"].notna() & (left["probation_passed_on"] <= left["left_on"]) & (left["onboard_on"] <= left["left_on"])]
    avg = average_headcount(s, first, last)
    return {"leavers": len(left), "leaver_ids": left["staff_id"].tolist(), "average_headcount": avg,
            "rate": Fraction(len(left)) / avg if avg else None}


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
    """The working days a row covers, with the share of each (1 or a final half).

    Days the working-day calendar cannot place (a row dated in, or running
    into, a year it does not describe) are left out: they lie outside every
    period that can be computed, and one such row never stops the rest.
    """
    out, d, left = [], start, days
    try:
        if not cal.is_workday(d):
            d = cal.add_workdays(d, 1)
        while left > 0:
            share = min(1.0, left)
            out.append((d, share))
            left -= share
            if left > 0:
                d = cal.add_workdays(d, 1)
    except CalendarError:
        pass
    return out
