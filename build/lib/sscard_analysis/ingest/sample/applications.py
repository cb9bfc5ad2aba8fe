"""Sample application catalog, application inspections and PSAM cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .base import DATE_FMT, Calendar, Table, add_months, ledger_headers, write_xlsx

# ---------------------------------------------------------------------------
# Applications, app inspections, PSAM cards
# ---------------------------------------------------------------------------


_APPS = (
    ("社保卡就医购药", "市医疗保障服务中心"), ("社保卡乘坐公交地铁", "市交通运输服务中心"),
    ("长者饭堂就餐", "市民政服务中心"), ("公共图书馆借阅", "市图书馆"), ("公园景区入园", "市公园管理中心"),
    ("博物馆预约参观", "市博物馆"), ("人才公寓门禁", "市人才服务中心"), ("职业技能培训补贴", "市职业技能鉴定中心"),
    ("体育场馆预约", "市体育场馆中心"), ("工会会员服务", "市总工会服务中心"), ("校园身份识别", "市教育服务中心"),
    ("退役军人优待", "市退役军人服务中心"), ("政务大厅取号", "市政务服务中心"), ("残疾人补贴发放", "市残联服务中心"),
)


@dataclass
class _Apps:
    ids: list[str]
    live_from: list[date | None]
    units: list[str]
    feasibility_days: list[date]
    stages: list[str]


def write_applications(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date) -> _Apps:
    ids, stages, feas, launched = [], [], [], []
    span = (end - start).days
    feasibility_days: list[date] = []
    for k, _ in enumerate(_APPS):
        ids.append(f"YY{k + 1:03d}")
        f: date | None = None
        lo: date | None = None
        if k < 8:
            stage, lo = "已上线", date(2019 + k % 5, 1 + 3 * (k % 4), 10 + k)
        elif k < 10:
            stage = "已上线"
            lo = cal.first_workday_on_or_after(start + timedelta(days=int(span * (0.3 if k == 8 else 0.7))))
            f = add_months(lo, -12)
        elif k < 12:
            stage = "可行性研究" if k == 10 else "测试"
            f = cal.first_workday_on_or_after(start + timedelta(days=int(span * (0.4 if k == 10 else 0.8))))
            feasibility_days.append(f)
        elif k == 12:
            stage = "测试"
        else:
            stage, lo = "停用", date(2020, 6, 1)
        stages.append(stage)
        feas.append(f)
        launched.append(lo)
    table = Table(ledger_headers("applications"),
                   [ids, [a[0] for a in _APPS], [a[1] for a in _APPS], stages, feas, launched],
                   [None, None, None, None, DATE_FMT, DATE_FMT])
    write_xlsx(out_dir / "社保卡应用目录.xlsx", table, "应用目录", [8, 18, 20, 10, 14, 12])
    live = [lo if s == "已上线" else None for s, lo in zip(stages, launched)]
    return _Apps(ids, live, [a[1] for a in _APPS], feasibility_days, stages)


def write_app_inspections(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                           apps: _Apps) -> int:
    wdays = cal.workdays(start, end)
    days = np.sort(wdays[np.linspace(3, len(wdays) - 3, 26).astype(int) + rng.integers(-2, 3, 26)])
    findings = ("读卡终端响应缓慢", "应用界面提示信息不准确", "部分终端未更新PSAM卡", "接口偶发超时")
    rows = []
    for d in days.tolist():
        day = cal.day(d)
        live = [i for i, lo in enumerate(apps.live_from) if lo is not None and lo <= day]
        i = live[int(rng.integers(0, len(live)))]
        rows.append((apps.ids[i], day, findings[int(rng.integers(0, len(findings)))] if rng.random() < 0.3 else "无"))
    cols = [[f"YX{i + 1:03d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)]
    table = Table(ledger_headers("app_inspections"), cols, [None, None, DATE_FMT, None])
    return write_xlsx(out_dir / "应用巡检记录.xlsx", table, "应用巡检", [8, 9, 12, 24])


# PSAM cards whose history does not add up, planted for the handover dossier's reconciliation (fixed
# card numbers, whatever the seed; every other card's history is consistent):
#   PSAM4401001021  issued twice: 申领, 发放, then 发放 again weeks later with no 回收 in between
#   PSAM4401001022  recovered before it was issued: 申领, 回收, and only then 发放
#   PSAM4401001023  never recovered after its application ended: issued to the unit of the catalog's
#                   停用 application (残疾人补贴发放, 市残联服务中心), spot-checked "应用已停用", no 回收
#   PSAM4401001024  spot-checked after it was recovered: 申领, 发放, 回收, then 抽检
#   PSAM4401001025  issued without an application: 发放 and 抽检, no 申领
INCONSISTENT_PSAM = {
    "PSAM4401001021": "发放两次",
    "PSAM4401001022": "回收早于发放",
    "PSAM4401001023": "应用停用后未回收",
    "PSAM4401001024": "回收后仍有抽检",
    "PSAM4401001025": "无申领即发放",
}


def write_psam(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                apps: _Apps) -> int:
    """PSAM卡台账: 20 cards with consistent histories and the five inconsistent ones above.

    A consistent card is applied for (申领), issued (发放) 2-7 working days later, then either
    spot-checked (抽检) or recovered (回收); cards go to units of live or testing applications, except
    one card of the stopped (停用) application, recovered with "应用停用回收".
    """
    wdays = cal.workdays(start, end - timedelta(days=60))
    stopped = [i for i, s in enumerate(apps.stages) if s == "停用"]
    in_use = [i for i, s in enumerate(apps.stages) if s != "停用"]
    rows = []
    for k in range(20):
        card = f"PSAM4401{k + 1001:06d}"
        app = stopped[0] if k == 19 and stopped else in_use[int(rng.integers(0, len(in_use)))]
        unit = apps.units[app]
        d0 = int(wdays[int(rng.integers(0, len(wdays)))])
        rows.append((card, "申领", cal.day(d0), unit, None))
        d1 = int(cal.nth_after(d0, int(rng.integers(2, 8))))
        rows.append((card, "发放", cal.day(d1), unit, "已签收"))
        if k < 12:
            d2 = int(cal.nth_after(d1, int(rng.integers(10, 20))))
            rows.append((card, "抽检", cal.day(d2), unit, "正常" if k % 5 else "终端密钥需更新"))
        else:
            d3 = int(cal.nth_after(d1, int(rng.integers(5, 20))))
            note = "应用停用回收" if k == 19 else ("卡片损坏回收" if k % 2 else "终端更换回收")
            rows.append((card, "回收", cal.day(d3), unit, note))
    # The five inconsistent cards.
    unit = apps.units[in_use[0]]
    stop_unit = apps.units[stopped[0]] if stopped else unit
    d = [int(wdays[int(rng.integers(0, len(wdays)))]) for _ in range(5)]

    def after(i: int, n: int) -> date:
        return cal.day(cal.nth_after(i, n))

    rows += [
        ("PSAM4401001021", "申领", cal.day(d[0]), unit, None),
        ("PSAM4401001021", "发放", after(d[0], 3), unit, "已签收"),
        ("PSAM4401001021", "发放", after(d[0], 25), unit, "已签收"),
        ("PSAM4401001022", "申领", cal.day(d[1]), unit, None),
        ("PSAM4401001022", "回收", after(d[1], 2), unit, "卡片损坏回收"),
        ("PSAM4401001022", "发放", after(d[1], 6), unit, "已签收"),
        ("PSAM4401001023", "申领", cal.day(d[2]), stop_unit, None),
        ("PSAM4401001023", "发放", after(d[2], 4), stop_unit, "已签收"),
        ("PSAM4401001023", "抽检", after(d[2], 30), stop_unit, "应用已停用"),
        ("PSAM4401001024", "申领", cal.day(d[3]), unit, None),
        ("PSAM4401001024", "发放", after(d[3], 3), unit, "已签收"),
        ("PSAM4401001024", "回收", after(d[3], 12), unit, "终端更换回收"),
        ("PSAM4401001024", "抽检", after(d[3], 20), unit, "正常"),
        ("PSAM4401001025", "发放", cal.day(d[4]), unit, "已签收"),
        ("PSAM4401001025", "抽检", after(d[4], 15), unit, "正常"),
    ]
    rows = [r for r in rows if r[2] <= end]
    rows.sort(key=lambda r: (r[2], r[0]))
    table = Table(ledger_headers("psam_cards"), [list(c) for c in zip(*rows)], [None, None, DATE_FMT, None, None])
    return write_xlsx(out_dir / "PSAM卡台账.xlsx", table, "PSAM卡", [18, 7, 12, 20, 16])
