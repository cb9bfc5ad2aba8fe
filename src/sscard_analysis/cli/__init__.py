"""The ``sscard`` command line.

Each command lives in the module of its area (``data``: sample, validate,
kpi, alerts, latest-month; ``reports``: report, run-due) and registers
itself here. Errors are one clear line on stderr (no traceback) and never
echo personal data; a fatal error exits 2.
"""

from __future__ import annotations

import argparse
import sys

from ..config import SettingsError
from ..dates.calendar import CalendarError
from ..dates.periods import PeriodError
from ..ingest.reader import FatalInputError
from . import data, delivery, ops, reports

FATAL = (FatalInputError, SettingsError, PeriodError, CalendarError)
COMMAND_MODULES = (data, reports, ops, delivery)


def _fatal_types() -> tuple:
    from ..reporting.charts import FontMissingError
    from ..reporting.render import ReportError
    from ..reporting.schedule import Busy

    return FATAL + (ReportError, FontMissingError, Busy)



def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sscard", description="广州市社会保障卡服务项目：台账校验、指标计算与报告")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _fatal_types() as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
