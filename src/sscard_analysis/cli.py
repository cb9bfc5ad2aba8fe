"""The ``sscard`` command line: ``sample``, ``validate`` and ``kpi``.

Errors are one clear line on stderr (no traceback) and never echo personal
data. Exit codes of ``validate``: 0 clean, 1 rows quarantined, 2 fatal.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

from .calendar import CalendarError
from .config import INTERIM_DIR, SAMPLE_DIR, SettingsError, load_settings
from .io import DataSet, FatalInputError, load
from .periods import PeriodError, latest_complete_month, parse_period
from .textable import format_table

FATAL = (FatalInputError, SettingsError, PeriodError, CalendarError)


def _pct(x: float | None) -> str:
    return "—（无数据）" if x is None else f"{x * 100:.2f}%"


def _cmd_sample(args: argparse.Namespace) -> int:
    from .sample import write_sample

    counts = write_sample(Path(args.out), seed=args.seed, tickets_per_month=args.tickets_per_month)
    print(format_table(["台账", "行数"], [[k, v] for k, v in counts.items()], right={1}))
    print(f"样例数据已写入 {args.out}")
    return 0


def _quality_table(ds: DataSet) -> str:
    s = ds.summary()
    s = s[s["files"] > 0]
    rows = [[r.ledger, r.台账, r.files, r.rows_read, r.accepted, r.quarantined, r.dropped_blank + r.dropped_summary, r.dropped_duplicate, r.warnings]
            for r in s.itertuples()]
    total = ["合计", "", *[sum(r[i] for r in rows) for i in range(2, 9)]]
    return format_table(["ledger", "台账", "文件", "读入行", "接收", "隔离", "空行/合计行", "重复", "警告"], rows + [total], right=set(range(2, 9)))


def _cmd_validate(args: argparse.Namespace) -> int:
    ds = load(args.data, use_cache=not args.no_cache)
    print(f"数据目录: {args.data}")
    print(_quality_table(ds))
    for f in ds.files:
        for note in f.notes:
            print(f"提示 {f.file}: {note}")
        if not f.reconciles():  # pragma: no cover - guarded by tests
            print(f"错误 {f.file}: 行数不平衡", file=sys.stderr)
    for rel, why in ds.ignored:
        print(f"未读取 {rel}: {why}")
    out = Path(args.out) if args.out else INTERIM_DIR / "quality"
    out.mkdir(parents=True, exist_ok=True)
    ds.quarantine.rename(columns={"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "reason": "原因"}).to_csv(
        out / "quarantine.csv", index=False, encoding="utf-8-sig")
    ds.warnings.rename(columns={"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "column": "列", "reason": "原因"}).to_csv(
        out / "warnings.csv", index=False, encoding="utf-8-sig")
    nq = len(ds.quarantine)
    print(f"隔离 {nq} 行，警告 {len(ds.warnings)} 条；明细见 {out / 'quarantine.csv'} 与 {out / 'warnings.csv'}")
    return 1 if nq else 0


_SECTIONS = [
    ("12345热线", [
        ("hotline.tickets_received", "受理工单数", "n"), ("hotline.excluded", "其中无效/重复/退单", "n"),
        ("hotline.tickets_due", "期内到期工单", "n"), ("hotline.closed_on_time", "按时办结", "n"),
        ("hotline.on_time_rate", "按时办结率（目标 100%）", "%"), ("hotline.overdue_open", "逾期未办结（截至统计时点）", "n"),
        ("hotline.rated", "参评工单（满意度分母）", "n"), ("hotline.satisfaction_rate", "满意率（目标 >90%，表1 ≥90%）", "%"),
    ]),
    ("全部渠道", [
        ("all_channels.tickets_received", "受理工单数", "n"), ("all_channels.on_time_rate", "按时办结率", "%"),
        ("all_channels.overdue_open", "逾期未办结", "n"), ("all_channels.satisfaction_rate", "满意率", "%"),
    ]),
    ("网点与巡检", [
        ("outlet_inspections.count", "网点现场检查（次）", "n"), ("outlet_inspections.outlets_covered", "覆盖网点（个）", "n"),
        ("phone_checks.count", "电话巡检（次）", "n"), ("guide_checks.count", "服务指引检查（次）", "n"),
    ]),
    ("培训与宣传", [
        ("trainings.internal", "内部培训（次）", "n"), ("trainings.external", "外部培训（次）", "n"),
        ("trainings.outreach", "宣讲（次）", "n"), ("publications.articles", "培训材料/推文/活动简讯（篇）", "n"),
        ("publications.copies_printed", "印制宣传资料（份）", "n"),
    ]),
    ("办文", [
        ("documents.requested", "接收办文需求", "n"), ("documents.late", "超时办文（件次）", "n"),
        ("documents.late_days", "超时天数", "n"),
    ]),
    ("数据质量（全部文件）", [
        ("data_quality.rows_read", "读入行", "n"), ("data_quality.accepted_rows", "接收", "n"),
        ("data_quality.quarantined_rows", "隔离", "n"), ("data_quality.dropped_rows", "剔除（空行/合计/重复）", "n"),
    ]),
]


def _get(d: dict, dotted: str):
    for part in dotted.split("."):
        d = d.get(part, {}) if isinstance(d, dict) else {}
    return d if d != {} else None


def render_kpi_table(k: dict) -> str:
    """The readable Chinese KPI table of ``sscard kpi``."""
    p = k["period"]
    lines = [f"统计期间 {p['label']}（{p['start']} 至 {p['end']}，统计时点 {p['as_of'].replace('T', ' ')}）", ""]
    for title, items in _SECTIONS:
        rows = []
        for key, label, fmt in items:
            v = _get(k, key)
            rows.append([label, _pct(v) if fmt == "%" else ("—" if v is None else f"{v:,}")])
        lines += [f"【{title}】", format_table(["指标", "数值"], rows, right={1}), ""]
    if k.get("by_channel"):
        lines += ["【各渠道受理量】", format_table(["渠道", "工单数"], [[c, f"{n:,}"] for c, n in k["by_channel"].items()], right={1}), ""]
    return "\n".join(lines).rstrip()


def _cmd_kpi(args: argparse.Namespace) -> int:
    from .kpi import compute_kpis

    settings = load_settings(Path(args.data))
    period = parse_period(args.period, settings, args.as_of)
    ds = load(args.data, settings=settings, use_cache=not args.no_cache)
    k = compute_kpis(ds, period)
    if args.json:
        print(json.dumps(k, ensure_ascii=False, indent=2, default=str))
    else:
        print(render_kpi_table(k))
    return 0


def _cmd_latest_month(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.data))
    print(latest_complete_month(date.today() if not args.today else date.fromisoformat(args.today), settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sscard", description="广州市社会保障卡服务项目：台账校验、指标计算与报告")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="生成一整年的样例台账（虚构数据）")
    s.add_argument("--out", default=str(SAMPLE_DIR))
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--tickets-per-month", type=int, default=10000)
    s.set_defaults(func=_cmd_sample)

    v = sub.add_parser("validate", help="读取数据目录，输出数据质量汇总与隔离明细")
    v.add_argument("--data", required=True)
    v.add_argument("--out", help="隔离与警告明细的输出目录（默认 data/interim/quality）")
    v.add_argument("--no-cache", action="store_true")
    v.set_defaults(func=_cmd_validate)

    k = sub.add_parser("kpi", help="计算某一期间的指标")
    k.add_argument("--data", required=True)
    k.add_argument("--period", required=True, help="2024-W18、2024-05、2024-Q2、2024、contract、contract-Q1、2024-05-06..2024-05-19")
    k.add_argument("--as-of", help="统计时点，如 2024-05-20T10:00（默认期末或当前时间，取较早者）")
    k.add_argument("--json", action="store_true")
    k.add_argument("--no-cache", action="store_true")
    k.set_defaults(func=_cmd_kpi)

    m = sub.add_parser("latest-month", help="数据目录合同期内最近一个完整月份")
    m.add_argument("--data", required=True)
    m.add_argument("--today")
    m.set_defaults(func=_cmd_latest_month)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FATAL as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
