"""Sample trainings, publications, guide checks, purchaser documents and deliverables."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..ledgers import (
    GUIDE_TARGETS,
)
from .base import (
    DATE_FMT,
    DT_FMT,
    Calendar,
    Table,
    add_months,
    ledger_headers,
    months_between,
    slash_date,
    slash_dt,
    write_csv,
    write_xlsx,
)
from .staff import Person, occupants, pick_worker

# ---------------------------------------------------------------------------
# Trainings, publications, guide checks
# ---------------------------------------------------------------------------


_TRAINING = {
    "内部培训": (("项目组全体人员", "工单处理组", "网点服务支持组", "银行专线组"),
             ("社保卡业务口径更新", "工单办理规范", "服务礼仪与沟通技巧", "个人信息保护与保密要求", "金融功能激活流程",
              "即时制卡业务知识", "应急预案演练"), (8, 45)),
    "外部培训": (("合作银行网点人员", "12345热线话务员", "银行专线客服人员", "应用单位经办人员"),
             ("社保卡申领与补换业务", "社保卡金融功能激活", "社保卡常见问题解答", "即时制卡操作规范",
              "社保卡应用场景介绍"), (15, 120)),
    "宣讲": (("企业", "学校", "社区", "社会团体", "产业园区"),
           ("第三代社保卡功能介绍", "社保卡一卡通应用", "电子社保卡使用指引", "防范社保卡诈骗"), (30, 300)),
}


def write_trainings(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                     people: list[Person]) -> int:
    counts = {"内部培训": int(rng.integers(103, 108)), "外部培训": int(rng.integers(148, 153)),
              "宣讲": int(rng.integers(43, 47))}
    wdays = cal.workdays(start, end)
    trainers = occupants(people, ("培训与宣传实施", "专家坐席", "服务规划"))
    rows = []
    for kind, count in counts.items():
        audiences, topics, (lo, hi) = _TRAINING[kind]
        for d in wdays[rng.integers(0, len(wdays), count)].tolist():
            rows.append((d, kind, audiences[int(rng.integers(0, len(audiences)))],
                         topics[int(rng.integers(0, len(topics)))], int(rng.integers(lo, hi))))
    rows.sort(key=lambda r: (r[0], r[1]))
    table = Table(
        ledger_headers("trainings"),
        [[f"PX{i + 1:04d}" for i in range(len(rows))], [cal.day(r[0]) for r in rows], [r[1] for r in rows],
         [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows],
         [pick_worker(trainers, rng, cal.day(r[0])).name for r in rows]],
        [None, DATE_FMT, None, None, None, None, None],
    )
    return write_xlsx(out_dir / "培训与宣讲记录.xlsx", table, "培训与宣讲", [8, 12, 10, 16, 26, 7, 9])


def write_publications(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date) -> int:
    wdays = cal.workdays(start, end)
    items: list[tuple[str, tuple[str, ...], int | None]] = []
    for kind, count, titles in (
        ("推文", 9, ("社保卡金融功能激活指南", "第三代社保卡申领攻略", "社保卡挂失怎么办", "长者乘车优惠使用说明",
                    "电子社保卡扫码就医", "社保卡服务网点查询")),
        ("培训材料", 4, ("网点业务培训手册", "热线话务口径汇编", "即时制卡操作指引")),
        ("活动简讯", 3, ("社保卡进社区活动", "社保卡服务宣传周", "社保卡进校园")),
        ("应用推广材料", 11, ("社保卡就医购药应用推广", "社保卡乘车应用推广", "社保卡文旅应用推广", "长者饭堂应用推广")),
        ("视频", 3, ("社保卡申领动画短片", "金融功能激活操作视频")),
    ):
        items += [(kind, titles, None)] * count
    # Printed material: copies of all batches sum to about 160,000.
    printed = [("海报", int(rng.integers(15, 30)) * 100) for _ in range(3)]
    printed += [("展架", int(rng.integers(10, 30)) * 10) for _ in range(2)]
    rest = int(rng.integers(158, 163)) * 1000 - sum(c for _, c in printed)
    leaflets = [int(round(rest * x, -3)) for x in rng.dirichlet(np.full(5, 8.0))[:-1]]
    printed += [("宣传折页", c) for c in leaflets + [rest - sum(leaflets)]]
    items += [(kind, ("社保卡服务" + kind,), copies) for kind, copies in printed]
    items = [items[i] for i in rng.permutation(len(items))]
    day = np.sort(wdays[rng.integers(0, len(wdays), len(items))])
    seen: dict[str, int] = {}
    titles_out = []
    for kind, titles, copies in items:
        k = seen.get(kind, 0)
        seen[kind] = k + 1
        titles_out.append(f"{titles[k % len(titles)]}（第{k + 1}批）" if copies else f"{titles[k % len(titles)]}（{k + 1}）")
    table = Table(
        ledger_headers("publications"),
        [[f"XC{i + 1:03d}" for i in range(len(items))], [cal.day(d) for d in day.tolist()],
         [it[0] for it in items], titles_out, [it[2] for it in items]],
        [None, DATE_FMT, None, None, "#,##0"],
    )
    return write_xlsx(out_dir / "宣传材料与推文.xlsx", table, "宣传材料", [8, 12, 12, 34, 10])


def write_guide_checks(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                        people: list[Person]) -> int:
    wdays = cal.workdays(start, end)
    per_day = np.where(rng.random(len(wdays)) < 0.6, 2, 3)
    per_day[rng.choice(len(wdays), 5, replace=False)] = 1
    targets = list(GUIDE_TARGETS)
    checkers = occupants(people, ("服务指引维护",))
    rows: list[list[Any]] = []
    for d, k in zip(wdays.tolist(), per_day.tolist()):
        secs = np.sort(rng.integers(9 * 3600, 17 * 3600 + 1800, k))
        for tgt, s in zip(rng.choice(len(targets), k, replace=False).tolist(), secs.tolist()):
            need = rng.random() < 0.08
            upd = cal.day(cal.nth_after(d, int(rng.integers(1, 3)))) if need else None
            rows.append([cal.dt(d, s), targets[tgt], "需更新" if need else "正常", upd,
                         pick_worker(checkers, rng, cal.day(d)).name])
    table = Table(
        ledger_headers("guide_checks"),
        [[f"ZY{i + 1:05d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)],
        [None] * 6,
    )
    return write_csv(out_dir / "服务指引检查记录.csv", table, "gbk", slash_dt, slash_date)


# ---------------------------------------------------------------------------
# Documents and deliverables
# ---------------------------------------------------------------------------


_DOC_TYPES = ["规划方案", "宣传推文", "函件通知", "来文办阅", "会议材料"]
_DOC_TYPE_P = np.array([0.2, 0.25, 0.3, 0.15, 0.1])
_DOC_DAYS = {"规划方案": (2, 3, 4), "宣传推文": (1, 2, 3), "函件通知": (1, 2, 3)}
_DIFFICULTY = ["简单", "中等", "困难", ""]
_DOC_TITLES = {
    "规划方案": ("社保卡服务优化方案", "网点服务提升工作方案", "社保卡应用推广计划"),
    "宣传推文": ("社保卡便民服务推文", "政务信息：社保卡服务进展", "社保卡应用宣传稿"),
    "函件通知": ("关于社保卡业务调整的通知", "致合作银行的工作联系函", "社保卡服务情况报告"),
    "来文办阅": ("上级来文办理意见", "关于社保卡工作的来文阅办"),
    "会议材料": ("社保卡工作会议汇报材料", "季度工作推进会材料"),
}


def write_documents(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date) -> int:
    n = 150
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    req_secs = rng.integers(9 * 3600, 17 * 3600 + 1800, n)
    dtype = rng.choice(len(_DOC_TYPES), n, p=_DOC_TYPE_P)
    diff = rng.choice(4, n, p=[0.35, 0.4, 0.15, 0.1])
    end_i = cal.idx(end)
    # The last requests of the year are left alone (their outcome lies after the data).
    eligible = np.flatnonzero(day < end_i - 20)
    picks = rng.choice(eligible, 6 + 2 + 8, replace=False)
    late, approved, revised = set(picks[:6].tolist()), set(picks[6:8].tolist()), set(picks[8:].tolist())
    cols: list[list[Any]] = [[] for _ in range(10)]
    for i in range(n):
        t = _DOC_TYPES[dtype[i]]
        d = int(day[i])
        requested = cal.dt(d, req_secs[i])
        if t in _DOC_DAYS:
            nd = _DOC_DAYS[t][1 if diff[i] == 3 else diff[i]]
            deadline_day = int(cal.nth_after(d, nd))
            deadline = None
        else:
            deadline_day = int(cal.nth_after(d, int(rng.integers(2, 6))))
            deadline = cal.day(deadline_day)
        if i in late:
            sub_day = int(cal.nth_after(deadline_day, int(rng.integers(1, 4))))
        elif i in approved:
            sub_day = int(cal.nth_after(deadline_day, 2))
        else:
            span = int(cal.cum[deadline_day] - cal.cum[d])
            k = int(rng.integers(0, span + 1))
            sub_day = d if k == 0 else int(cal.nth_after(d, k))
        if sub_day == d:
            sub_secs = min(int(req_secs[i]) + int(rng.integers(3600, 4 * 3600)), 21 * 3600)
        else:
            sub_secs = int(rng.integers(9 * 3600, 18 * 3600))
        submitted: datetime | None = cal.dt(sub_day, sub_secs)
        rev_req = rev_done = None
        if i in revised:
            rr = int(cal.nth_after(sub_day, int(rng.integers(1, 3))))
            rev_req = cal.dt(rr, int(rng.integers(10 * 3600, 15 * 3600)))
            rev_done = rev_req + timedelta(seconds=int(rng.integers(2 * 3600, 5 * 3600)))
        if sub_day > end_i:
            submitted = rev_req = rev_done = None
        titles = _DOC_TITLES[t]
        ext = "是" if i in approved else ("否" if rng.random() < 0.3 else None)
        for c, v in enumerate((f"BW{requested.strftime('%Y%m')}{i + 1:03d}", t, _DIFFICULTY[diff[i]] or None,
                               requested, deadline, submitted, rev_req, rev_done, ext,
                               titles[int(rng.integers(0, len(titles)))])):
            cols[c].append(v)
    table = Table(ledger_headers("documents"), cols,
                   [None, None, None, DT_FMT, DATE_FMT, DT_FMT, DT_FMT, DT_FMT, None, None])
    return write_xlsx(out_dir / "办文台账.xlsx", table, "办文台账", [14, 10, 7, 19, 12, 19, 19, 19, 9, 30])


def _service_quarters(start: date, end: date) -> list[tuple[date, date]]:
    """The four service quarters of the period (the last one ends at ``end``)."""
    out = []
    for q in range(4):
        a = add_months(start, 3 * q)
        b = min(add_months(start, 3 * (q + 1)) - timedelta(days=1), end)
        out.append((a, b))
    return out


# Reports due after the period they cover; those of the last week/month/quarter fall after the end.
_SCHEDULED = ("周报", "月报", "季报", "年报")


def write_deliverables(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                        feasibility_days: list[date], spike_day: date | None) -> int:
    """成果台账: every scheduled report on its due day, plus planning documents, feasibility and incident reports.

    Weekly, monthly and quarterly reports (and the annual report) are submitted on their due day, the
    end of the first working day after the week/month/quarter they cover (表2 "次周、次月前"), every one
    of them: so the last week's, month's and quarter's reports (and the annual report) are dated after
    ``end``, as in an export taken on that due day. Everything else is dated within the period.
    """
    rows: list[tuple[date, str, str | None, str]] = []
    # Every ISO week that overlaps the period, the last one too (it may end after ``end``).
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        sunday = monday + timedelta(days=6)
        y, w, _ = monday.isocalendar()
        covers = f"{y}-W{w:02d}"
        rows.append((cal.day(cal.nth_after(cal.idx(sunday), 1)), "周报", covers, f"社保卡服务项目周报（{covers}）"))
        monday += timedelta(days=7)
    for y, m in months_between(start, end):
        last = date(y, m, calendar.monthrange(y, m)[1])
        covers = f"{y}-{m:02d}"
        rows.append((cal.day(cal.nth_after(cal.idx(last), 1)), "月报", covers, f"社保卡服务项目月报（{covers}）"))
        case_day = cal.first_workday_on_or_after(date(y, m, min(22, last.day)))
        rows.append((case_day, "应用案例分析报告", covers, f"社保卡应用案例分析报告（{covers}）"))
    for q, (a, b) in enumerate(_service_quarters(start, end)):
        label = f"contract-Q{q + 1}"
        mid = cal.first_workday_on_or_after(b - timedelta(days=10))
        rows.append((mid, "工单报告", label, f"工单分析报告（第{q + 1}季度）"))
        rows.append((cal.first_workday_on_or_after(b - timedelta(days=14)), "巡检报告", label,
                     f"网点巡检结果报告（第{q + 1}季度）"))
        due = cal.day(cal.nth_after(cal.idx(b), 1))
        rows.append((due, "季报", label, f"服务项目季报（第{q + 1}季度）"))
        if q == 3:
            rows.append((due, "年报", "contract", "服务项目年度总结报告"))
    wdays = cal.workdays(start, end)
    plan_titles = ("社保卡申领业务流程", "补换卡业务流程", "挂失解挂业务流程", "金融功能激活流程", "即时制卡业务流程",
                   "工单转办流程", "网点巡检工作流程", "服务指引更新流程", "应用接入流程", "PSAM卡管理流程",
                   "投诉处理流程", "应急处置流程", "数据核对流程")
    for j, d in enumerate(np.sort(wdays[np.linspace(5, len(wdays) - 5, 13).astype(int)]).tolist()):
        rows.append((cal.day(d), "业务流程规划文档", None, f"{plan_titles[j]}规划文档"))
    for j, d in enumerate(feasibility_days):
        rows.append((d, "应用可行性报告", None, f"社保卡新应用可行性报告（{j + 1}）"))
    specials = [cal.day(d) for d in wdays[rng.choice(len(wdays), 2, replace=False)].tolist()]
    if spike_day is not None:
        specials.append(spike_day)
    for d in specials:
        rows.append((d, "突发问题专报", None, f"{d.month}月{d.day}日突发问题专报"))
    rows = [r for r in rows if r[0] <= end or r[1] in _SCHEDULED]
    rows.sort(key=lambda r: (r[0], r[1]))
    table = Table(
        ledger_headers("deliverables"),
        [[f"CG{i + 1:04d}" for i in range(len(rows))], [r[1] for r in rows], [r[2] for r in rows],
         [r[0] for r in rows], [r[3] for r in rows]],
        [None, None, None, DATE_FMT, None],
    )
    return write_xlsx(out_dir / "成果台账.xlsx", table, "成果台账", [9, 16, 12, 12, 36])
