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
from datetime import date
from pathlib import Path

from ..config import RAW_DATA_DIR, REPORTS_DIR
from ..dates.periods import PeriodError, parse_period
from ..ingest.reader import load
from .textable import format_table

_BANK_COLUMNS = ["排名", "银行", "综合得分（区间）", "在用网点", "投诉/网点", "现场检查（次）", "检查平均分（区间）", "整改率（区间）",
                 "接通率（区间）", "口径正确率（区间）", "年度未检查网点", "说明"]


def _cmd_banks(args: argparse.Namespace) -> int:
    from ..ops.banks import as_json, workbook_name, write_workbook
    from ..reporting.banks import assessment, ranking_table, weights_note

    ds = load(args.data, use_cache=not args.no_cache)
    period = parse_period(args.period, ds.settings, args.as_of)
    card, detail = assessment(ds, period)
    path = write_workbook(card, detail, period, ds.settings.bank_weights, Path(args.out) / "banks" / workbook_name(period))
    if args.json:
        print(json.dumps(as_json(card, detail, period, ds.settings.bank_weights), ensure_ascii=False, indent=2))
        print(f"Excel: {path}", file=sys.stderr)
        return 0
    table = ranking_table(card)[_BANK_COLUMNS]
    right = {i for i, c in enumerate(_BANK_COLUMNS) if c not in ("银行", "说明")}
    print(f"银行网点考核 {period.label}（{period.start} 至 {period.end}，统计时点 {period.as_of:%Y-%m-%d %H:%M}）\n")
    print(format_table(_BANK_COLUMNS, table.values.tolist(), right=right))
    print("\n" + weights_note(ds.settings.bank_weights))
    print(f"\nExcel（排名、网点明细、说明）：{path}")
    return 0


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=str(RAW_DATA_DIR), help=f"台账所在的数据目录（默认 {RAW_DATA_DIR}）")
    p.add_argument("--no-cache", action="store_true")


def register(sub) -> None:
    """Add this module's commands to the ``sscard`` parser."""
    b = sub.add_parser("banks", help="合作银行网点考核：各银行综合得分、区间与排名，输出 Excel")
    b.add_argument("--period", required=True, help="2024-Q2、contract、contract-Q1 等")
    b.add_argument("--as-of", help="统计时点（默认期末或当前时间，取较早者）")
    b.add_argument("--json", action="store_true")
    b.add_argument("--out", default=str(REPORTS_DIR), help="输出目录（Excel 写入其下 banks/）")
    _data_arg(b)
    b.set_defaults(func=_cmd_banks)
