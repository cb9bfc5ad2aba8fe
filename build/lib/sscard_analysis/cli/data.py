"""Commands on a data folder: ``sample``, ``validate``, ``kpi``, ``alerts``, ``latest-month``.

``validate`` exits 0 when every row was accepted, 1 when some rows were
quarantined, 2 on a fatal error (no ledger in the folder, a file that
cannot be read, a bad ``sscard.toml``). Everything printed or written is
scrubbed of ID and phone patterns, file names included.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

from ..config import SAMPLE_DIR, quality_dir
from ..contract.indicators import indicator_note
from ..dates.periods import check_period, latest_complete_month, parse_day, parse_period
from ..ingest.reader import DataSet, load
from ..privacy import scrub_text
from .common import data_folder, note, positive_int, scrub_obj, settings_for, whole_number, writable_folder
from .textable import format_table


def _now() -> datetime:
    """The current time (one place, so that tests can set the clock)."""
    return datetime.now().replace(microsecond=0)


def _require_ledgers(ds: DataSet) -> None:
    from ..reporting.manifest import require_ledgers

    require_ledgers(ds)


def _pct(x: float | None) -> str:
    return "—（无数据）" if x is None else f"{x * 100:.2f}%"


def _cmd_sample(args: argparse.Namespace) -> int:
    from ..ingest.sample import write_sample

    counts = write_sample(writable_folder(Path(args.out)), seed=args.seed, tickets_per_month=args.tickets_per_month)
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


QUARANTINE_ZH = {"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "reason": "原因"}
WARNINGS_ZH = {"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "column": "列", "reason": "原因"}


def write_quality_csv(frame, headers: dict[str, str], path: Path) -> None:
    """A quarantine or warnings list as CSV (UTF-8 with BOM): every text scrubbed and formula-safe."""
    from ..reporting.excel import csv_text

    out = frame.rename(columns=headers).astype(object)
    for c in out.columns:
        out[c] = out[c].map(csv_text)
    out.to_csv(path, index=False, encoding="utf-8-sig")


def _cmd_validate(args: argparse.Namespace) -> int:
    data = data_folder(args.data)
    settings = settings_for(data)
    out = writable_folder(Path(args.out) if args.out else quality_dir(data))
    ds = load(data, settings=settings, use_cache=not args.no_cache)
    _require_ledgers(ds)
    print(f"数据目录: {scrub_text(args.data)}")
    print(_quality_table(ds))
    for f in ds.files:
        for n in f.notes:
            print(scrub_text(f"提示 {f.file}: {n}"))
        if not f.reconciles():  # pragma: no cover - guarded by tests
            print(scrub_text(f"错误 {f.file}: 行数不平衡"), file=sys.stderr)
    for rel, why in ds.ignored:
        print(scrub_text(f"未读取 {rel}: {why}"))
    write_quality_csv(ds.quarantine, QUARANTINE_ZH, out / "quarantine.csv")
    write_quality_csv(ds.warnings, WARNINGS_ZH, out / "warnings.csv")
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
    if "indicators" in k:
        lines += ["【合同指标 A1–A21】", render_indicators(k["indicators"]), ""]
    if "penalties" in k:
        lines += [render_penalties(k["penalties"], k.get("flags", [])), ""]
    return "\n".join(lines).rstrip()


STATUS_ZH = {"met": "达标", "on_pace": "进度正常", "at_risk": "有风险", "missed": "未达标", "not_assessed": "未评估"}


def _num(v) -> str:
    """A count: thousands separated, one decimal where it has one."""
    if v is None:
        return "—"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}"
    return f"{int(v):,}"


def render_indicators(ind: dict) -> str:
    """Indicator table: value, target, status, pace, projection, chance of meeting the target."""
    rows = []
    for code, i in ind.items():
        target = i["target"]
        t = f"{target * 100:.0f}%" if isinstance(target, float) and target <= 1 and code in ("A1", "A2") else _num(target)
        if code == "A2":
            t = ">90%（表1 ≥90%）"
        p = i.get("p_meet_target")
        note = indicator_note(code, i)
        rows.append([code, i["name"], _num(i["value"]) if code not in ("A1", "A2") or i["value"] is None else f"{i['value'] * 100:.2f}%",
                     _num(i.get("period_value")) if "period_value" in i else "", t, STATUS_ZH[i["status"]],
                     _num(i.get("pace_target")) if "pace_target" in i else "", _num(i.get("projected")) if "projected" in i else "",
                     "" if p is None else f"{p * 100:.0f}%", i.get("reach_date") or "", note])
    return format_table(["编号", "指标", "累计/数值", "本期", "目标", "状态", "进度目标", "预计全年", "达标概率", "预计达成日", "说明"], rows, right={2, 3, 4, 6, 7, 8})


def render_penalties(pen: dict, flags: list) -> str:
    """Deduction lines, rules not assessed, flags, and the settlement against the final payment."""
    out = [f"【违约金】本期合计 {pen['total_yuan']:,.2f} 元"]
    if pen["items"]:
        out.append(format_table(["条款", "依据", "日期", "金额（元）"],
                                [[f"{i['rule']} {i['clause']}", i["basis"], i["date"], f"{i['amount_yuan']:,.2f}"] for i in pen["items"]], right={3}))
    for n in pen.get("not_assessed", []):
        out.append(f"未评估 {n['rule']} {n['clause']}: {n['reason']}")
    st = pen.get("settlement")
    if st:
        out.append(f"尾款（合同价 20%）{st['final_payment_yuan']:,.2f} 元；截至统计时点累计扣款 {st['deductions_to_date_yuan']:,.2f} 元；"
                   f"尾款余额 {st['final_payment_left_yuan']:,.2f} 元")
    if flags:
        out += ["", "【预警事项（不扣款）】", format_table(["事项", "条款", "依据", "日期"], [[f["flag"], f["clause"], f["basis"], f["date"]] for f in flags])]
    return "\n".join(out)


def _cmd_kpi(args: argparse.Namespace) -> int:
    from ..contract.kpi import compute_kpis

    data = data_folder(args.data)
    settings = settings_for(data)
    period = parse_period(args.period, settings, args.as_of)
    for w in check_period(period, settings):
        note(w)
    ds = load(data, settings=settings, use_cache=not args.no_cache)
    _require_ledgers(ds)
    k = scrub_obj(compute_kpis(ds, period))
    if args.json:
        print(json.dumps(k, ensure_ascii=False, indent=2, default=str))
    else:
        print(render_kpi_table(k))
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    from ..contract.alerts import BAND_ORDER, compute_alerts, default_as_of
    from ..dates.periods import parse_as_of

    data = data_folder(args.data)
    settings = settings_for(data)
    if args.as_of:
        as_of = parse_as_of(args.as_of)
    else:
        as_of, why = default_as_of(settings, _now())
        if why:
            note(why)
    ds = load(data, settings=settings, use_cache=not args.no_cache)
    _require_ledgers(ds)
    a = scrub_obj(compute_alerts(ds, as_of))
    if args.json:
        print(json.dumps(a, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"预警（统计时点 {as_of:%Y-%m-%d %H:%M}）\n")
    by = a["tickets"]["by_band"]
    print("【临近时限的未办结工单】（按已用工作时限比例）")
    print(format_table(["区间", "工单数"], [[b, by[b]] for b in BAND_ORDER], right={1}))
    items = a["tickets"]["items"]
    if items:
        rows = [[i["band"], i["ticket_id"], i["channel"], i["ticket_type"], _cell(i["category"]), i["received_at"][:16], i["due_at"][:16],
                 f"{i['used'] * 100:.0f}%", i["handler"] or ""] for i in items[: args.limit]]
        print(format_table(["区间", "工单编号", "渠道", "类型", "业务类别", "受理时间", "办理时限", "已用", "经办人"], rows, right={7}))
        if len(items) > args.limit:
            print(f"……另有 {len(items) - args.limit} 件，用 --json 查看全部")
    print("\n【今明两个工作日到期的办文】")
    docs = a["documents_due"]
    print(format_table(["编号", "类型", "环节", "期限", "标题"], [[d["doc_id"], d["doc_type"], d["stage"], d["deadline"][:16], _cell(d["title"])] for d in docs]) if docs else "无")
    print("\n【有风险或未达标的指标】")
    risk = a["indicators_at_risk"]
    print(format_table(["编号", "指标", "状态", "数值", "进度目标", "达标概率"],
                       [[c, i["name"], STATUS_ZH[i["status"]], _num(i["value"]) if c not in ("A1", "A2") or i["value"] is None else f"{i['value'] * 100:.2f}%",
                         _num(i["pace_target"]), "" if i["p_meet_target"] is None else f"{i['p_meet_target'] * 100:.0f}%"] for c, i in risk.items()])
          if risk else "无")
    print("\n【预警事项】")
    flags = a["flags"]
    print(format_table(["事项", "条款", "依据", "日期"], [[f["flag"], f["clause"], _cell(f["basis"]), f["date"]] for f in flags]) if flags else "无")
    return 0


def _cell(text, limit: int = 40) -> str:
    """A text in a terminal table: one line, at most ``limit`` characters."""
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _cmd_latest_month(args: argparse.Namespace) -> int:
    data = data_folder(args.data)
    settings = settings_for(data, quiet=True)
    print(latest_complete_month(parse_day(args.today) if args.today else date.today(), settings))
    return 0


def register(sub) -> None:
    """Add this module's commands to the ``sscard`` parser."""
    s = sub.add_parser("sample", help="生成一整年的样例台账（虚构数据）", description="生成一整年的样例台账（虚构数据，可放心分享）")
    s.add_argument("--out", default=str(SAMPLE_DIR), help="样例台账的输出目录")
    s.add_argument("--seed", type=whole_number, default=0, help="随机种子（同一种子生成相同数据）")
    s.add_argument("--tickets-per-month", type=positive_int, default=10000, help="每月工单数")
    s.set_defaults(func=_cmd_sample)

    v = sub.add_parser("validate", help="读取数据目录，输出数据质量汇总与隔离明细",
                       description="读取数据目录，输出数据质量汇总与隔离明细。退出码：0 全部接收；1 有隔离行；2 错误")
    v.add_argument("--data", required=True, help="台账所在的数据目录")
    v.add_argument("--out", help="隔离与警告明细的输出目录（默认按数据目录区分：工作目录 quality/<目录名>-<路径哈希>）")
    v.add_argument("--no-cache", action="store_true", help="不使用解析缓存，重新读取每个文件")
    v.set_defaults(func=_cmd_validate)

    k = sub.add_parser("kpi", help="计算某一期间的指标", description="计算某一期间的指标（表格或 --json）")
    k.add_argument("--data", required=True, help="台账所在的数据目录")
    k.add_argument("--period", required=True, help="统计期间：2024-W18、2024-05、2024-Q2、2024、contract、contract-Q1、2024-05-06..2024-05-19")
    k.add_argument("--as-of", help="统计时点，如 2024-05-20T10:00（默认期末或当前时间，取较早者）")
    k.add_argument("--json", action="store_true", help="输出 JSON（固定键名，见 DATA_CONTRACT 第 4 节）")
    k.add_argument("--no-cache", action="store_true", help="不使用解析缓存")
    k.set_defaults(func=_cmd_kpi)

    a = sub.add_parser("alerts", help="预警：临近时限的工单、到期办文、有风险的指标",
                       description="预警：临近时限的工单、到期办文、有风险的指标。服务期结束后默认按服务期末计算")
    a.add_argument("--data", required=True, help="台账所在的数据目录")
    a.add_argument("--as-of", help="统计时点（默认当前时间；服务期已结束时为服务期末）")
    a.add_argument("--json", action="store_true", help="输出 JSON")
    a.add_argument("--limit", type=positive_int, default=50, help="表格最多列出的工单数")
    a.add_argument("--no-cache", action="store_true", help="不使用解析缓存")
    a.set_defaults(func=_cmd_alerts)

    m = sub.add_parser("latest-month", help="数据目录合同期内最近一个完整月份", description="打印服务期内最近一个已结束的月份，如 2024-05")
    m.add_argument("--data", required=True, help="台账所在的数据目录（读取其中的 sscard.toml）")
    m.add_argument("--today", help="按这一天判断（默认今天），如 2025-03-01")
    m.set_defaults(func=_cmd_latest_month)
