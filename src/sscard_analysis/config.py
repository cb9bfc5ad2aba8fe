"""Paths and the deployment's contract settings (``sscard.toml``).

This is the one module that knows where things live (cookiecutter-data-science
``config.py``) and what the defaults are where the purchaser's requirements
give no figure (DATA_CONTRACT.md, preamble and section 1).

``sscard.toml`` is checked against :data:`SCHEMA`, one row per key (its
table, type, range and whether it changes what a report shows): a wrong
type, a value out of range or an unknown key (with the nearest known key
suggested) is one Chinese line each, all reported together.
"""

from __future__ import annotations

import calendar as _cal
import difflib
import hashlib
import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path


def _source_checkout() -> Path | None:
    """The repository root when the package runs from a source checkout (editable install), else None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "src" / "sscard_analysis").is_dir() else None


SOURCE_CHECKOUT = _source_checkout()
# A source checkout keeps its data and reports beside the code; an installed package works in the current folder.
PROJ_ROOT = SOURCE_CHECKOUT or Path.cwd()
DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
INTERIM_DIR = DATA_DIR / "interim"
SAMPLE_DIR = DATA_DIR / "sample"
REPORTS_DIR = PROJ_ROOT / "reports"

SETTINGS_FILE = "sscard.toml"
BUDGET_YUAN = 5_177_000  # 1.1(2): the total budget, the default contract price

# Working days allowed per ticket type when due_at is empty (our defaults; the source gives none).
DEFAULT_DUE_DAYS = {"咨询": 1, "求助": 3, "建议": 5, "投诉": 5, "举报": 5, "表扬": 1}
# 表2: working days for a first draft by document type and difficulty.
DEFAULT_DOC_DAYS = {
    "规划方案": {"简单": 2, "中等": 3, "困难": 4},
    "宣传推文": {"简单": 1, "中等": 2, "困难": 3},
    "函件通知": {"简单": 1, "中等": 2, "困难": 3},
}
# The ticket types and document types/difficulties a [rules] table may name (the ledgers' enumerations).
TICKET_TYPES = ("咨询", "求助", "投诉", "建议", "表扬", "举报")
DOC_TYPES = ("规划方案", "宣传推文", "函件通知", "来文办阅", "会议材料")
DIFFICULTIES = ("简单", "中等", "困难")
REVISION_DAYS = 1  # 表2 note 1: a revision after comments is due in 1 working day
# Weights of the banks' yearly outlet assessment (2.2(1), 表1 #2; our defaults, the source gives none):
# on-site inspection score, rectification of findings, phone checks answered, correct answers, complaints per outlet.
DEFAULT_BANK_WEIGHTS = {"inspection": 0.40, "rectification": 0.20, "phone_answer": 0.15, "phone_script": 0.10, "complaints": 0.15}
VISITS_PER_PERSON_DAY = 4  # 表1 #9: outlets one inspector visits in a day, all in one district (our default)
LETTER_SENDER = "广州市人力资源和社会保障数据服务中心"  # who signs the letters to banks (表1 #6, #9; edit per deployment)
# The report cover's 通报 block: to whom the reports go (the purchaser, named in 3.6(1)) and who writes them.
REPORT_RECIPIENT = "广州市人力资源和社会保障数据服务中心"
REPORT_AUTHOR = "广州市社会保障卡服务项目组"
REPORT_TIME_LIMIT_MINUTES = 10.0  # run-due: one report may run this long before it is stopped


def package_version() -> str:
    """The installed version of sscard-analysis (``0+unknown`` when run from an uninstalled tree)."""
    try:
        return metadata.version("sscard-analysis")
    except metadata.PackageNotFoundError:  # pragma: no cover - the package is installed in every supported setup
        return "0+unknown"


# ---------------------------------------------------------------- where things go


def work_dir() -> Path:
    """Where derived files go: ``$SSCARD_WORK_DIR``; in a source checkout ``data/interim``;
    else ``$XDG_CACHE_HOME/sscard-analysis`` (``~/.cache/sscard-analysis``)."""
    if env := os.environ.get("SSCARD_WORK_DIR"):
        return Path(env)
    if SOURCE_CHECKOUT is not None:
        return INTERIM_DIR
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sscard-analysis"


def cache_dir() -> Path:
    """Where parsed files are cached: ``$SSCARD_CACHE_DIR`` or ``parsed/`` in :func:`work_dir`."""
    return Path(os.environ.get("SSCARD_CACHE_DIR") or work_dir() / "parsed")


def quality_dir(data_dir: Path | str) -> Path:
    """Default folder of ``validate``'s quarantine and warning lists, one per data folder.

    ``quality/<folder name>-<8 hex digits of its absolute path>`` in
    :func:`work_dir`, so two data folders never overwrite each other's lists.
    """
    path = Path(data_dir).resolve()
    tag = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return work_dir() / "quality" / f"{path.name or 'root'}-{tag}"


def report_notebooks_dir() -> Path:
    """The report templates (``weekly.ipynb`` …), shipped in the package as package data.

    ``notebooks/reports`` in a checkout is a link to the same folder (for
    ``make lab``); ``$SSCARD_REPORT_NOTEBOOKS`` points to a folder of edited templates.
    """
    if env := os.environ.get("SSCARD_REPORT_NOTEBOOKS"):
        return Path(env)
    return Path(__file__).resolve().parent / "notebooks" / "reports"


def settings_file(data_dir: Path | str | None) -> Path | None:
    """The folder's ``sscard.toml``, or None when it has none."""
    if data_dir is None:
        return None
    path = Path(data_dir) / SETTINGS_FILE
    return path if path.is_file() else None


