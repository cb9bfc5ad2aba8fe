"""Sample staff (表1 seats, joiners and leavers) and the ledgers about them: attendance, errors, complaints, PM duties, second-line support."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..ledgers import (
    PM_POST,
    POSTS,
)
from .base import (
    DATE_FMT,
    MONTH_FMT,
    Calendar,
    Table,
    add_months,
    ledger_headers,
    months_between,
    unique_fake_names,
    write_xlsx,
)

# Table 1 posts with the level of each seat (41 seats); names equal POSTS keys.
_POST_SEATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("综合规划（兼项目经理）", ("经理级",)),
    ("服务规划", ("高级", "高级")),
    ("培训与宣传实施", ("高级", "中级", "初级")),
    ("专家坐席", ("高级", "中级")),
    ("工单处理（统筹）", ("中级",)),
    ("工单处理（实施）", ("高级", "中级", "中级", "初级", "初级", "初级", "初级")),
    ("银行专线服务支持", ("中级", "中级", "初级")),
    ("服务指引维护", ("高级", "中级", "初级")),
    ("银行网点现场服务支持", ("高级",) + ("中级",) * 4 + ("初级",) * 8),
    ("业务需求分析和测试", ("中级", "中级")),
    ("社会保障卡应用项目推广与实施管理", ("",)),
    ("社会保障卡应用实施与综合业务管理", ("",)),
    ("社会保障卡应用实施与业务保障", ("", "")),
)
assert [post for post, _ in _POST_SEATS] == list(POSTS), "seats must follow the posts of ledgers.POSTS"
_KEY_POSTS = (PM_POST, "工单处理（统筹）", "专家坐席")
HANDLER_POSTS = ("工单处理（统筹）", "工单处理（实施）")
# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------


@dataclass
class Person:
    staff_id: str
    seat: int
    name: str
    post: str
    level: str
    onboard_on: date
    probation_passed_on: date | None = None
    left_on: date | None = None
    education: str = "本科"
    years_experience: float = 3.0
    unfit_notice_on: date | None = None
    replaced_on: date | None = None
    pay_below: str = ""

    def active(self, day: date) -> bool:
        return self.onboard_on <= day and (self.left_on is None or day <= self.left_on)


def make_staff(rng: np.random.Generator, cal: Calendar, start: date, end: date) -> list[Person]:
    """41 seats filled before the start, ~5 leavers with their replacements."""
    seats = [(post, level) for post, levels in _POST_SEATS for level in levels]
    names = unique_fake_names(rng, len(seats) + 8)
    years_by_level = {"经理级": (10, 16), "高级": (6, 12), "中级": (3, 7), "初级": (1, 3), "": (3, 8)}
    people: list[Person] = []
    pre = cal.workdays(start - timedelta(days=75), start - timedelta(days=5))
    for i, (post, level) in enumerate(seats):
        onboard = cal.day(pre[rng.integers(0, len(pre))])
        lo, hi = years_by_level[level]
        people.append(Person(
            staff_id=f"SB{i + 1:04d}", seat=i, name=names[i], post=post, level=level, onboard_on=onboard,
            education="硕士" if post == PM_POST else str(rng.choice(["本科", "大专", "硕士"], p=[0.6, 0.25, 0.15])),
            years_experience=float(round(rng.uniform(lo, hi) * 2) / 2),
        ))
    # Leavers: ordinary seats, spread over the year; the first is replaced as unfit.
    leaver_seats = [
        next(i for i, s in enumerate(seats) if s == ("工单处理（实施）", "初级")),
        next(i for i, s in enumerate(seats) if s == ("银行网点现场服务支持", "初级")),
        next(i for i, s in enumerate(seats) if s == ("银行专线服务支持", "初级")),
        next(i for i, s in enumerate(seats) if s == ("培训与宣传实施", "初级")),
        max(i for i, s in enumerate(seats) if s == ("银行网点现场服务支持", "初级")),
    ]
    span = (end - start).days
    for k, seat in enumerate(leaver_seats):
        old = people[seat]
        around = start + timedelta(days=int(span * (k + 1) / 6 + rng.integers(-10, 10)))
        if k == 0:
            notice = cal.first_workday_on_or_after(around)
            old.unfit_notice_on = notice
            replaced = cal.day(cal.nth_after(cal.idx(notice), 13))
            old.replaced_on = replaced
            old.left_on = cal.day(cal.idx(replaced) - 1)
            onboard = replaced
        else:
            old.left_on = cal.first_workday_on_or_after(around)
            onboard = cal.day(cal.nth_after(cal.idx(old.left_on), int(rng.integers(1, 5))))
        lo, hi = years_by_level[old.level]
        people.append(Person(
            staff_id=f"SB{len(people) + 1:04d}", seat=seat, name=names[len(seats) + k], post=old.post, level=old.level,
            onboard_on=onboard, education=str(rng.choice(["本科", "大专"])),
            years_experience=float(round(rng.uniform(lo, hi) * 2) / 2),
        ))
    for p in people:
        passed = cal.first_workday_on_or_after(add_months(p.onboard_on, 2))
        p.probation_passed_on = passed if passed <= end else None
    # One person paid below standard in the quarter July-September of the first year.
    q3 = next(p for p in people if p.post == "银行网点现场服务支持" and p.left_on is None)
    q3.pay_below = f"{start.year}Q3"
    return people


def staff_table(people: list[Person]) -> Table:
    cols: list[list[Any]] = [
        [p.staff_id for p in people], [p.name for p in people], [p.post for p in people],
        [p.level or None for p in people], ["是" if p.post in _KEY_POSTS else "否" for p in people],
        [p.onboard_on for p in people], [p.probation_passed_on for p in people], [p.left_on for p in people],
        [p.education for p in people], [p.years_experience for p in people],
        [p.unfit_notice_on for p in people], [p.replaced_on for p in people], [p.pay_below or None for p in people],
    ]
    headers = ledger_headers("staff", {"staff_id": "工号（必填）"})
    return Table(headers, cols, [None, None, None, None, None, DATE_FMT, DATE_FMT, DATE_FMT, None, "0.0",
                                  DATE_FMT, DATE_FMT, None])


def occupants(people: list[Person], posts: Sequence[str]) -> list[list[Person]]:
    """Seats of the given posts, each the list of its successive occupants by onboard date."""
    seats: dict[int, list[Person]] = {}
    for p in people:
        if p.post in posts:
            seats.setdefault(p.seat, []).append(p)
    return [sorted(chain, key=lambda p: p.onboard_on) for _, chain in sorted(seats.items())]


def pick_worker(seats: list[list[Person]], rng: np.random.Generator, day: date) -> Person:
    """A random person holding one of the seats on ``day``."""
    active = [p for chain in seats for p in chain if p.active(day)]
    return active[int(rng.integers(0, len(active)))] if active else seats[0][0]


# ---------------------------------------------------------------------------
# Staff-related ledgers
# ---------------------------------------------------------------------------


def write_attendance(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                      people: list[Person]) -> int:
    rows: list[tuple[str, date, str, float | None]] = []
    wdays = cal.workdays(start, end)
    # Company-wide meetings and trainings: four days for everyone employed then.
    events = sorted(wdays[np.linspace(20, len(wdays) - 20, 4).astype(int)].tolist())
    for k, d in enumerate(events):
        for p in people:
            if p.active(cal.day(d)):
                rows.append((p.staff_id, cal.day(d), "公司会议" if k % 2 == 0 else "公司培训", 1.0))
    ordinary = [p for p in people if p.post == "银行网点现场服务支持" and p.left_on is None and p.pay_below == ""]
    over = ordinary[0]
    pm = next(p for p in people if p.post == PM_POST)
    # One ordinary worker gets two more company training days (6 > 5 allowed); the PM three more (7 <= 10).
    for who, extra in ((over, 2), (pm, 3)):
        taken = {r[1] for r in rows if r[0] == who.staff_id}
        free = [d for d in wdays.tolist() if cal.day(d) not in taken]
        for d in sorted(rng.choice(free, extra, replace=False).tolist()):
            rows.append((who.staff_id, cal.day(d), "公司培训", 1.0))
    # Leave: one or two short leaves in distinct months; one six-day sick leave.
    sick6 = ordinary[1]
    event_days = set(events)
    for p in people:
        active = [d for d in wdays.tolist() if p.active(cal.day(d)) and d not in event_days]
        if not active or rng.random() < 0.2:
            continue
        months_used: list[int] = []
        for _ in range(int(rng.integers(1, 3))):
            d = cal.day(active[int(rng.integers(0, len(active)))])
            # Leaves at least two months apart: never five leave days in one month.
            if any(abs(d.year * 12 + d.month - m) < 2 for m in months_used):
                continue
            months_used.append(d.year * 12 + d.month)
            rows.append((p.staff_id, d, str(rng.choice(["事假", "病假"])), float(rng.choice([0.5, 1, 1, 2, 3]))))
    d6 = cal.day(wdays[len(wdays) // 2])
    rows = [r for r in rows if not (r[0] == sick6.staff_id and r[2] in ("事假", "病假"))]
    rows.append((sick6.staff_id, d6, "病假", 6.0))
    for p in rng.choice(len(people), 2, replace=False).tolist():
        who = people[p]
        active = [d for d in wdays.tolist() if who.active(cal.day(d))]
        rows.append((who.staff_id, cal.day(active[int(rng.integers(0, len(active)))]), "迟到", None))
    # One row per (staff, date, kind).
    seen: set[tuple[str, date, str]] = set()
    unique = []
    for r in sorted(rows, key=lambda r: (r[1], r[0], r[2])):
        if (r[0], r[1], r[2]) not in seen:
            seen.add((r[0], r[1], r[2]))
            unique.append(r)
    table = Table(ledger_headers("attendance"), [list(c) for c in zip(*unique)], [None, DATE_FMT, None, "0.0"])
    return write_xlsx(out_dir / "考勤记录.xlsx", table, "考勤", [10, 12, 10, 7])


def write_errors(out_dir: Path, rng: np.random.Generator, start: date, end: date, people: list[Person]) -> int:
    rows: list[tuple[str, str, int, int, int, str]] = []
    months = months_between(start, end)
    flagged = next(p for p in people if p.post == "工单处理（实施）" and p.level == "中级")
    flag_month = months[min(7, len(months) - 1)]
    for y, m in months:
        first, last = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        for p in people:
            if p.onboard_on > last or (p.left_on is not None and p.left_on < first):
                continue
            hi = 2000 if p.post in HANDLER_POSTS or p.post == "银行专线服务支持" else 1000
            volume = int(rng.integers(200, hi + 1))
            errors = int(rng.binomial(volume, 0.004))
            if p is flagged and (y, m) == flag_month:
                volume, errors = 800, 40  # exactly 5%
            rows.append((p.staff_id, f"{y}-{m:02d}", volume, errors, int(rng.poisson(0.2)), "否"))
    table = Table(ledger_headers("errors"), [list(c) for c in zip(*rows)], [None, None, "#,##0", None, None, None])
    return write_xlsx(out_dir / "差错登记表.xlsx", table, "差错与业务量", [10, 9, 9, 9, 12, 9])


_PM_ITEMS = (
    "月度工作例会", "服务质量分析会", "网点巡检督导", "工单质量抽查", "热线口径会商", "培训计划审定", "宣传活动现场",
    "人员考勤检查", "业务差错复核", "投诉处理跟进", "应急演练", "应用推广协调", "采购人工作汇报", "服务指引审核",
    "银行专线协调会", "PSAM卡管理检查", "安全保密检查", "周报月报审核", "新人带教检查", "现场服务巡查",
)


def write_pm_duties(out_dir: Path, rng: np.random.Generator, start: date, end: date) -> int:
    months = months_between(start, end)
    absent_month = months[min(4, len(months) - 1)]
    poor_month = months[min(8, len(months) - 1)]
    rows = []
    for y, m in months:
        absent = set(rng.choice(len(_PM_ITEMS), 3, replace=False).tolist()) if (y, m) == absent_month else set()
        poor = set(rng.choice(len(_PM_ITEMS), 5, replace=False).tolist()) if (y, m) == poor_month else set()
        for k, item in enumerate(_PM_ITEMS):
            attended = k not in absent
            rows.append((date(y, m, 1), item, "是" if attended else "否",
                         ("否" if k in poor else "是") if attended else None))
    table = Table(ledger_headers("pm_duties"), [list(c) for c in zip(*rows)], [MONTH_FMT, None, None, None])
    return write_xlsx(out_dir / "项目经理现场管理事项.xlsx", table, "现场管理事项", [10, 18, 12, 12])


def write_support(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date) -> int:
    wdays = cal.workdays(start, end)
    kinds = ["高层检查"] * 4 + ["问题协调"] * 10 + ["培训支持"] * 6
    texts = {"高层检查": "公司分管领导到项目现场检查服务质量", "问题协调": "协调合作银行处理社保卡业务积压问题",
             "培训支持": "公司培训中心派员支持网点业务培训"}
    day = np.sort(wdays[rng.integers(0, len(wdays), len(kinds))])
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    table = Table(ledger_headers("support_records"),
                   [[f"EX{i + 1:03d}" for i in range(len(kinds))], [cal.day(d) for d in day.tolist()], kinds,
                    [texts[k] for k in kinds]],
                   [None, DATE_FMT, None, None])
    return write_xlsx(out_dir / "二线支持记录.xlsx", table, "二线支持", [8, 12, 10, 40])
