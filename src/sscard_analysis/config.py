"""Paths and the deployment's contract settings (``sscard.toml``).

This is the one module that knows where things live (cookiecutter-data-science
``config.py``) and what the defaults are where the purchaser's requirements
give no figure (DATA_CONTRACT.md, preamble and section 1).
"""

from __future__ import annotations

import calendar as _cal
import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
INTERIM_DIR = DATA_DIR / "interim"
SAMPLE_DIR = DATA_DIR / "sample"
REPORTS_DIR = PROJ_ROOT / "reports"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"

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
REVISION_DAYS = 1  # 表2 note 1: a revision after comments is due in 1 working day
# Weights of the banks' yearly outlet assessment (2.2(1), 表1 #2; our defaults, the source gives none):
# on-site inspection score, rectification of findings, phone checks answered, correct answers, complaints per outlet.
DEFAULT_BANK_WEIGHTS = {"inspection": 0.40, "rectification": 0.20, "phone_answer": 0.15, "phone_script": 0.10, "complaints": 0.15}
VISITS_PER_PERSON_DAY = 4  # 表1 #9: outlets one inspector visits in a day, all in one district (our default)
LETTER_SENDER = "广州市人力资源和社会保障数据服务中心"  # who signs the letters to banks (表1 #6, #9; edit per deployment)
# The report cover's 通报 block: to whom the reports go (the purchaser, named in 3.6(1)) and who writes them.
REPORT_RECIPIENT = "广州市人力资源和社会保障数据服务中心"
REPORT_AUTHOR = "广州市社会保障卡服务项目组"


def cache_dir() -> Path:
    """Where parsed files are cached: ``$SSCARD_CACHE_DIR`` or ``data/interim/parsed``."""
    return Path(os.environ.get("SSCARD_CACHE_DIR", INTERIM_DIR / "parsed"))


class SettingsError(ValueError):
    """``sscard.toml`` is malformed."""


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
    report_recipient, report_author : 报送单位 and 编制单位 on the report cover.
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

    def __post_init__(self) -> None:
        if self.end is None:
            object.__setattr__(self, "end", add_months(self.start, 12) - timedelta(days=1))
        if self.end < self.start:
            raise SettingsError(f"contract end {self.end} is before its start {self.start}")
        if self.late_day_basis not in ("working", "calendar"):
            raise SettingsError(f"late_day_basis must be 'working' or 'calendar', not {self.late_day_basis!r}")
        unknown = set(self.bank_weights) - set(DEFAULT_BANK_WEIGHTS)
        if unknown or any(w < 0 for w in self.bank_weights.values()) or not sum(self.bank_weights.values()):
            raise SettingsError(f"[banks.weights]: keys {sorted(DEFAULT_BANK_WEIGHTS)}, non-negative, not all 0; got {self.bank_weights}")
        if self.visits_per_person_day < 1:
            raise SettingsError(f"[inspections] visits_per_person_day must be at least 1, not {self.visits_per_person_day}")
        if self.report_due_workdays < 0:
            raise SettingsError(f"report_due_workdays must be 0 or more, not {self.report_due_workdays!r}")

    @property
    def monthly_fee_yuan(self) -> float:
        """3.3(1): the monthly fee is the contract price divided by 12."""
        return self.price_yuan / 12


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clipped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def _as_date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[union-attr]
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SettingsError(f"{where}: {value!r} is not a date (write 2024-03-01)") from None


def load_settings(data_dir: Path | None) -> Settings:
    """Read ``sscard.toml`` from the data folder (defaults when absent).

    Recognised tables: ``[contract]`` (start, end, price_yuan,
    promised_turnover_rate), ``[rules]`` (basic_satisfied_counts,
    late_day_basis, report_due_workdays), ``[rules.due_days]`` (ticket type -> working days),
    ``[rules.doc_days.<type>]`` (difficulty -> working days) and
    ``[calendar]`` (years, holidays, workdays), ``[banks]`` (letter_sender),
    ``[banks.weights]`` (component -> weight), ``[inspections]``
    (visits_per_person_day) and ``[report]`` (recipient, author: 报送单位 and
    编制单位 on the report cover).
    """
    path = Path(data_dir) / SETTINGS_FILE if data_dir else None
    if path is None or not path.is_file():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from None
    known = {"contract", "rules", "calendar", "banks", "inspections", "report"}
    unknown = set(raw) - known
    if unknown:
        raise SettingsError(f"{path}: unknown table(s) {sorted(unknown)}; expected {sorted(known)}")
    s = Settings()
    c = raw.get("contract", {})
    kw: dict = {}
    if "start" in c:
        kw["start"] = _as_date(c["start"], f"{path} [contract] start")
    if "end" in c:
        kw["end"] = _as_date(c["end"], f"{path} [contract] end")
    if "price_yuan" in c:
        kw["price_yuan"] = float(c["price_yuan"])
    if "promised_turnover_rate" in c:
        kw["promised_turnover_rate"] = float(c["promised_turnover_rate"])
    r = raw.get("rules", {})
    if "basic_satisfied_counts" in r:
        kw["basic_satisfied_counts"] = bool(r["basic_satisfied_counts"])
    if "late_day_basis" in r:
        kw["late_day_basis"] = str(r["late_day_basis"])
    if "report_due_workdays" in r:
        kw["report_due_workdays"] = int(r["report_due_workdays"])
    if "due_days" in r:
        kw["due_days"] = {**s.due_days, **{str(k): int(v) for k, v in r["due_days"].items()}}
    if "doc_days" in r:
        merged = {k: dict(v) for k, v in s.doc_days.items()}
        for doc_type, table in r["doc_days"].items():
            merged.setdefault(doc_type, {}).update({str(k): int(v) for k, v in table.items()})
        kw["doc_days"] = merged
    cal = raw.get("calendar", {})
    if "holidays" in cal:
        kw["holidays"] = tuple(_as_date(v, f"{path} [calendar] holidays") for v in cal["holidays"])
    if "workdays" in cal:
        kw["workdays"] = tuple(_as_date(v, f"{path} [calendar] workdays") for v in cal["workdays"])
    if "years" in cal:
        kw["calendar_years"] = tuple(int(y) for y in cal["years"])
    banks = raw.get("banks", {})
    if "weights" in banks:
        kw["bank_weights"] = {**s.bank_weights, **{str(k): float(v) for k, v in banks["weights"].items()}}
    if "letter_sender" in banks:
        kw["letter_sender"] = str(banks["letter_sender"])
    if "visits_per_person_day" in raw.get("inspections", {}):
        kw["visits_per_person_day"] = int(raw["inspections"]["visits_per_person_day"])
    rep = raw.get("report", {})
    if "recipient" in rep:
        kw["report_recipient"] = str(rep["recipient"])
    if "author" in rep:
        kw["report_author"] = str(rep["author"])
    if "start" in kw and "end" not in kw:
        kw["end"] = None
    return replace(s, **kw) if kw else s
