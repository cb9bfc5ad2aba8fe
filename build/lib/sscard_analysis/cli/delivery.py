"""Delivery commands: ``package`` (表3 packages), ``dossier`` (handover), ``verify`` and ``backup``.

Exit codes: 0 done (``verify``: intact), 1 ``verify`` found a difference,
2 unusable input (a missing folder, a file that is no package, a fatal
ledger error), printed as one Chinese line.
"""

from __future__ import annotations

import argparse
import sys


def _formats(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    if text.strip().lower() == "none":
        return ()
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _delivery_fatal() -> tuple:
    """Errors a build reports as one line with exit 2 (its own, and those of the layers it calls)."""
    from ..config import SettingsError
    from ..dates.calendar import CalendarError
    from ..dates.periods import PeriodError
    from ..delivery.manifest import DeliveryError
    from ..ingest.reader import FatalInputError
    from ..reporting.charts import FontMissingError
    from ..reporting.render import ReportError

    return (DeliveryError, FatalInputError, SettingsError, PeriodError, CalendarError, ReportError, FontMissingError)


def _fatal(exc: Exception) -> int:
    print(f"错误: {exc}", file=sys.stderr)
    return 2


def _print_checklist(check, counts: dict) -> None:
    print(f"表3 清单：齐全 {counts['齐全']} 项，缺失 {counts['缺失']} 项，不适用 {counts['不适用']} 项")
    for r in check[check["状态"] == "缺失"].itertuples(index=False):
        print(f"  缺失 {r.序号} {r.交付文档} {r.期间}：{r.说明}")


def _cmd_package(args: argparse.Namespace) -> int:
    from ..delivery.package import build_package

    try:
        built = build_package(args.data, args.out, args.period, args.stage, args.as_of, _formats(args.formats))
    except _delivery_fatal() as exc:
        return _fatal(exc)
    print(built.folder)
    if built.zip:
        print(built.zip)
    _print_checklist(built.checklist, built.counts)
    return 0


def _cmd_dossier(args: argparse.Namespace) -> int:
    from ..delivery.dossier import build_dossier

    try:
        built = build_dossier(args.data, args.out, args.as_of, _formats(args.formats), args.include_personal_data)
    except _delivery_fatal() as exc:
        return _fatal(exc)
    print(built.folder)
    if built.zip:
        print(built.zip)
    if args.include_personal_data:
        print("警告: 交接资料含未脱敏的个人信息（内部资料_未脱敏台账），仅限交接双方指定人员使用", file=sys.stderr)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..delivery.manifest import DeliveryError, verify

    try:
        result = verify(args.path)
    except DeliveryError as exc:
        return _fatal(exc)
    for line in result.lines():
        print(line)
    return 0 if result.ok else 1


def _cmd_backup(args: argparse.Namespace) -> int:
    from ..delivery.backup import write_backup
    from ..delivery.manifest import DeliveryError

    try:
        files = write_backup(args.data, args.out)
    except DeliveryError as exc:
        return _fatal(exc)
    print(f"{args.out}: 已备份 {len(files)} 个文件（含 SHA-256 清单，可用 sscard verify 校验）")
    return 0


def register(sub) -> None:
    """Add this module's commands to the ``sscard`` parser."""
    p = sub.add_parser("package", help="生成表3交付包（月度，或支付第二笔服务费前、验收阶段）：文件夹、zip 与交付清单")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--period", help="月份，如 2024-05")
    which.add_argument("--stage", choices=["second-payment", "acceptance"], help="支付阶段")
    p.add_argument("--data", required=True, help="台账所在的数据目录")
    p.add_argument("--out", default="reports", help="输出目录")
    p.add_argument("--as-of", help="统计时点（默认期末或阶段截止时间，且不晚于现在）")
    p.add_argument("--formats", help="报告格式，逗号分隔（默认全部）；none 表示不生成报告")
    p.set_defaults(func=_cmd_package)

    d = sub.add_parser("dossier", help="生成服务期结束时的交接资料（索引、台账、未办结事项、人员、网点、应用、PSAM卡、指标与违约金、年报）")
    d.add_argument("--data", required=True, help="台账所在的数据目录")
    d.add_argument("--out", default="reports", help="输出目录")
    d.add_argument("--as-of", help="交接时点（默认服务期末，且不晚于现在）")
    d.add_argument("--formats", help="年报格式，逗号分隔（默认全部）；none 表示不生成年报")
    d.add_argument("--include-personal-data", action="store_true",
                   help="另附未脱敏台账（内部资料），仅在交接双方明确需要时使用")
    d.set_defaults(func=_cmd_dossier)

    v = sub.add_parser("verify", help="按 manifest.json 校验交付包、交接资料或备份（文件夹或 zip）：0 完整，1 不一致，2 无法读取")
    v.add_argument("path", help="交付包、交接资料或备份（文件夹或 zip）")
    v.set_defaults(func=_cmd_verify)

    b = sub.add_parser("backup", help="把数据目录的原始台账连同 SHA-256 清单打包备份（6.1(2)），可用 verify 校验")
    b.add_argument("--data", required=True, help="台账所在的数据目录")
    b.add_argument("--out", required=True, help="备份文件，如 backup/台账备份_2024-05-31.zip")
    b.set_defaults(func=_cmd_backup)
