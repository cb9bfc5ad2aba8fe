"""Sample outlet registry, on-site inspections, phone checks and complaints (cardholders and outlets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

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

# ---------------------------------------------------------------------------
# Outlets and inspections
# ---------------------------------------------------------------------------


@dataclass
class Outlets:
    ids: list[str]
    active: np.ndarray  # bool: status 正常


def write_outlets(out_dir: Path, rng: np.random.Generator, start: date, end: date) -> tuple[int, Outlets]:
    n = 2230
    bank = rng.choice(len(BANK_NAMES), n, p=BANK_P)
    district = rng.choice(len(DISTRICT_NAMES), n, p=DISTRICT_P)
    road = rng.integers(0, len(ROADS), n)
    ids = [f"WD{i + 1:04d}" for i in range(n)]
    names, banks, districts, addresses = [], [], [], []
    for i in range(n):
        b, d, r = BANK_NAMES[bank[i]], DISTRICT_NAMES[district[i]], ROADS[road[i]]
        full = BANKS[b][0] if BANKS[b] and BANKS[b][0].startswith("中国") else b
        city = "" if full.startswith("广州") else "广州"
        names.append(f"{full}{city}{r}{'支行' if i % 4 else '分理处'}")
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
    return rows, Outlets(ids, status == "正常")


_ISSUES = [
    "社保卡业务宣传折页摆放不足", "叫号机故障未及时报修", "工作人员对金融功能激活口径不熟悉",
    "即时制卡机卡片耗材不足", "服务指引未更新为最新版本", "网点环境卫生有待改善", "业务登记簿记录不完整",
    "安全管理制度未上墙", "客户等候时间较长", "制卡设备密码未按规定保管",
]


def write_outlet_inspections(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                              outlets: Outlets, people: list[Person]) -> int:
    pool = np.flatnonzero(outlets.active)
    distinct = rng.choice(pool, min(2150, len(pool)), replace=False)
    visits = np.concatenate([distinct, rng.choice(distinct, 150)])
    n = len(visits)
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    inspectors = occupants(people, ("银行网点现场服务支持",))
    scores = np.clip(np.rint(rng.normal(91, 5, (n, 5))), 55, 100)
    low = rng.random(n) < 0.03
    scores[low, rng.integers(0, 5, low.sum())] -= rng.integers(15, 30, low.sum())
    has_issue = rng.random(n) < 0.15
    issues = [(_ISSUES[int(rng.integers(0, len(_ISSUES)))] if h else None) for h in has_issue.tolist()]
    rectified = [("是" if rng.random() < 0.85 else "否") if h else None for h in has_issue.tolist()]
    table = Table(
        ledger_headers("outlet_inspections"),
        [[f"JC{cal.dates[d].strftime('%Y%m')}{i + 1:05d}" for i, d in enumerate(day.tolist())],
         [outlets.ids[v] for v in visits[rng.permutation(n)].tolist()],
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
                        outlets: Outlets, people: list[Person]) -> int:
    n = 2300
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    secs = rng.integers(9 * 3600, 17 * 3600, n)
    order = np.lexsort((secs, day))
    day, secs = day[order], secs[order]
    pool = np.flatnonzero(outlets.active)
    outlet = pool[rng.integers(0, len(pool), n)]
    answered = rng.random(n) < 0.95
    service_ok = rng.random(n) < 0.97
    script_ok = rng.random(n) < 0.94
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
                      people: list[Person], outlets: Outlets) -> int:
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
                     outlets.ids[int(rng.integers(0, len(outlets.ids)))] if by_outlet or k % 3 == 0 else None,
                     staff.staff_id if staff else None, valid, "否", caused, summaries[k % len(summaries)]))
    rows.sort(key=lambda r: r[0])
    cols = [[f"TS{i + 1:03d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)]
    return write_xlsx(out_dir / "有效投诉.xlsx", Table(ledger_headers("complaints"), cols, [None, DATE_FMT] + [None] * 7),
                       "有效投诉", [7, 12, 8, 9, 11, 9, 9, 10, 30])
