"""Report commands: ``report`` (one report, every format) and ``run-due`` (every report due)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def _cmd_report(args: argparse.Namespace) -> int:
    from ..reporting.render import FORMATS, run_report

    formats = FORMATS if args.format is None else tuple(f.strip() for f in args.format.split(",") if f.strip())
    result = run_report(args.kind, args.period, args.data, args.out, formats, args.as_of)
    for f in result.files:
        print(f)
    return 0


def _cmd_run_due(args: argparse.Namespace) -> int:
    from ..reporting.schedule import run_due

    today = date.fromisoformat(args.today) if args.today else None
    r = run_due(Path(args.data), Path(args.out), today, workers=args.workers, progress=not args.quiet)
    print(f"生成 {len(r['done'])} 份，已是最新 {len(r['skipped'])} 份，失败 {len(r['failed'])} 份")
    for key, msg in r["failed"]:
        print(f"失败 {key}: {msg}", file=sys.stderr)
    return 1 if r["failed"] else 0




def register(sub) -> None:
    """Add this module's commands to the ``sscard`` parser."""
    r = sub.add_parser("report", help="生成周报、月报、季报或年报（HTML、PDF、Excel、Word）")
    r.add_argument("kind", choices=["weekly", "monthly", "quarterly", "annual"])
    r.add_argument("--period", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--out", default="reports")
    r.add_argument("--format", help="逗号分隔，如 html,pdf；默认全部格式（HTML、PDF、Excel、Word）")
    r.add_argument("--as-of")
    r.set_defaults(func=_cmd_report)

    d = sub.add_parser("run-due", help="生成所有已到期但缺失或输入已变化的报告")
    d.add_argument("--data", required=True)
    d.add_argument("--out", default="reports")
    d.add_argument("--today", help="按这一天判断哪些期间已结束（默认今天）")
    d.add_argument("--workers", type=int, default=2)
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=_cmd_run_due)

