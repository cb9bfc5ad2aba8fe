"""The ``sscard`` command line.

Each command lives in the module of its area (``data``: sample, validate,
kpi, alerts, latest-month; ``reports``: report, run-due; ``ops``: banks,
plan-inspections, letters) and registers
itself here. Errors are one clear Chinese line on stderr per problem (no
traceback) and never echo personal data; the exit codes are listed in
:mod:`.common` and the README.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

# Nothing heavy at import: ``sscard report`` starts its kernel (:func:`run`) before pandas is loaded.
COMMAND_MODULES = ("data", "reports", "ops", "delivery")


def _fatal_types() -> tuple:
    from ..config import SettingsError
    from ..dates.calendar import CalendarError
    from ..dates.periods import PeriodError
    from ..ingest.reader import FatalInputError
    from ..reporting.charts import FontMissingError
    from ..reporting.render import ReportError
    from ..reporting.schedule import Busy
    from .common import UserError

    return (FatalInputError, SettingsError, PeriodError, CalendarError, UserError, ReportError, FontMissingError, Busy)


def build_parser():
    from ..config import package_version
    from .common import Parser

    p = Parser(prog="sscard", description="广州市社会保障卡服务项目：台账校验、指标计算与报告")
    p.add_argument("--version", action="version", version=f"sscard {package_version()}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", required=True, title="命令", metavar="命令")
    for name in COMMAND_MODULES:
        importlib.import_module(f".{name}", __name__).register(sub)
    return p


def _error(text: str) -> None:
    from ..privacy import scrub_text

    for line in text.splitlines() or [""]:
        print(f"错误: {scrub_text(line)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from .common import EXIT_DEFECT, EXIT_INTERRUPTED, EXIT_USER, os_error_line

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _fatal_types() as exc:
        _error(str(exc))
        return EXIT_USER
    except OSError as exc:  # a folder that vanished or filled up mid-run
        _error(os_error_line(exc))
        return EXIT_USER
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("SSCARD_DEBUG"):
            raise
        from ..privacy import scrub_text

        message = scrub_text(" ".join(str(exc).split()))[:300]
        print(f"内部错误（程序缺陷，请报告）: {type(exc).__name__}: {message}；设置环境变量 SSCARD_DEBUG=1 可显示详情",
              file=sys.stderr)
        return EXIT_DEFECT


def wants_report_kernel(argv: list[str]) -> bool:
    """Whether the command line is a ``report`` that will run its notebook (a format other than xlsx alone)."""
    if not argv or argv[0] != "report" or {"-h", "--help"} & set(argv):
        return False
    formats = None
    for i, a in enumerate(argv):
        if a == "--format" and i + 1 < len(argv):
            formats = argv[i + 1]
        elif a.startswith("--format="):
            formats = a.split("=", 1)[1]
    return formats is None or any(f in formats.lower() for f in ("html", "pdf", "docx"))


def run() -> None:
    """The ``sscard`` program: :func:`main`, then exit without the interpreter's last garbage collection.

    A ``report`` starts its kernel first, so the kernel boots while this
    process loads its modules and reads the data. Everything a command opened
    is closed by the end; freezing the objects left (a report's data, some
    million of them) spares the ≈ 0.4 s the final collection would spend
    walking them.
    """
    prestarted = wants_report_kernel(sys.argv[1:])
    try:
        if prestarted:
            from ..reporting.kernels import prestart

            prestart()
        code = main()
    except KeyboardInterrupt:  # while the kernel starts (main() answers it itself afterwards)
        from .common import EXIT_INTERRUPTED

        code = EXIT_INTERRUPTED
    finally:
        if prestarted:
            from ..reporting.kernels import discard_prestarted

            discard_prestarted()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
