"""Operations commands: ``banks`` (the banks' outlet assessment), ``plan-inspections`` (the on-site
inspection plan) and ``letters`` (draft letters to banks).

Each reads a data folder (``--data``, default ``data/raw``) and writes its
files under ``--out`` (default ``reports/``); what it prints is Chinese, with
no personal data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import RAW_DATA_DIR, REPORTS_DIR
from ..dates.periods import parse_day, parse_period
from ..ingest.reader import DataSet, load
from ..privacy import scrub_text
from .common import data_folder, positive_int, scrub_obj, settings_for, writable_folder
from .textable import format_table


def _read(args: argparse.Namespace) -> DataSet:
    """The data folder, checked (it exists, has a valid sscard.toml and at least one ledger)."""
    from ..reporting.manifest import require_ledgers

    data = data_folder(args.data)
    ds = load(data, settings=settings_for(data), use_cache=not args.no_cache)
    require_ledgers(ds)
    return ds

_BANK_COLUMNS = ["排名", "银行", "综合得分（区间）", "在用网点", "投诉/网点", "现场检查（次）", "检查平均分（区间）", "整改率（区间）",
                 "接通率（区间）", "口径正确率（区间）", "年度未检查网点", "说明"]


def _cmd_banks(args: argparse.Namespace) -> int:
    from ..ops.banks import as_json, workbook_name, write_workbook
    from ..reporting.banks import assessment, ranking_table, weights_note

    ds = _read(args)
    period = parse_period(args.period, ds.settings, args.as_of)
    card, detail = assessment(ds, period)
    path = write_workbook(card, detail, period, ds.settings.bank_weights, writable_folder(Path(args.out) / "banks") / workbook_name(period))
    if args.json:
        print(json.dumps(scrub_obj(as_json(card, detail, period, ds.settings.bank_weights)), ensure_ascii=False, indent=2))
        print(f"Excel: {path}", file=sys.stderr)
        return 0
    table = ranking_table(card)[_BANK_COLUMNS]
    right = {i for i, c in enumerate(_BANK_COLUMNS) if c not in ("银行", "说明")}
    print(f"银行网点考核 {period.label}（{period.start} 至 {period.end}，统计时点 {period.as_of:%Y-%m-%d %H:%M}）\n")
    print(scrub_text(format_table(_BANK_COLUMNS, table.values.tolist(), right=right)))
    print("\n" + weights_note(ds.settings.bank_weights))
    print(f"\nExcel（排名、网点明细、说明）：{path}")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from ..ops.planner import PlanError

    try:
        return _plan(args)
    except PlanError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2


def _plan(args: argparse.Namespace) -> int:
    from ..ops.plan_output import forms_name, schedule_name, weekly_table, write_check_forms, write_schedule
    from ..ops.planner import horizon, plan_for, summary_lines

    start = parse_day(args.start, "--from")
    ds = _read(args)
    plan = plan_for(ds, start, args.capacity)
    until = horizon(plan, args.weeks)
    out = writable_folder(Path(args.out) / "inspections")
    sched = write_schedule(plan, out / schedule_name(plan), until)
    forms = write_check_forms(plan, out / forms_name(plan), until)
    print("网点现场检查计划（表1 #9）\n")
    print("\n".join(summary_lines(plan)))
    weekly = weekly_table(plan, until)
    if len(weekly):
        cols = ["周次", "日期", "合计"]
        print(f"\n【按周安排】（至 {until}）")
        print(format_table(["周次", "日期", "走访（次）"], weekly[cols].values.tolist(), right={2}))
    print(f"\n排班（按周、按人）：{sched}\n检查表（每个网点一页，按检查人员分表）：{forms}")
    return 0


def _cmd_letters(args: argparse.Namespace) -> int:
    from ..ops.letters import write_letters

    on = parse_day(args.date, "--date") if args.date else None
    ds = _read(args)
    period = parse_period(args.period, ds.settings, args.as_of)
    out = writable_folder(Path(args.out) / "letters" / period.label)
    written, nothing = write_letters(ds, period, out, on)
    print(f"致合作银行核查函（草稿）{period.label}：{len(written)} 份，写入 {out}\n")
    if written:
        rows = [[bank, c["tickets"], c["to_verify"], c["unrectified_outlets"], c["unanswered"], c["wrong_answer"], path.name]
                for bank, path, c in written]
        print(scrub_text(format_table(["银行", "涉及工单", "需核查工单", "未整改网点", "电话未接通", "口径不正确", "文件"], rows, right={1, 2, 3, 4, 5})))
    if nothing:
        print(f"\n本期无需发函：{'、'.join(nothing)}")
    return 0


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=str(RAW_DATA_DIR), help=f"台账所在的数据目录（默认 {RAW_DATA_DIR}）")
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存")


def register(sub) -> None:
    """Add this module's commands to the ``sscard`` parser."""
    b = sub.add_parser("banks", help="合作银行网点考核：各银行综合得分、区间与排名，输出 Excel")
    b.add_argument("--period", required=True, help="2024-Q2、contract、contract-Q1 等")
    b.add_argument("--as-of", help="统计时点（默认期末或当前时间，取较早者）")
    b.add_argument("--json", action="store_true", help="输出 JSON（Excel 照常写入）")
    b.add_argument("--out", default=str(REPORTS_DIR), help="输出目录（Excel 写入其下 banks/）")
    _data_arg(b)
    b.set_defaults(func=_cmd_banks)

    p = sub.add_parser("plan-inspections", help="网点现场检查计划：服务期内待检查网点排班、覆盖目标 2,200 个的余量或缺口，输出排班表与检查表")
    p.add_argument("--from", dest="start", required=True, help="计划开始日期，如 2024-11-01（此前的检查视为已完成）")
    p.add_argument("--weeks", type=positive_int, help="排班表与检查表列出的周数（默认至服务期末；覆盖测算始终至服务期末）")
    p.add_argument("--capacity", type=positive_int, help="每人每日检查网点数（默认 sscard.toml [inspections] visits_per_person_day）")
    p.add_argument("--out", default=str(REPORTS_DIR), help="输出目录（写入其下 inspections/）")
    _data_arg(p)
    p.set_defaults(func=_cmd_plan)

    le = sub.add_parser("letters", help="致合作银行核查函草稿（Word）：需核查工单、未整改网点、电话巡检问题")
    le.add_argument("--period", required=True, help="2024-05、2024-Q2、contract 等")
    le.add_argument("--as-of", help="统计时点（默认期末或当前时间，取较早者）")
    le.add_argument("--date", help="落款日期（默认今天），如 2024-06-03")
    le.add_argument("--out", default=str(REPORTS_DIR), help="输出目录（写入其下 letters/<期间>/）")
    _data_arg(le)
    le.set_defaults(func=_cmd_letters)
