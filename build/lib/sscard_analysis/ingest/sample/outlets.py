"""Sample outlet registry, on-site inspections, phone checks and complaints (cardholders and outlets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..ledgers import (
    BANKS,
)
from .base import (
    BANK_NAMES,
    BANK_P,
    DATE_FMT,
    DISTRICT_NAMES,
    DISTRICT_P,
    ROADS,
    Calendar,
    Table,
    fake_landline,
    iso_dt,
    ledger_headers,
    write_csv,
    write_xlsx,
)
from .staff import Person, occupants, pick_worker

if TYPE_CHECKING:
    from .world import World


@dataclass(frozen=True)
class Fault:
    """A recurring outlet fault: what inspectors write, the score item it lowers, what it is about."""

    issue: str  # 发现问题 as the inspection records it
    item: int  # score column lowered: 0 环境, 1 业务管理, 2 安全管理, 3 业务规范, 4 人员业务掌握
    categories: tuple[str, ...]  # ticket categories of the complaints it causes
    instant_only: bool = False  # only an outlet that does 即时制卡 can have it


FAULTS = (
    Fault("工作人员对金融功能激活口径不熟悉", 4, ("金融功能激活",)),
    Fault("即时制卡机卡片耗材不足", 1, ("即时制卡",), instant_only=True),
    Fault("客户等候时间较长", 1, ("申领", "补换", "金融功能激活")),
    Fault("未按规定一次性告知所需材料", 3, ("申领", "补换")),
    Fault("工作人员服务态度生硬", 3, ("补换", "挂失", "密码", "金融功能激活")),
    Fault("违规搭售理财产品", 3, ("金融功能激活",)),
)

# ---------------------------------------------------------------------------
# Outlets and inspections
# ---------------------------------------------------------------------------


@dataclass
class Outlets:
    """The outlet registry as the other ledgers need it (index i = row i of the registry)."""

    ids: list[str]
    active: np.ndarray  # bool: status 正常
    names: list[str]
    bank: np.ndarray  # index into BANK_NAMES (canonical bank, whatever synonym the registry shows)
    district: np.ndarray  # index into DISTRICT_NAMES
    instant: np.ndarray  # bool: 即时制卡
    opened: list[date]

    def settled(self, start: date) -> np.ndarray:
        """Indices of the outlets open (正常) for the whole period: those tickets and checks may name."""
        return np.flatnonzero(self.active & (np.array([d < start for d in self.opened])))


def write_outlets(out_dir: Path, rng: np.random.Generator, start: date, end: date) -> tuple[int, Outlets]:
    n = 2230
    bank = rng.choice(len(BANK_NAMES), n, p=BANK_P)
    district = rng.choice(len(DISTRICT_NAMES), n, p=DISTRICT_P)
    road = rng.integers(0, len(ROADS), n)
    ids = [f"WD{i + 1:04d}" for i in range(n)]
    names, banks, districts, addresses = [], [], [], []
    taken: set[str] = set()
    for i in range(n):
        b, d, r = BANK_NAMES[bank[i]], DISTRICT_NAMES[district[i]], ROADS[road[i]]
        full = BANKS[b][0] if BANKS[b] and BANKS[b][0].startswith("中国") else b
        city = "" if full.startswith("广州") else "广州"
        kind = "支行" if i % 4 else "分理处"
        # Names are unique (tickets name outlets by name): a second outlet of a bank on the same road
        # carries its district, a third a number.
        name = f"{full}{city}{r}{kind}"
        k = 1
        while name in taken:
            k += 1
            name = f"{full}{city}{d}{r}{kind}" if k == 2 else f"{full}{city}{d}{r}第{k - 1}{kind}"
        taken.add(name)
        names.append(name)
        banks.append(BANKS[b][-1] if BANKS[b] and i % 37 == 0 else b)
        districts.append(d + "区" if i % 3 else d)
        addresses.append(f"广州市{d}区{r}{'路' if not r.endswith('道') else ''}{int(rng.integers(1, 900))}号")
    status = np.array(["正常"] * n, dtype=object)
    stopped = rng.choice(n, 20, replace=False)
    status[stopped[:12]] = "暂停"
    status[stopped[12:]] = "撤销"
    opened = [date(2008, 1, 1) + timedelta(days=int(x)) for x in rng.integers(0, (start - date(2008, 1, 1)).days, n)]
    for i in rng.choice(n, 10, replace=False).tolist():
        opened[i] = start + timedelta(days=int(rng.integers(10, (end - start).days - 30)))
        status[i] = "正常"
    closed = [start + timedelta(days=int(rng.integers(20, (end - start).days))) if s == "撤销" else None
              for s in status.tolist()]
    instant = np.where(rng.random(n) < 0.5, "是", "否").tolist()
    table = Table(
        ledger_headers("outlets", {"district": "行政区"}),
        [ids, names, banks, districts, addresses, [fake_landline(rng) for _ in range(n)], instant, status.tolist(),
         opened, closed],
        [None, None, None, None, None, None, None, None, DATE_FMT, DATE_FMT],
    )
    rows = write_xlsx(out_dir / "合作银行网点名录.xlsx", table, "网点名录", [9, 30, 14, 8, 34, 14, 9, 7, 12, 12])
    return rows, Outlets(ids, status == "正常", names, bank, district, np.array(instant) == "是", opened)


_ISSUES = [
    "社保卡业务宣传折页摆放不足", "叫号机故障未及时报修", "工作人员对金融功能激活口径不熟悉",
    "即时制卡机卡片耗材不足", "服务指引未更新为最新版本", "网点环境卫生有待改善", "业务登记簿记录不完整",
    "安全管理制度未上墙", "客户等候时间较长", "制卡设备密码未按规定保管",
]


def write_outlet_inspections(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                              outlets: Outlets, people: list[Person], world: World,
                              first_complaint: dict[int, int]) -> int:
    """网点现场检查记录: 2,150 distinct active outlets (short of the 2,200 of 表1 #9, on purpose), 150 revisits.

    Weak banks' outlets score about 4 points lower, have findings about twice as often and rectify
    them less often. Every faulty outlet (world.py) is visited 5-25 working days after the first 投诉
    naming it, and the visit records its fault with a low score in the item the fault concerns;
    about a third of its visits are revisited 15-40 working days later, the fault by then rectified.
    An outlet opened during the period is visited after it opened.
    """
    pool = np.flatnonzero(outlets.active)
    faulty = world.problem_outlets
    others = np.setdiff1d(pool, faulty)
    distinct = np.concatenate([faulty, rng.choice(others, min(2150, len(pool)) - len(faulty), replace=False)])
    revisit_faulty = rng.choice(faulty, len(faulty) // 3, replace=False)
    visits = np.concatenate([distinct, revisit_faulty, rng.choice(distinct, 150 - len(revisit_faulty))])
    n = len(visits)
    wdays = cal.workdays(start, end)
    last = cal.idx(end)
    day = wdays[rng.integers(0, len(wdays), n)]
    opened_late = {i: cal.idx(d) for i, d in enumerate(outlets.opened) if d >= start}
    fault_of = dict(zip(faulty.tolist(), world.problem_fault.tolist()))
    found = np.zeros(n, dtype=bool)
    fault_visit: dict[int, int] = {}
    for v, o in enumerate(visits.tolist()):
        if o in opened_late and day[v] <= opened_late[o]:
            day[v] = min(int(cal.nth_after(opened_late[o], int(rng.integers(3, 15)))), int(wdays[-1]))
        if o in fault_of and o not in fault_visit and o in first_complaint:
            d = int(cal.nth_after(first_complaint[o], int(rng.integers(5, 26))))
            if d <= last:
                day[v] = d
                found[v] = True
                fault_visit[o] = d
        elif o in fault_visit:  # the revisit, after the fault was found
            day[v] = min(int(cal.nth_after(fault_visit[o], int(rng.integers(15, 41)))), int(wdays[-1]))
    order = np.argsort(day, kind="stable")
    visits, day, found = visits[order], day[order], found[order]
    weak = world.weak(outlets.bank[visits])
    inspectors = occupants(people, ("银行网点现场服务支持",))
    scores = np.clip(np.rint(rng.normal(np.where(weak, 87, 91)[:, None], 5, (n, 5))), 55, 100)
    low = rng.random(n) < np.where(weak, 0.07, 0.03)
    scores[low, rng.integers(0, 5, low.sum())] -= rng.integers(15, 30, low.sum())
    has_issue = rng.random(n) < np.where(weak, 0.28, 0.15)
    issues = [(_ISSUES[int(rng.integers(0, len(_ISSUES)))] if h else None) for h in has_issue.tolist()]
    rectified = [("是" if rng.random() < (0.7 if w else 0.85) else "否") if h else None
                 for h, w in zip(has_issue.tolist(), weak.tolist())]
    for v in np.flatnonzero(found).tolist():
        fault = FAULTS[fault_of[int(visits[v])]]
        scores[v, fault.item] = int(rng.integers(55, 75))
        issues[v] = fault.issue
        rectified[v] = "是" if rng.random() < 0.6 else "否"
    table = Table(
        ledger_headers("outlet_inspections"),
        [[f"JC{cal.dates[d].strftime('%Y%m')}{i + 1:05d}" for i, d in enumerate(day.tolist())],
         [outlets.ids[v] for v in visits.tolist()],
         [cal.day(d) for d in day.tolist()],
         [pick_worker(inspectors, rng, cal.day(d)).name for d in day.tolist()],
         *[np.maximum(scores[:, j], 0).astype(int).tolist() for j in range(5)],
         issues, rectified],
        [None, None, DATE_FMT, None, None, None, None, None, None, None, None],
    )
    return write_xlsx(out_dir / "网点现场检查记录.xlsx", table, "检查记录", [18, 9, 12, 9, 9, 9, 9, 9, 12, 30, 9])


def _yes_no(ok: np.ndarray, applies: np.ndarray) -> list[str | None]:
    """是/否 where ``applies``, else None."""
    return [("是" if o else "否") if a else None for o, a in zip(ok.tolist(), applies.tolist())]


def write_phone_checks(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                        outlets: Outlets, people: list[Person], world: World) -> int:
    """电话巡检记录 (UTF-8 with BOM): 2,300 calls to active outlets.

    A weak bank's outlets answer less often (87% against 95%) and give the right answer less often
    (85% against 94%); an outlet whose fault is not knowing the 金融功能激活 rules answers wrongly
    six times in ten once the fault has begun.
    """
    n = 2300
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    secs = rng.integers(9 * 3600, 17 * 3600, n)
    order = np.lexsort((secs, day))
    day, secs = day[order], secs[order]
    pool = np.flatnonzero(outlets.active)
    outlet = pool[rng.integers(0, len(pool), n)]
    weak = world.weak(outlets.bank[outlet])
    answered = rng.random(n) < np.where(weak, 0.87, 0.95)
    service_ok = rng.random(n) < np.where(weak, 0.91, 0.97)
    script_ok = rng.random(n) < np.where(weak, 0.85, 0.94)
    # Faulty outlets get more calls, and those about 金融功能激活 reveal the fault.
    faulty = world.problem_outlets[world.problem_fault == 0]
    onset = world.problem_onset[world.problem_fault == 0]
    extra = rng.choice(n, 3 * len(faulty), replace=False)
    outlet[extra] = np.repeat(faulty, 3)
    after = dict(zip(faulty.tolist(), onset.tolist()))
    wrong = np.array([o in after and d >= after[o] for o, d in zip(outlet.tolist(), day.tolist())])
    script_ok[wrong] = rng.random(int(wrong.sum())) < 0.4
    checkers = occupants(people, ("银行专线服务支持", "银行网点现场服务支持"))
    notes = []
    for a, s in zip(answered.tolist(), script_ok.tolist()):
        if not a:
            notes.append(str(rng.choice(["无人接听", "占线", "电话停机"])))
        elif not s:
            notes.append("业务口径有误，已现场反馈并纠正")
        else:
            notes.append(None)
    table = Table(
        ledger_headers("phone_checks"),
        [[f"DH{i + 1:05d}" for i in range(n)], [outlets.ids[o] for o in outlet.tolist()],
         [cal.dt(d, s) for d, s in zip(day.tolist(), secs.tolist())],
         ["是" if a else "否" for a in answered.tolist()], _yes_no(service_ok, answered), _yes_no(script_ok, answered),
         [pick_worker(checkers, rng, cal.day(d)).name for d in day.tolist()], notes],
        [None] * 8,
    )
    return write_csv(out_dir / "电话巡检记录.csv", table, "utf-8-sig", iso_dt, date.isoformat)


def write_complaints(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                      people: list[Person], outlets: Outlets, world: World) -> int:
    """有效投诉: ten complaints about the team's field workers; three valid ones against one worker.

    Where a complaint names an outlet, it is one of the faulty outlets (world.py), the ones the
    tickets complain about and the inspections find faulty.
    """
    wdays = cal.workdays(start, end)
    field = [p for p in people if p.post == "银行网点现场服务支持" and p.left_on is None]
    target = field[2]
    summaries = ("服务态度生硬", "业务解答不准确导致多次往返", "未按规定一次性告知所需材料", "网点现场引导不到位")
    rows = []
    for k in range(10):
        d = cal.day(wdays[int(rng.integers(0, len(wdays)))])
        by_outlet = k in (3, 6, 8)
        staff = target if k < 3 else (field[int(rng.integers(0, len(field)))] if k % 2 else None)
        valid = "是" if k < 3 or k in (4, 6) else "否"
        caused = None if k < 3 else ("否" if k == 4 else "是")
        rows.append((d, "网点" if by_outlet else "持卡人",
                     outlets.ids[int(world.problem_outlets[int(rng.integers(0, len(world.problem_outlets)))])]
                     if by_outlet or k % 3 == 0 else None,
                     staff.staff_id if staff else None, valid, "否", caused, summaries[k % len(summaries)]))
    rows.sort(key=lambda r: r[0])
    cols = [[f"TS{i + 1:03d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)]
    return write_xlsx(out_dir / "有效投诉.xlsx", Table(ledger_headers("complaints"), cols, [None, DATE_FMT] + [None] * 7),
                       "有效投诉", [7, 12, 8, 9, 11, 9, 9, 10, 30])
