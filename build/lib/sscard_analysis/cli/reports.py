"""Report commands: ``report`` (one report, every format) and ``run-due`` (every report due).

``report`` exits 0 when the report was published, 2 when it could not be
made (the reason in one line). ``run-due`` exits 0 when every due report was
made or was up to date, 1 when one failed or was held back (fewer input
files than the published one), 2 on a fatal error (no ledger, another run
holds the lock, a bad option).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..dates.periods import check_period, parse_day, parse_period
from ..privacy import scrub_text
from .common import EXIT_ATTENTION, EXIT_OK, data_folder, note, positive_int, settings_for


def _cmd_report(args: argparse.Namespace) -> int:
    from ..reporting.render import FORMATS, parse_formats, run_report

    formats = FORMATS if args.format is None else parse_formats(args.format)
    data = data_folder(args.data)
    settings = settings_for(data)
    for w in check_period(parse_period(args.period, settings, args.as_of), settings, args.kind):
        note(w)
    result = run_report(args.kind, args.period, data, args.out, formats, args.as_of)
    for f in result.files:
        print(f)
    return EXIT_OK


def _cmd_run_due(args: argparse.Namespace) -> int:
    from ..reporting.schedule import run_due

    today = parse_day(args.today) if args.today else None
    data = data_folder(args.data)
    settings_for(data, quiet=args.quiet)
    r = run_due(data, Path(args.out), today, workers=args.workers, progress=not args.quiet, force=args.force)
    for line in r["notes"]:
        note(line)
    print(f"生成 {len(r['done'])} 份，已是最新 {len(r['skipped'])} 份，未替换 {len(r['held'])} 份，失败 {len(r['failed'])} 份")
    for key, msg in r["held"]:
        print(f"未替换 {key}: {scrub_text(msg)}", file=sys.stderr)
    for key, msg in r["failed"]:
        print(f"失败 {key}: {scrub_text(' '.join(msg.split()))}", file=sys.stderr)
    return EXIT_ATTENTION if r["failed"] or r["held"] else EXIT_OK


def register(sub) -> None:
    """Add this module's commands to the ``sscard`` parser."""
    r = sub.add_parser("report", help="生成周报、月报、季报或年报（HTML、PDF、Excel、Word）",
                       description="生成一份报告，各格式全部成功后才发布到 --out/<期间>/。退出码：0 已发布；2 错误")
    r.add_argument("kind", choices=["weekly", "monthly", "quarterly", "annual"],
                   help="报告类型：weekly（ISO 周）、monthly（月）、quarterly（contract-Q1… 或 2024-Q2）、annual（contract 或 2024）")
    r.add_argument("--period", required=True, help="统计期间，须与报告类型相符，如 2024-W18、2024-05、contract-Q1、contract")
    r.add_argument("--data", required=True, help="台账所在的数据目录")
    r.add_argument("--out", default="reports", help="报告输出目录")
    r.add_argument("--format", help="逗号分隔的输出格式，如 html,pdf（默认全部格式：html、pdf、xlsx、docx）")
    r.add_argument("--as-of", help="统计时点，如 2024-05-20T10:00（默认期末或当前时间，取较早者）")
    r.set_defaults(func=_cmd_report)

    d = sub.add_parser("run-due", help="生成所有已到期但缺失或输入已变化的报告",
                       description="生成所有已结束期间中缺失、格式不全或输入已变化的报告。退出码：0 完成；1 有报告失败或未替换；2 错误")
    d.add_argument("--data", required=True, help="台账所在的数据目录")
    d.add_argument("--out", default="reports", help="报告输出目录（含 manifest.json 与锁文件 .run-due.lock）")
    d.add_argument("--today", help="按这一天判断哪些期间已结束（默认今天），如 2025-03-01")
    d.add_argument("--workers", type=positive_int, default=2, help="并行生成报告的进程数")
    d.add_argument("--force", action="store_true", help="即使输入文件比上次少，也替换已发布的报告")
    d.add_argument("--quiet", action="store_true", help="不显示进度条和提示（定时任务用）")
    d.set_defaults(func=_cmd_run_due)
