"""What every command shares: the Chinese parser, user errors, checked options, scrubbed output.

Exit codes (README "Exit codes"): 0 done; 1 done but something needs a look
(``validate``: rows quarantined; ``run-due``: a report failed or was held
back); 2 a user error (bad option, bad ``sscard.toml``, no ledger in the
folder, an output folder that cannot be written), always one Chinese line
per problem on stderr; 3 a defect in the program (one line; set
``SSCARD_DEBUG=1`` for the traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
from pathlib import Path

from ..config import Settings, load_settings, settings_file
from ..privacy import scrub_text

EXIT_OK, EXIT_ATTENTION, EXIT_USER, EXIT_DEFECT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UserError(Exception):
    """A mistake the user can fix (exit 2, one line)."""


# ---------------------------------------------------------------- the parser in Chinese

_ARGPARSE_ZH = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数 \1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数 \1"),
    (r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效（可选 \3）"),
    (r"argument (\S+): expected one argument", r"参数 \1 需要一个值"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"参数 \1 的值 \3 无效"),
    (r"argument (\S+): ignored explicit argument (.*)", r"参数 \1 不接受值 \2"),
    (r"argument (\S+): (.*)", r"参数 \1: \2"),
]


def _zh(message: str) -> str:
    for pattern, repl in _ARGPARSE_ZH:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, repl, message)
    return message


class HelpFormatter(argparse.HelpFormatter):
    """Help in Chinese, every option with its default."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="用法: " if prefix is None else prefix)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (action.option_strings and default not in (None, False, argparse.SUPPRESS) and "默认" not in text
                and not isinstance(action, (argparse._HelpAction, argparse._VersionAction))):
            text += "（默认 %(default)s）"
        return text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one Chinese line (exit 2) and whose help is Chinese."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str):
        print(f"错误: {self.prog}: {_zh(message)}（用 {self.prog} --help 查看用法）", file=sys.stderr)
        sys.exit(EXIT_USER)


def positive_int(text: str) -> int:
    """An option that must be a whole number ≥ 1 (``--workers``, ``--limit`` …)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数，不是 {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"应为正整数，不是 {n}")
    return n


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数，不是 {text!r}") from None


# ---------------------------------------------------------------- checks shared by the commands


def data_folder(path: str) -> Path:
    """The ``--data`` folder, which must exist (an unmounted share is a user error, not an empty folder)."""
    p = Path(path)
    if not p.is_dir():
        raise UserError(f"--data {path}: 数据目录不存在" if not p.exists() else f"--data {path}: 不是文件夹")
    return p


def settings_for(data_dir: Path, quiet: bool = False) -> Settings:
    """The folder's settings (checked); says once, on stderr, when there is no ``sscard.toml``."""
    settings = load_settings(data_dir)
    if settings_file(data_dir) is None and not quiet:
        note(f"数据目录中没有 sscard.toml，使用默认合同设置（服务期 {settings.start} 至 {settings.end}，"
             f"合同价 {settings.price_yuan:,.0f} 元）")
    return settings


def writable_folder(path: Path, option: str = "--out") -> Path:
    """Create ``path`` if needed and make sure files can be written there (UserError otherwise)."""
    try:
        if path.exists() and not path.is_dir():
            raise UserError(f"{option} {path}: 是一个文件，不是文件夹")
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".sscard-write-test-{id(path)}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{option} {path}: 无法写入（{os_reason(exc)}）") from None
    return path


_ERRNO_ZH = {
    errno.EACCES: "没有权限", errno.EPERM: "不允许的操作", errno.EROFS: "只读文件系统", errno.ENOSPC: "磁盘已满",
    errno.ENOENT: "不存在", errno.ENOTDIR: "路径中有一项不是文件夹", errno.EISDIR: "是文件夹", errno.EEXIST: "已存在",
    errno.EDQUOT: "超出磁盘配额", errno.ENAMETOOLONG: "名称过长",
}


def os_reason(exc: OSError) -> str:
    """The reason of an OSError in Chinese (its English text when the code is not listed)."""
    return _ERRNO_ZH.get(exc.errno, exc.strerror or type(exc).__name__)


def os_error_line(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    return f"{where}: {os_reason(exc)}" if where else os_reason(exc)


def note(text: str) -> None:
    """A remark on stderr (the result stays alone on stdout)."""
    print(f"提示: {scrub_text(text)}", file=sys.stderr)


def scrub_obj(obj):
    """Every text inside a JSON-ready object scrubbed of ID and phone patterns (numbers and keys unchanged)."""
    if isinstance(obj, str):
        return scrub_text(obj)
    if isinstance(obj, dict):
        return {k: scrub_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_obj(v) for v in obj]
    return obj
