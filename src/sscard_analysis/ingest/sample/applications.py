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
    return _Apps(ids, live, [a[1] for a in _APPS], feasibility_days)


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


def write_psam(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                apps: _Apps) -> int:
    wdays = cal.workdays(start, end - timedelta(days=40))
    rows = []
    for k in range(20):
        card = f"PSAM4401{k + 1001:06d}"
        unit = apps.units[int(rng.integers(0, len(apps.units)))]
        d0 = int(wdays[int(rng.integers(0, len(wdays)))])
        rows.append((card, "申领", cal.day(d0), unit, None))
        d1 = int(cal.nth_after(d0, int(rng.integers(2, 8))))
        rows.append((card, "发放", cal.day(d1), unit, "已签收"))
        if k < 12:
            d2 = int(cal.nth_after(d1, int(rng.integers(10, 20))))
            rows.append((card, "抽检", cal.day(d2), unit, "正常" if k % 5 else "终端密钥需更新"))
        if k >= 12:
            d3 = int(cal.nth_after(d1, int(rng.integers(5, 20))))
            rows.append((card, "回收", cal.day(d3), unit, "应用停用回收" if k % 2 else "卡片损坏回收"))
    rows = [r for r in rows if r[2] <= end]
    rows.sort(key=lambda r: (r[2], r[0]))
    table = Table(ledger_headers("psam_cards"), [list(c) for c in zip(*rows)], [None, None, DATE_FMT, None, None])
    return write_xlsx(out_dir / "PSAM卡台账.xlsx", table, "PSAM卡", [18, 7, 12, 20, 16])