# ---------------------------------------------------------------- settings


class SettingsError(ValueError):
    """``sscard.toml`` is malformed (one Chinese line per problem)."""


@dataclass(frozen=True)
class Settings:
    """One deployment's contract and rule settings.

    Attributes
    ----------
    start, end : the service period (1.4: 12 months from the start by default).
    price_yuan : the winning bid (3.3: monthly fee = price / 12); default the budget 1.1(2).
    promised_turnover_rate : the bid's promised turnover (3.6(1)①); None = B9 not assessed.
    due_days : working days per ticket type when due_at is empty.
    doc_days : 表2 working days per document type and difficulty.
    basic_satisfied_counts : whether 基本满意 counts as satisfied (default yes).
    late_day_basis : "calendar" (default) or "working" days of document lateness (3.7(1) "每延迟1天":
        a 天 without 工作日 is a calendar day; deadlines themselves are always in working days).
    report_due_workdays : working days after the week/month a 周报/月报 covers by whose end it is
        due (表2 "次周、次月前", reading: 1 = the end of the first working day after; 0 = the
        covered period's last day). Also paces A9, A13, A14, A15 and A20.
    holidays, workdays : calendar overrides (State Council notices not yet in the package).
    calendar_years : years the overrides fully describe (weekends rest unless listed in workdays).
    bank_weights : weights of the bank scorecard components (``[banks.weights]``), normalised to sum 1.
    visits_per_person_day : outlets an inspector visits in one working day (``[inspections]``).
    letter_sender : the sender named in letters to banks (``[banks] letter_sender``).
    report_recipient, report_author : 报送单位 and 编制单位 on the report cover (``[report]``).
    report_time_limit_minutes : minutes one report may run in ``run-due`` before it is stopped.
    """

    start: date = date(2024, 3, 1)
    end: date | None = None
    price_yuan: float = BUDGET_YUAN
    promised_turnover_rate: float | None = None
    due_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DUE_DAYS))
    doc_days: dict[str, dict[str, int]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_DOC_DAYS.items()})
    basic_satisfied_counts: bool = True
    late_day_basis: str = "calendar"
    report_due_workdays: int = 1
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()
    calendar_years: tuple[int, ...] = ()
    bank_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BANK_WEIGHTS))
    visits_per_person_day: int = VISITS_PER_PERSON_DAY
    letter_sender: str = LETTER_SENDER
    report_recipient: str = REPORT_RECIPIENT
    report_author: str = REPORT_AUTHOR
    report_time_limit_minutes: float = REPORT_TIME_LIMIT_MINUTES

    def __post_init__(self) -> None:
        if self.end is None:
            object.__setattr__(self, "end", add_months(self.start, 12) - timedelta(days=1))
        if self.end < self.start:
            raise SettingsError(f"[contract] end {self.end} 早于 start {self.start}")
        if self.late_day_basis not in ("working", "calendar"):
            raise SettingsError(f"[rules] late_day_basis 应为 \"working\" 或 \"calendar\"，不是 {self.late_day_basis!r}")
        unknown = set(self.bank_weights) - set(DEFAULT_BANK_WEIGHTS)
        if unknown or any(w < 0 for w in self.bank_weights.values()) or not sum(self.bank_weights.values()):
            raise SettingsError(f"[banks.weights]: 键应为 {', '.join(DEFAULT_BANK_WEIGHTS)}，权重不小于 0 且不全为 0；现为 {self.bank_weights}")
        if self.visits_per_person_day < 1:
            raise SettingsError(f"[inspections] visits_per_person_day 应不小于 1，不是 {self.visits_per_person_day}")
        if self.report_due_workdays < 0:
            raise SettingsError(f"[rules] report_due_workdays 应不小于 0，不是 {self.report_due_workdays!r}")

    @property
    def monthly_fee_yuan(self) -> float:
        """3.3(1): the monthly fee is the contract price divided by 12."""
        return self.price_yuan / 12


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clipped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


