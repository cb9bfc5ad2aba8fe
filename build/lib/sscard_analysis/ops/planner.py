"""The on-site inspection plan: every outlet inspected once in the service year (表1 #9).

表1 #9 asks the 银行网点现场服务支持 team to draw up the inspection plan
("制定现场服务检查流程、编制现场服务检查表格，形成检查方案") and to inspect at
least 2,200 outlets a year (A11: distinct outlets in the service period).
From a start day to the service end this module

1. lists the outlets still to inspect: open outlets (status 正常) with no
   inspection since the service start, in this order — never inspected at
   all, then inspected before the service year; within each, an unrectified
   finding at the last inspection first, then outlets of lower-scoring banks
   (the bank scorecard of the service year so far), then the longest ago.
   Outlets inspected this year whose last inspection left a finding
   unrectified are added first as follow-up visits (复查), which use capacity
   but add no coverage;
2. spreads them over the remaining working days (the State Council calendar:
   an adjusted working Saturday is a working day, a holiday never is) at an
   even pace — each day takes its share of what is left, ⌈left ÷ working days
   left⌉, so the team is not idle at the end nor overloaded at the start —
   among the team members on board that day and not on recorded leave, each
   person-day in ONE district (one route) with at most
   ``Settings.visits_per_person_day`` outlets, the person with the fewest
   visits so far first;
3. states the coverage the plan reaches by the service end against 2,200
   (outlets inspected since the service start + outlets newly planned) and
   its margin, or the shortfall and the capacity that would close it (visits
   per person-day, or extra inspectors at today's capacity).

Pure functions over ledger frames; the files are written by :mod:`.plan_output`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..analysis.scorecard import SCORE_ITEMS, open_outlets
from ..contract.indicators import QUOTAS
from ..dates.calendar import WorkCalendar
from ..measures.staffing import on_board
from ..privacy import mask_name

FIELD_POST = "银行网点现场服务支持"  # 表1 #9: the post that inspects outlets
TARGET_OUTLETS = int(next(q.target for q in QUOTAS if q.code == "A11"))  # 表1 #9: ≥ 2,200 outlets a year
AWAY_KINDS = ("事假", "病假", "公司会议", "公司培训", "旷工")  # attendance that takes a person off the road that day
FIRST, FOLLOW_UP = "首次检查", "复查"
MAX_EXTRA_CAPACITY = 30  # how far the "capacity that would close the gap" search looks
MAX_EXTRA_INSPECTORS = 40


class PlanError(ValueError):
    """A plan that cannot be made (start outside the service period, no outlets registry)."""


@dataclass
class Plan:
    """An inspection plan from ``start`` to ``end`` (the service end).

    Attributes
    ----------
    queue : every outlet to visit, in priority order, with ``planned_on`` (NaT when it did not fit).
    visits : one row per planned visit: ``date``, ``staff_id``, ``inspector`` (masked), ``district``,
        ``seq`` (order within the person-day) and the queue's columns.
    team : working day -> staff ids available that day.
    covered_before : distinct outlets inspected from the service start to the day before ``start``.
    open_outlets : outlets open on ``start`` (the registry's 正常 outlets).
    """

    start: date
    end: date
    service_start: date
    capacity: int
    days: list[date]
    adjusted_days: list[date]
    team: dict[date, list[str]]
    queue: pd.DataFrame
    visits: pd.DataFrame
    covered_before: int
    open_outlets: int
    target: int = TARGET_OUTLETS
    needed_capacity: int | None = None
    needed_inspectors: int | None = None
    min_capacity: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def first_visits(self) -> int:
        """Outlets newly covered by the plan (首次检查 visits)."""
        return int((self.visits["kind"] == FIRST).sum()) if len(self.visits) else 0

    @property
    def coverage(self) -> int:
        """Distinct outlets inspected in the service year if the plan is carried out."""
        return self.covered_before + self.first_visits

    @property
    def margin(self) -> int:
        """Coverage minus the 2,200 target (negative: the shortfall)."""
        return self.coverage - self.target

    @property
    def person_days(self) -> int:
        return sum(len(v) for v in self.team.values())

    @property
    def unplanned(self) -> pd.DataFrame:
        return self.queue[self.queue["planned_on"].isna()]


def team_by_day(staff: pd.DataFrame, attendance: pd.DataFrame | None, days: list[date], cal: WorkCalendar,
                post: str = FIELD_POST) -> dict[date, list[str]]:
    """Working day -> staff ids of ``post`` on board that day and not away on a recorded leave or meeting.

    An attendance row covers ``days`` working days from its date (rounded up: half a day away is a day
    off the road); kinds in :data:`AWAY_KINDS` count.
    """
    team = staff[staff["post"] == post]
    away: set[tuple[str, date]] = set()
    if attendance is not None and len(attendance) and days:
        lo, hi = pd.Timestamp(days[0] - timedelta(days=60)), pd.Timestamp(days[-1])
        rows = attendance[attendance["kind"].isin(AWAY_KINDS) & attendance["staff_id"].isin(team["staff_id"])
                          & (attendance["date"] >= lo) & (attendance["date"] <= hi)]
        for sid, d, n in zip(rows["staff_id"], rows["date"], rows["days"]):
            first = d.date() if cal.is_workday(d.date()) else cal.add_workdays(d.date(), 1)
            span = max(1, math.ceil(1 if pd.isna(n) else float(n)))
            away.add((str(sid), first))
            away.update((str(sid), cal.add_workdays(first, k)) for k in range(1, span))
    out = {}
    for day in days:
        ids = sorted(on_board(team, day)["staff_id"].astype(str))
        out[day] = [s for s in ids if (s, day) not in away]
    return out


def visit_queue(outlets: pd.DataFrame, inspections: pd.DataFrame, start: date, service_start: date, service_end: date,
                bank_rank: dict[str, int] | None = None) -> tuple[pd.DataFrame, int]:
    """(outlets to visit in priority order, distinct outlets inspected from the service start to ``start`` − 1).

    The queue holds the registry's columns, ``kind`` (首次检查 / 复查), the last inspection before
    ``start`` (``last_inspected``, ``last_inspector``, the item scores ``last_<item>``, ``last_issues``,
    ``last_rectified``), ``bank_rank`` (1 = best bank; NaN unscored), ``reason`` (Chinese) and
    ``priority`` (0 = first).
    """
    ts, ts0 = pd.Timestamp(start), pd.Timestamp(service_start)
    before = inspections[inspections["inspected_on"] < ts]
    covered = set(before.loc[before["inspected_on"] >= ts0, "outlet_id"].astype(str))
    last = before.sort_values(["inspected_on", "inspection_id"]).groupby("outlet_id").tail(1).set_index("outlet_id")
    reg = open_outlets(outlets, service_end)
    reg = reg[reg["closed_on"].isna() | (reg["closed_on"] > ts)].copy()
    reg["outlet_id"] = reg["outlet_id"].astype(str)
    lastcols = {"inspected_on": "last_inspected", "inspector": "last_inspector", "issues": "last_issues",
                "rectified": "last_rectified", **{c: f"last_{c}" for c in SCORE_ITEMS}}
    q = reg.merge(last[list(lastcols)].rename(columns=lastcols), left_on="outlet_id", right_index=True, how="left")
    q["bank_rank"] = q["bank"].map(bank_rank or {}).astype(float)
    in_year = q["outlet_id"].isin(covered)
    unrectified = q["last_rectified"] == False  # noqa: E712
    q["kind"] = np.where(in_year, FOLLOW_UP, FIRST)
    q = q[~in_year | unrectified].copy()
    unrectified = q["last_rectified"] == False  # noqa: E712
    never = q["last_inspected"].isna()
    q["_tier"] = np.select([q["kind"] == FOLLOW_UP, never], [0, 1], 2)
    q["_unrect"] = (~unrectified).astype(int)
    q["_bank"] = q["bank_rank"].fillna(-1)  # higher rank number = lower score = earlier; unscored last
    q = q.sort_values(["_tier", "_unrect", "_bank", "last_inspected", "outlet_id"],
                      ascending=[True, True, False, True, True], na_position="first", kind="stable")
    n_banks = int(np.nanmax(q["bank_rank"])) if q["bank_rank"].notna().any() else 0
    reasons = []
    for kind, last_on, unrect, rank in zip(q["kind"], q["last_inspected"], unrectified, q["bank_rank"]):
        parts = []
        if kind == FOLLOW_UP:
            parts.append(f"{last_on:%Y-%m-%d} 检查发现问题未整改，复查")
        else:
            parts.append("服务年度内未检查；" + ("无检查记录" if pd.isna(last_on) else f"上次检查 {last_on:%Y-%m-%d}"))
            if unrect:
                parts.append("上次发现问题未整改")
        if not pd.isna(rank):
            parts.append(f"所属银行排名 {int(rank)}/{n_banks}")
        reasons.append("；".join(parts))
    q["reason"] = reasons
    q["priority"] = np.arange(len(q))
    return q.drop(columns=["_tier", "_unrect", "_bank"]).reset_index(drop=True), len(covered)


def schedule(queue: pd.DataFrame, team: dict[date, list[str]], capacity: int) -> pd.DataFrame:
    """Assign queue rows to (day, person): one district per person-day, at most ``capacity`` visits.

    Days are taken in order; each day's quota is ⌈rows left ÷ working days left⌉ (capped by the
    team's capacity that day), handed out to the people with the fewest visits so far; each person
    gets the district of the highest-priority row that can be visited that day (the outlet is open)
    and up to ``capacity`` (and the quota left) of that district's rows in priority order.
    Returns ``date``, ``staff_id``, ``district``, ``seq`` (1.. within the person-day, by address)
    and ``row`` (the queue's index).
    """
    cols = ["date", "staff_id", "district", "seq", "row"]
    if queue.empty:
        return pd.DataFrame(columns=cols)
    opened = queue["opened_on"].to_numpy(dtype="datetime64[ns]")
    closed = queue["closed_on"].to_numpy(dtype="datetime64[ns]")
    district = queue["district"].astype(str).to_numpy()
    address = queue["address"].astype(object).fillna("").astype(str).to_numpy()
    prio = queue["priority"].to_numpy()
    order = np.argsort(prio, kind="stable")
    lists: dict[str, list[int]] = {}
    for i in order.tolist():
        lists.setdefault(district[i], []).append(i)
    head = {d: 0 for d in lists}
    taken = np.zeros(len(queue), dtype=bool)
    load: dict[str, int] = {}
    out: list[tuple] = []
    days = sorted(team)
    pending = len(queue)

    def can_visit(i: int, day64) -> bool:
        return (np.isnat(opened[i]) or opened[i] <= day64) and (np.isnat(closed[i]) or closed[i] > day64)

    for k, day in enumerate(days):
        people = team[day]
        if not people or not pending:
            continue
        day64 = np.datetime64(day, "ns")
        quota = min(len(people) * capacity, math.ceil(pending / (len(days) - k)))
        for person in sorted(people, key=lambda p: (load.get(p, 0), p)):
            if quota <= 0:
                break
            best: tuple[int, str] | None = None
            for d, items in lists.items():
                while head[d] < len(items) and taken[items[head[d]]]:
                    head[d] += 1
                for i in items[head[d]:]:
                    if not taken[i] and can_visit(i, day64):
                        if best is None or prio[i] < best[0]:
                            best = (prio[i], d)
                        break
            if best is None:
                break
            d = best[1]
            n = min(capacity, quota)
            chosen = []
            for i in lists[d][head[d]:]:
                if not taken[i] and can_visit(i, day64):
                    chosen.append(i)
                    if len(chosen) == n:
                        break
            for i in chosen:
                taken[i] = True
            chosen.sort(key=lambda i: (address[i], i))
            out.extend((day, person, d, s + 1, i) for s, i in enumerate(chosen))
            load[person] = load.get(person, 0) + len(chosen)
            quota -= len(chosen)
            pending -= len(chosen)
        # rows whose outlet closes before the next day can never be visited: stop counting them as pending
        pending = int((~taken & ~(~np.isnat(closed) & (closed <= day64 + np.timedelta64(1, "D")))).sum())
    return pd.DataFrame(out, columns=cols)


def plan_inspections(outlets: pd.DataFrame, inspections: pd.DataFrame, staff: pd.DataFrame, attendance: pd.DataFrame | None,
                     cal: WorkCalendar, start: date, service_start: date, service_end: date, capacity: int,
                     bank_rank: dict[str, int] | None = None) -> Plan:
    """The plan from ``start`` to the service end, its coverage, and the capacity that would close a gap.

    Parameters
    ----------
    outlets, inspections, staff, attendance : ledger frames (attendance may be None).
    cal : the working-day calendar.
    start : first day of the plan (inspections before it are taken as done).
    service_start, service_end : the service period (1.4).
    capacity : outlets one person visits in a working day (``Settings.visits_per_person_day``).
    bank_rank : bank -> rank in the scorecard so far (1 = best); lower-ranked banks' outlets go first.
    """
    if not service_start <= start <= service_end:
        raise PlanError(f"计划开始日期 {start} 不在服务期 {service_start} 至 {service_end} 内")
    if capacity < 1:
        raise PlanError("每人每日检查网点数至少为 1")
    days = cal.workdays_between(start, service_end)
    adjusted = [d for d in days if d.weekday() >= 5]
    team = team_by_day(staff, attendance, days, cal)
    queue, covered = visit_queue(outlets, inspections, start, service_start, service_end, bank_rank)
    sched = schedule(queue, team, capacity)
    names = dict(zip(staff["staff_id"].astype(str), staff["name"].astype(object)))
    visits = sched.merge(queue.drop(columns=["district"]), left_on="row", right_index=True, how="left")
    visits["inspector"] = [f"{mask_name(names.get(s, ''))}（{s}）" for s in visits["staff_id"]]
    queue = queue.copy()
    queue["planned_on"] = pd.to_datetime(pd.Series(pd.NaT, index=queue.index))
    queue.loc[sched["row"].to_numpy(), "planned_on"] = pd.to_datetime(sched["date"]).to_numpy()
    plan = Plan(start, service_end, service_start, capacity, days, adjusted, team, queue,
                visits.drop(columns=["row"]).reset_index(drop=True), covered, len(open_outlets(outlets, start)))
    if not any(team.values()):
        plan.notes.append(f"人员名册中没有 {start} 至 {service_end} 在岗的“{FIELD_POST}”人员，无法安排检查")
    first = queue[queue["kind"] == FIRST]
    reachable = covered + len(first)
    if reachable < plan.target:
        plan.notes.append(f"即使名录中全部在用网点都检查，服务年度覆盖也只有 {reachable:,} 个，少于目标 {plan.target:,} 个")
    if len(plan.unplanned):
        plan.needed_capacity = _smallest(lambda c: _fits(queue, team, c), capacity + 1, capacity + MAX_EXTRA_CAPACITY)
        plan.needed_inspectors = _smallest(lambda n: _fits(queue, _with_extra(team, n), capacity), 1, MAX_EXTRA_INSPECTORS)
    else:
        plan.min_capacity = _smallest(lambda c: _fits(queue, team, c), 1, capacity)
    return plan


def _fits(queue: pd.DataFrame, team: dict[date, list[str]], capacity: int) -> bool:
    return len(schedule(queue, team, capacity)) == len(queue)


def _with_extra(team: dict[date, list[str]], n: int) -> dict[date, list[str]]:
    return {d: ids + [f"增补{k + 1}" for k in range(n)] for d, ids in team.items()}


def _smallest(ok, lo: int, hi: int) -> int | None:
    """The smallest value in [lo, hi] for which ``ok`` holds (``ok`` is monotone), or None."""
    if lo > hi or not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def week_label(d: date) -> str:
    """ISO week ``2024-W45`` of a day."""
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def horizon(plan: Plan, weeks: int | None) -> date:
    """Last day shown when the schedule is limited to ``weeks`` weeks from the start (else the service end)."""
    if not weeks:
        return plan.end
    return min(plan.end, plan.start + timedelta(days=7 * weeks - 1))


def plan_for(ds, start: date, capacity: int | None = None) -> Plan:
    """The plan for a loaded data folder: its settings, calendar and the bank ranking of the service year so far.

    ``capacity`` overrides ``Settings.visits_per_person_day``.
    """
    from ..dates.calendar import calendar_for, end_of_day
    from ..dates.periods import Period
    from ..reporting.banks import assessment

    s = ds.settings
    for name in ("outlets", "staff"):
        if not ds.has(name):
            raise PlanError(f"数据目录中没有{'合作银行网点名录' if name == 'outlets' else '人员名册'}，无法编制检查计划")
    ranks = None
    if s.start < start <= s.end:
        so_far = start - timedelta(days=1)
        card, _ = assessment(ds, Period(f"{s.start}..{so_far}", s.start, so_far, end_of_day(so_far)))
        ranks = {b: int(r) for b, r in zip(card["bank"], card["rank"]) if not pd.isna(r)}
    return plan_inspections(ds["outlets"], ds["outlet_inspections"], ds["staff"], ds["attendance"] if ds.has("attendance") else None,
                            calendar_for(s), start, s.start, s.end, capacity or s.visits_per_person_day, ranks)


def summary_lines(plan: Plan) -> list[str]:
    """The plan's coverage statement in Chinese: the margin over 2,200, or the shortfall and what closes it."""
    lines = [
        f"计划期间 {plan.start} 至 {plan.end}（服务期末），剩余工作日 {len(plan.days)} 天"
        + (f"（含调休上班日 {'、'.join(f'{d:%m-%d}' for d in plan.adjusted_days)}）" if plan.adjusted_days else ""),
        f"现场检查人员（{FIELD_POST}岗）：可用 {plan.person_days:,} 人日，每人每日最多 {plan.capacity} 个网点（同一区）",
        f"服务年度已检查网点（{plan.service_start} 至 {plan.start - timedelta(days=1)}）：{plan.covered_before:,} 个；名录在用网点 {plan.open_outlets:,} 个",
    ]
    q = plan.queue
    n_first = int((q["kind"] == FIRST).sum())
    n_never = int(((q["kind"] == FIRST) & q["last_inspected"].isna()).sum())
    n_follow = int((q["kind"] == FOLLOW_UP).sum())
    lines.append(f"待检查：服务年度内未检查的在用网点 {n_first:,} 个（其中从未检查 {n_never:,} 个）；另复查未整改网点 {n_follow:,} 个")
    v = plan.visits
    last = f"，最后一次 {max(v['date'])}" if len(v) else ""
    lines.append(f"计划走访 {len(v):,} 次（首次检查 {plan.first_visits:,}、复查 {len(v) - plan.first_visits:,}），"
                 f"使用 {v.groupby(['date', 'staff_id']).ngroups if len(v) else 0:,} 人日{last}")
    verdict = f"余量 {plan.margin:,} 个" if plan.margin >= 0 else f"缺口 {-plan.margin:,} 个"
    lines.append(f"预计服务年度覆盖网点 {plan.coverage:,} 个，目标 {plan.target:,} 个（表1 #9），{verdict}")
    if len(plan.unplanned):
        fix = []
        if plan.needed_capacity:
            fix.append(f"每人每日检查 {plan.needed_capacity} 个网点")
        if plan.needed_inspectors:
            fix.append(f"增加 {plan.needed_inspectors} 名现场检查人员（每人每日 {plan.capacity} 个）")
        lines.append(f"按现有能力有 {len(plan.unplanned):,} 个网点排不进服务期；"
                     + ("可补足的能力：" + "，或".join(fix) if fix else "在合理范围内增加能力也无法排完，请调整检查范围"))
    elif plan.min_capacity:
        lines.append(f"能力余量：全部待检查网点已排入；每人每日只检查 {plan.min_capacity} 个网点也能在服务期内排完")
    return lines + plan.notes