class _Bad(Exception):
    """One problem with one value (the message says what was expected)."""


def _date(v: object) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise _Bad(f"应为日期，如 2024-03-01（不加引号），不是 {v!r}")


def _number(v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _Bad(f"应为数字（不加引号），不是 {v!r}")
    return float(v)


def _int(v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _Bad(f"应为整数（不加引号），不是 {v!r}")
    return v


def _bool(v: object) -> bool:
    if not isinstance(v, bool):
        raise _Bad(f"应为 true 或 false（不加引号），不是 {v!r}")
    return v


def _list(v: object, item) -> tuple:
    if not isinstance(v, list):
        raise _Bad(f"应为列表，如 [...]，不是 {v!r}")
    out = []
    for i, x in enumerate(v, 1):
        try:
            out.append(item(x))
        except _Bad as exc:
            raise _Bad(f"第 {i} 项{exc}") from None
    return tuple(out)


@dataclass(frozen=True)
class Key:
    """One key of ``sscard.toml``: its table, the Settings field it sets, its type and range.

    ``kind`` is one of ``date``, ``number``, ``int``, ``bool``, ``text``,
    ``date_list``, ``int_list``, ``table`` (values by name, names from
    ``names[0]``, each an ``item``: ``int`` or ``number``) and ``table2`` (a
    table of such tables, inner names from ``names[1]``). ``lo``/``hi`` bound
    numbers (``lo_open``: strictly above ``lo``); ``choices`` lists the
    allowed texts (any text when empty); ``report`` says whether the value
    changes what a report shows (it is then part of every report's
    fingerprint).
    """

    table: str
    name: str
    field: str
    kind: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    names: tuple[tuple[str, ...], ...] = ()
    item: str = "int"
    report: bool = True

    @property
    def where(self) -> str:
        return f"[{self.table}] {self.name}"


SCHEMA: tuple[Key, ...] = (
    Key("contract", "start", "start", "date"),
    Key("contract", "end", "end", "date"),
    Key("contract", "price_yuan", "price_yuan", "number", lo=0, lo_open=True),
    Key("contract", "promised_turnover_rate", "promised_turnover_rate", "number", lo=0, hi=1),
    Key("rules", "basic_satisfied_counts", "basic_satisfied_counts", "bool"),
    Key("rules", "late_day_basis", "late_day_basis", "text", choices=("calendar", "working")),
    Key("rules", "report_due_workdays", "report_due_workdays", "int", lo=0, hi=30),
    Key("rules", "due_days", "due_days", "table", lo=1, hi=250, names=(TICKET_TYPES,)),
    Key("rules", "doc_days", "doc_days", "table2", lo=1, hi=250, names=(DOC_TYPES, DIFFICULTIES)),
    Key("calendar", "years", "calendar_years", "int_list", lo=1900, hi=2200),
    Key("calendar", "holidays", "holidays", "date_list"),
    Key("calendar", "workdays", "workdays", "date_list"),
    Key("banks", "weights", "bank_weights", "table", lo=0, names=(tuple(DEFAULT_BANK_WEIGHTS),), item="number"),
    Key("banks", "letter_sender", "letter_sender", "text", report=False),
    Key("inspections", "visits_per_person_day", "visits_per_person_day", "int", lo=1, hi=100, report=False),
    Key("report", "recipient", "report_recipient", "text"),
    Key("report", "author", "report_author", "text"),
    Key("report", "time_limit_minutes", "report_time_limit_minutes", "number", lo=0, lo_open=True, hi=24 * 60, report=False),
)
TABLES = tuple(dict.fromkeys(k.table for k in SCHEMA))


def _suggest(word: str, known) -> str:
    near = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.5)
    return f"；是否想写 {near[0]}？" if near else f"；可用: {', '.join(known)}"


def _in_range(key: Key, x: float, where: str) -> None:
    lo_ok = key.lo is None or (x > key.lo if key.lo_open else x >= key.lo)
    if not lo_ok or (key.hi is not None and x > key.hi):
        if key.lo is not None and key.hi is not None and not key.lo_open:
            raise _Bad(f"应在 {key.lo:g} 到 {key.hi:g} 之间，不是 {x:g}")
        lo = "" if key.lo is None else (f"大于 {key.lo:g}" if key.lo_open else f"不小于 {key.lo:g}")
        hi = "" if key.hi is None else f"不大于 {key.hi:g}"
        raise _Bad(f"应{' 且'.join(p for p in (lo, hi) if p)}，不是 {x:g}")


def _table(key: Key, value: object, names: tuple[str, ...], label: str, problems: list[str]) -> dict:
    if not isinstance(value, dict):
        problems.append(f"{label}: 应为表，如 [{key.table}.{key.name}]，不是 {value!r}")
        return {}
    out = {}
    for name, x in value.items():
        where = f"{label} \"{name}\""
        if name not in names:
            problems.append(f"{where}: 未知名称{_suggest(name, names)}")
            continue
        try:
            out[name] = _int(x) if key.item == "int" else _number(x)
            _in_range(key, out[name], where)
        except _Bad as exc:
            out.pop(name, None)
            problems.append(f"{where}: {exc}")
    return out


def _convert(key: Key, value: object, defaults: Settings, problems: list[str]) -> object:
    """The Settings value of one key, or None after appending its problems."""
    label = key.where
    try:
        if key.kind == "date":
            return _date(value)
        if key.kind in ("number", "int"):
            x = _number(value) if key.kind == "number" else _int(value)
            _in_range(key, x, label)
            return x
        if key.kind == "bool":
            return _bool(value)
        if key.kind == "text":
            if key.choices and (not isinstance(value, str) or value not in key.choices):
                raise _Bad(f"应为 {' 或 '.join(repr(c) for c in key.choices)}，不是 {value!r}")
            if not isinstance(value, str) or not value.strip():
                raise _Bad(f"应为文字（加引号），不是 {value!r}")
            return value
        if key.kind == "date_list":
            return _list(value, _date)
        if key.kind == "int_list":
            out = _list(value, _int)
            for x in out:
                _in_range(key, x, label)
            return out
        if key.kind == "table":
            return {**getattr(defaults, key.field), **_table(key, value, key.names[0], label, problems)}
        if key.kind == "table2":
            merged = {k: dict(v) for k, v in getattr(defaults, key.field).items()}
            if not isinstance(value, dict):
                raise _Bad(f"应为表，如 [{key.table}.{key.name}.规划方案]，不是 {value!r}")
            for outer, table in value.items():
                if outer not in key.names[0]:
                    problems.append(f"{label} \"{outer}\": 未知名称{_suggest(outer, key.names[0])}")
                    continue
                merged.setdefault(outer, {}).update(_table(key, table, key.names[1], f"{label} \"{outer}\"", problems))
            return merged
    except _Bad as exc:
        problems.append(f"{label}: {exc}")
        return None
    raise AssertionError(f"unknown kind {key.kind}")  # pragma: no cover - SCHEMA is fixed


def parse_settings(raw: dict, origin: str = SETTINGS_FILE) -> Settings:
    """Settings from the parsed TOML tables, checked against :data:`SCHEMA`.

    Raises
    ------
    SettingsError
        Every problem at once, one Chinese line each, prefixed with ``origin``.
    """
    problems: list[str] = []
    by_table: dict[str, dict[str, Key]] = {}
    for key in SCHEMA:
        by_table.setdefault(key.table, {})[key.name] = key
    defaults = Settings()
    kw: dict = {}
    for table, content in raw.items():
        if table not in by_table:
            problems.append(f"[{table}]: 未知的表{_suggest(table, TABLES)}")
            continue
        if not isinstance(content, dict):
            problems.append(f"{table}: 应写成表 [{table}]，不是 {content!r}")
            continue
        for name, value in content.items():
            key = by_table[table].get(name)
            if key is None:
                problems.append(f"[{table}] {name}: 未知设置{_suggest(name, by_table[table])}")
                continue
            v = _convert(key, value, defaults, problems)
            if v is not None:
                kw[key.field] = v
    if "start" in kw and "end" not in kw:
        kw["end"] = None
    if not problems:
        try:
            return replace(defaults, **kw) if kw else defaults
        except SettingsError as exc:
            problems.append(str(exc))
    raise SettingsError("\n".join(f"{origin}: {p}" for p in problems))


def load_settings(data_dir: Path | str | None) -> Settings:
    """Read ``sscard.toml`` from the data folder (defaults when absent), checked against :data:`SCHEMA`.

    Tables: ``[contract]`` (start, end, price_yuan, promised_turnover_rate),
    ``[rules]`` (basic_satisfied_counts, late_day_basis, report_due_workdays),
    ``[rules.due_days]`` (ticket type -> working days),
    ``[rules.doc_days.<type>]`` (difficulty -> working days), ``[calendar]``
    (years, holidays, workdays), ``[banks]`` (letter_sender),
    ``[banks.weights]`` (component -> weight), ``[inspections]``
    (visits_per_person_day) and ``[report]`` (recipient, author: 报送单位 and
    编制单位 on the report cover; time_limit_minutes for ``run-due``).
    """
    path = settings_file(data_dir)
    if path is None:
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: 不是 UTF-8 编码的文本，请另存为 UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: TOML 格式错误（{exc}）") from None
    return parse_settings(raw, str(path))


def report_settings(settings: Settings) -> dict:
    """The settings that change what a report shows, as plain values (for a report's fingerprint)."""
    def plain(v):
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, (tuple, list)):
            return sorted(plain(x) for x in v)
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in sorted(v.items())}
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    return {k.field: plain(getattr(settings, k.field)) for k in SCHEMA if k.report}


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts): lock holders and build folders of dead runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
