"""Deterministic sample data: a contract year of messy exports for every ledger.

:func:`write_sample` writes one service year of the exports a deployment
receives (DATA_CONTRACT.md section 2) into a folder, as they look in
practice (section 1, BAD_INPUTS.md): Chinese file names and headers, a
merged title banner and a trailing 合计 row in the monthly ticket files,
Excel datetimes mixed with a few text dates, a handful of damaged rows per
ticket file, two ledgers as CSV (UTF-8 with BOM, GBK), plus ``sscard.toml``.

All personal data is fake: names are drawn from common characters, ID numbers
are random with a valid GB 11643 check digit, phone numbers are random. The
same seed gives the same content, byte for byte for CSV and cell for cell
for xlsx (document properties are fixed).
"""

from __future__ import annotations

import csv
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .ledgers import BANKS, CHANNELS, DISTRICTS, GUIDE_TARGETS, HOTLINE, LEDGERS, PM_POST, POSTS

__all__ = ["write_sample"]

# Fixed document properties keep the xlsx output deterministic.
_CREATED = datetime(2025, 3, 3, 9, 0, 0)
_EXCEL_EPOCH = date(1899, 12, 30)
_END_OF_DAY = 86399.0 / 86400.0

_DT_FMT = "yyyy-mm-dd hh:mm:ss"
_DATE_FMT = "yyyy-mm-dd"
_MONTH_FMT = "yyyy-mm"

# Table 1 posts with the level of each seat (41 seats); names equal POSTS keys.
_POST_SEATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("综合规划（兼项目经理）", ("经理级",)),
    ("服务规划", ("高级", "高级")),
    ("培训与宣传实施", ("高级", "中级", "初级")),
    ("专家坐席", ("高级", "中级")),
    ("工单处理（统筹）", ("中级",)),
    ("工单处理（实施）", ("高级", "中级", "中级", "初级", "初级", "初级", "初级")),
    ("银行专线服务支持", ("中级", "中级", "初级")),
    ("服务指引维护", ("高级", "中级", "初级")),
    ("银行网点现场服务支持", ("高级",) + ("中级",) * 4 + ("初级",) * 8),
    ("业务需求分析和测试", ("中级", "中级")),
    ("社会保障卡应用项目推广与实施管理", ("",)),
    ("社会保障卡应用实施与综合业务管理", ("",)),
    ("社会保障卡应用实施与业务保障", ("", "")),
)
assert [post for post, _ in _POST_SEATS] == list(POSTS), "seats must follow the posts of ledgers.POSTS"
_KEY_POSTS = (PM_POST, "工单处理（统筹）", "专家坐席")
_HANDLER_POSTS = ("工单处理（统筹）", "工单处理（实施）")

# Fake-name material (all characters inside GBK).
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向汤"
)
_COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛"]
_GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建国志文斌宇浩凯健俊帆鹏辉嘉欣怡婷雪琳晨阳"
    "子涵梓轩思雨佳琪雅晴博然诗家豪泽颖慧丹倩芬燕洁海峰佩珊咏晓彤锦荣耀坤铭瑞雯露"
)
_SPECIAL_NAMES = ("买买提·艾力", "John Smith", "Maria Lopez", "Nguyen Van An")

# Guangzhou district codes of GB/T 2260 used as ID-number area codes.
_AREA_CODES = np.array([440103, 440104, 440105, 440106, 440111, 440112, 440113, 440114, 440115, 440117, 440118])
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_MOBILE_PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159,
                             166, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199])

_DISTRICT_NAMES = list(DISTRICTS)
_DISTRICT_P = np.array([0.08, 0.12, 0.08, 0.14, 0.16, 0.08, 0.13, 0.07, 0.05, 0.03, 0.06])
_BANK_NAMES = list(BANKS)
_BANK_P = np.array([0.13, 0.12, 0.10, 0.12, 0.06, 0.10, 0.04, 0.05, 0.04, 0.06, 0.09, 0.03, 0.02, 0.02, 0.02])
_ROADS = [
    "中山", "环市", "东风", "解放", "天河", "体育", "黄埔大道", "广州大道", "江南大道", "工业大道", "滨江", "昌岗",
    "芳村大道", "中山八", "龙津", "白云大道", "机场", "同和", "新市", "石井", "开发大道", "科学大道", "香雪",
    "市桥", "大石", "迎宾", "新华", "花城", "凤凰", "进港大道", "蕉门", "街口", "荔城", "新塘", "五羊", "员村",
    "珠江", "华夏", "林和", "沙河", "瘦狗岭", "北京", "人民", "东华", "越秀", "海珠", "宝岗", "南华", "江燕",
]

_CHANNEL_NAMES = list(CHANNELS)
assert _CHANNEL_NAMES[0] == HOTLINE
# 12345热线 about 65%, the other channels share the rest.
_CHANNEL_P = np.array([0.65, 0.03, 0.01, 0.01, 0.03, 0.06, 0.08, 0.08, 0.03, 0.02])
_TICKET_TYPES = ["咨询", "求助", "投诉", "建议", "表扬", "举报"]
_TICKET_TYPE_P = np.array([0.70, 0.10, 0.12, 0.04, 0.02, 0.02])
_DUE_WORKDAYS = np.array([1, 3, 5, 5, 1, 5])  # by _TICKET_TYPES
_STATUSES = ["", "延期", "重复", "无效", "退单"]
_STATUS_P = np.array([0.972, 0.01, 0.01, 0.005, 0.003])
_CATEGORIES = ["申领", "补换", "挂失", "金融功能激活", "照片回执", "密码", "就医购药", "乘车", "长者饭堂", "文旅", "其他"]
_CATEGORY_P = np.array([0.18, 0.14, 0.08, 0.12, 0.07, 0.08, 0.10, 0.07, 0.04, 0.03, 0.09])
_SPIKE_CATEGORY = "金融功能激活"
_SATISFACTION = ["满意", "基本满意", "不满意", ""]
_SATISFACTION_P = np.array([0.85, 0.08, 0.05, 0.02])
_APPEALS = ["申诉成功", "申诉失败", "申诉中"]
_APPEAL_P = np.array([0.5, 0.35, 0.15])
_HOUR_P = np.array([2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 16, 10, 14, 17, 17, 15, 12, 9, 8, 7, 6, 4, 3], dtype=float)
_HOUR_P /= _HOUR_P.sum()

_CONTENT_LEAD = {
    "咨询": "市民来电咨询", "求助": "市民来电求助，", "投诉": "市民来电投诉，", "建议": "市民来电建议，",
    "表扬": "市民来电表扬，", "举报": "市民来电举报，",
}
_CONTENT_BODY = {
    "申领": ["首次申领第三代社保卡需要准备哪些材料", "为未成年子女申领社保卡的办理渠道和时限",
             "在穗好办APP申领社保卡后多久可以领取", "外省户籍在广州参保人员如何申领社保卡"],
    "补换": ["社保卡损坏后到银行网点补换卡的流程", "社保卡有效期届满如何换领新卡",
             "补换社保卡后原卡医保余额是否自动转移", "补卡后新卡迟迟未寄到，希望尽快核实进度"],
    "挂失": ["社保卡遗失后如何办理临时挂失和正式挂失", "挂失后找回原卡能否解挂继续使用",
             "夜间无法通过电话办理社保卡挂失"],
    "金融功能激活": ["社保卡金融功能激活需要到哪个银行网点办理", "在网点激活金融功能时系统提示失败，反复尝试仍无法激活",
                "新卡金融账户未激活导致养老金无法到账", "手机银行激活社保卡金融功能一直显示处理中"],
    "照片回执": ["社保卡照片回执在哪里办理以及有效期多久", "照片回执编号查询不到，无法提交申领",
               "照相馆拍摄的回执照片审核不通过的原因"],
    "密码": ["社保卡社保密码忘记后如何重置", "社保卡金融密码输错被锁后如何解锁",
             "修改社保卡密码是否需要本人到场"],
    "就医购药": ["在定点药店使用社保卡购药时读卡失败", "异地就医时社保卡能否直接结算",
                 "医院窗口提示社保卡状态异常无法结算"],
    "乘车": ["使用社保卡乘坐地铁和公交的开通方式", "长者社保卡乘车优惠未生效，刷卡仍按全价扣费",
             "社保卡乘车码无法生成"],
    "长者饭堂": ["长者饭堂用餐能否使用社保卡支付", "长者饭堂刷社保卡时提示身份信息不符"],
    "文旅": ["使用社保卡进入公园和博物馆的预约方式", "社保卡借阅图书馆书籍的开通流程"],
    "其他": ["社保卡与电子社保卡的关系及使用区别", "社保卡邮寄地址填写错误如何修改",
             "合作银行网点工作人员对社保卡业务不熟悉"],
}
_SPIKE_BODY = "网点和手机银行社保卡金融功能激活均提示系统繁忙，无法完成激活"


# ---------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------


def _is_workday(day: date) -> bool:
    """State Council working day; weekdays outside the years the calendar package covers."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


class _Calendar:
    """Day-indexed working-day calendar over a fixed window of dates."""

    def __init__(self, first: date, last: date) -> None:
        self.base = first
        n = (last - first).days + 1
        self.dates = [first + timedelta(days=i) for i in range(n)]
        self.work = np.array([_is_workday(d) for d in self.dates])
        self.cum = np.cumsum(self.work)
        self.work_idx = np.flatnonzero(self.work)
        self.base_serial = (first - _EXCEL_EPOCH).days

    def idx(self, day: date) -> int:
        """Index of ``day`` in the window."""
        return (day - self.base).days

    def day(self, i: int | np.integer) -> date:
        """Date of index ``i``."""
        return self.base + timedelta(days=int(i))

    def nth_after(self, i: Any, n: Any) -> Any:
        """Index of the ``n``-th working day after day ``i`` (the day itself never counts)."""
        return self.work_idx[self.cum[i] + np.asarray(n) - 1]

    def workdays(self, first: date, last: date) -> np.ndarray:
        """Indices of the working days in ``[first, last]``."""
        a, b = self.idx(first), self.idx(last)
        w = self.work_idx
        return w[(w >= a) & (w <= b)]

    def first_workday_on_or_after(self, day: date) -> date:
        """``day`` itself when it is a working day, else the next working day."""
        i = self.idx(day)
        return self.day(i if self.work[i] else self.nth_after(i, 1))

    def dt(self, i: int | np.integer, seconds: float = 0.0) -> datetime:
        """Datetime of day ``i`` plus ``seconds``."""
        return datetime.combine(self.day(i), datetime.min.time()) + timedelta(seconds=float(seconds))


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def _months(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar months (year, month) overlapping ``[start, end]``."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _serial(value: date | datetime) -> float:
    """Excel serial number (1900 date system) of a date or datetime."""
    if isinstance(value, datetime):
        delta = value - datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400.0
    return float((value - _EXCEL_EPOCH).days)


# ---------------------------------------------------------------------------
# Fake personal data
# ---------------------------------------------------------------------------


def _names(rng: np.random.Generator, n: int, compound_rate: float = 0.02) -> np.ndarray:
    """``n`` fake Chinese names (object array): surname plus one or two given characters."""
    sur = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    comp = rng.random(n) < compound_rate
    sur[comp] = np.array(_COMPOUND_SURNAMES, dtype=object)[rng.integers(0, len(_COMPOUND_SURNAMES), comp.sum())]
    given = np.array(_GIVEN, dtype=object)
    g1 = given[rng.integers(0, len(given), n)]
    g2 = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    return sur + g1 + g2


def _unique_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct fake names (for staff)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for name in _names(rng, 2 * n, compound_rate=0.03):
            if name not in seen:
                seen.add(name)
                out.append(str(name))
                if len(out) == n:
                    break
    return out


def _id_numbers(rng: np.random.Generator, n: int, born_from: int = 1940, born_to: int = 2005) -> np.ndarray:
    """``n`` fake 18-character resident ID numbers of Guangzhou with a valid check digit."""
    if n == 0:
        return np.array([], dtype=object)
    area = _AREA_CODES[rng.integers(0, len(_AREA_CODES), n)]
    lo = np.datetime64(f"{born_from}-01-01")
    span = (np.datetime64(f"{born_to}-12-31") - lo).astype(int)
    born = lo + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
    seq = rng.integers(0, 1000, n)
    first17 = [f"{a}{b}{s:03d}" for a, b, s in zip(area.tolist(), ymd.tolist(), seq.tolist())]
    digits = (np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48).astype(np.int64)
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return np.array([f + c for f, c in zip(first17, check.tolist())], dtype=object)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` fake phone numbers: mostly mobiles, some ``+86 138-xxxx-xxxx``, some ``020-8xxxxxxx``."""
    pre = _MOBILE_PREFIXES[rng.integers(0, len(_MOBILE_PREFIXES), n)].tolist()
    mid = rng.integers(0, 10000, n).tolist()
    tail = rng.integers(0, 10000, n).tolist()
    form = rng.choice(3, n, p=[0.90, 0.03, 0.07]).tolist()
    land = rng.integers(0, 10_000_000, n).tolist()
    out = []
    for p, a, b, f, ll in zip(pre, mid, tail, form, land):
        if f == 0:
            out.append(f"{p}{a:04d}{b:04d}")
        elif f == 1:
            out.append(f"+86 {p}-{a:04d}-{b:04d}")
        else:
            out.append(f"020-8{ll:07d}")
    return np.array(out, dtype=object)


def _landline(rng: np.random.Generator) -> str:
    """One fake Guangzhou landline."""
    return f"020-{rng.choice([3, 8])}{rng.integers(0, 10_000_000):07d}"


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


@dataclass
class _Table:
    """One sheet to write: headers and column-wise values.

    Values are ``str`` (text), ``int``/``float`` (a number, shown with the
    column's number format), ``date``/``datetime`` (an Excel date) or ``None``
    (no cell). ``formats`` holds a number format per column (or None).
    """

    headers: list[str]
    columns: list[list[Any]]
    formats: list[str | None]

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def _workbook(path: Path, constant_memory: bool = False) -> xlsxwriter.Workbook:
    """A workbook with fixed document properties (deterministic bytes)."""
    options: dict[str, Any] = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    if constant_memory:
        options["constant_memory"] = True
    wb = xlsxwriter.Workbook(str(path), options)
    wb.set_properties({"created": _CREATED, "title": path.stem})
    return wb


def _write_table(wb: xlsxwriter.Workbook, ws: Worksheet, table: _Table, first_row: int) -> int:
    """Write the header row and data rows from ``first_row``; return the next free row."""
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    number_formats = {f: wb.add_format({"num_format": f}) for f in set(table.formats) if f}
    fmts = [number_formats[f] if f else None for f in table.formats]
    date_fmt = number_formats.get(_DATE_FMT) or wb.add_format({"num_format": _DATE_FMT})
    dt_fmt = number_formats.get(_DT_FMT) or wb.add_format({"num_format": _DT_FMT})
    for c, h in enumerate(table.headers):
        ws.write_string(first_row, c, h, head)
    # Unwrapped writers skip xlsxwriter's A1-notation argument check (rows are ints).
    write_string = Worksheet.write_string.__wrapped__  # type: ignore[attr-defined]
    write_number = Worksheet.write_number.__wrapped__  # type: ignore[attr-defined]
    r = first_row + 1
    for row in zip(*table.columns):
        for c, v in enumerate(row):
            t = type(v)
            if t is str:
                if v:
                    write_string(ws, r, c, v)
            elif v is None:
                continue
            elif t is float or t is int:
                write_number(ws, r, c, v, fmts[c])
            elif t is datetime:
                write_number(ws, r, c, _serial(v), fmts[c] or dt_fmt)
            elif t is date:
                write_number(ws, r, c, _serial(v), fmts[c] or date_fmt)
            else:
                write_number(ws, r, c, float(v), fmts[c])
        r += 1
    return r


def _write_xlsx(path: Path, table: _Table, sheet: str = "Sheet1", widths: Sequence[float] | None = None) -> int:
    """Write a one-sheet workbook with the header in row 1; return the data rows written."""
    wb = _workbook(path)
    ws = wb.add_worksheet(sheet)
    for c, w in enumerate(widths or [14] * len(table.headers)):
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 0)
    _write_table(wb, ws, table, 0)
    wb.close()
    return table.n_rows


def _slash_dt(v: datetime) -> str:
    """``2024/5/6 14:03`` (the form Excel gives a datetime in CSV)."""
    return f"{v.year}/{v.month}/{v.day} {v.hour}:{v.minute:02d}"


def _slash_date(v: date) -> str:
    """``2024/5/6``."""
    return f"{v.year}/{v.month}/{v.day}"


def _iso_dt(v: datetime) -> str:
    """``2024-05-06 14:03``."""
    return v.strftime("%Y-%m-%d %H:%M")


def _write_csv(path: Path, table: _Table, encoding: str, dt_text: Callable[[datetime], str],
               date_text: Callable[[date], str]) -> int:
    """Write a CSV file (CRLF line ends, as Excel does); return the data rows written."""

    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, datetime):
            return dt_text(v)
        if isinstance(v, date):
            return date_text(v)
        return str(v)

    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(table.headers)
        for row in zip(*table.columns):
            w.writerow([text(v) for v in row])
    return table.n_rows


def _headers(ledger: str, overrides: dict[str, str] | None = None) -> list[str]:
    """Chinese headers of a ledger in contract order, with some replaced."""
    overrides = overrides or {}
    return [overrides.get(c.name, c.zh) for c in LEDGERS[ledger].columns]


# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------


@dataclass
class _Person:
    staff_id: str
    seat: int
    name: str
    post: str
    level: str
    onboard_on: date
    probation_passed_on: date | None = None
    left_on: date | None = None
    education: str = "本科"
    years_experience: float = 3.0
    unfit_notice_on: date | None = None
    replaced_on: date | None = None
    pay_below: str = ""

    def active(self, day: date) -> bool:
        return self.onboard_on <= day and (self.left_on is None or day <= self.left_on)


def _staff(rng: np.random.Generator, cal: _Calendar, start: date, end: date) -> list[_Person]:
    """41 seats filled before the start, ~5 leavers with their replacements."""
    seats = [(post, level) for post, levels in _POST_SEATS for level in levels]
    names = _unique_names(rng, len(seats) + 8)
    years_by_level = {"经理级": (10, 16), "高级": (6, 12), "中级": (3, 7), "初级": (1, 3), "": (3, 8)}
    people: list[_Person] = []
    pre = cal.workdays(start - timedelta(days=75), start - timedelta(days=5))
    for i, (post, level) in enumerate(seats):
        onboard = cal.day(pre[rng.integers(0, len(pre))])
        lo, hi = years_by_level[level]
        people.append(_Person(
            staff_id=f"SB{i + 1:04d}", seat=i, name=names[i], post=post, level=level, onboard_on=onboard,
            education="硕士" if post == PM_POST else str(rng.choice(["本科", "大专", "硕士"], p=[0.6, 0.25, 0.15])),
            years_experience=float(round(rng.uniform(lo, hi) * 2) / 2),
        ))
    # Leavers: ordinary seats, spread over the year; the first is replaced as unfit.
    leaver_seats = [
        next(i for i, s in enumerate(seats) if s == ("工单处理（实施）", "初级")),
        next(i for i, s in enumerate(seats) if s == ("银行网点现场服务支持", "初级")),
        next(i for i, s in enumerate(seats) if s == ("银行专线服务支持", "初级")),
        next(i for i, s in enumerate(seats) if s == ("培训与宣传实施", "初级")),
        max(i for i, s in enumerate(seats) if s == ("银行网点现场服务支持", "初级")),
    ]
    span = (end - start).days
    for k, seat in enumerate(leaver_seats):
        old = people[seat]
        around = start + timedelta(days=int(span * (k + 1) / 6 + rng.integers(-10, 10)))
        if k == 0:
            notice = cal.first_workday_on_or_after(around)
            old.unfit_notice_on = notice
            replaced = cal.day(cal.nth_after(cal.idx(notice), 13))
            old.replaced_on = replaced
            old.left_on = cal.day(cal.idx(replaced) - 1)
            onboard = replaced
        else:
            old.left_on = cal.first_workday_on_or_after(around)
            onboard = cal.day(cal.nth_after(cal.idx(old.left_on), int(rng.integers(1, 5))))
        lo, hi = years_by_level[old.level]
        people.append(_Person(
            staff_id=f"SB{len(people) + 1:04d}", seat=seat, name=names[len(seats) + k], post=old.post, level=old.level,
            onboard_on=onboard, education=str(rng.choice(["本科", "大专"])),
            years_experience=float(round(rng.uniform(lo, hi) * 2) / 2),
        ))
    for p in people:
        passed = cal.first_workday_on_or_after(add_months(p.onboard_on, 2))
        p.probation_passed_on = passed if passed <= end else None
    # One person paid below standard in the quarter July-September of the first year.
    q3 = next(p for p in people if p.post == "银行网点现场服务支持" and p.left_on is None)
    q3.pay_below = f"{start.year}Q3"
    return people


def _staff_table(people: list[_Person]) -> _Table:
    cols: list[list[Any]] = [
        [p.staff_id for p in people], [p.name for p in people], [p.post for p in people],
        [p.level or None for p in people], ["是" if p.post in _KEY_POSTS else "否" for p in people],
        [p.onboard_on for p in people], [p.probation_passed_on for p in people], [p.left_on for p in people],
        [p.education for p in people], [p.years_experience for p in people],
        [p.unfit_notice_on for p in people], [p.replaced_on for p in people], [p.pay_below or None for p in people],
    ]
    headers = _headers("staff", {"staff_id": "工号（必填）"})
    return _Table(headers, cols, [None, None, None, None, None, _DATE_FMT, _DATE_FMT, _DATE_FMT, None, "0.0",
                                  _DATE_FMT, _DATE_FMT, None])


def _occupants(people: list[_Person], posts: Sequence[str]) -> list[list[_Person]]:
    """Seats of the given posts, each the list of its successive occupants by onboard date."""
    seats: dict[int, list[_Person]] = {}
    for p in people:
        if p.post in posts:
            seats.setdefault(p.seat, []).append(p)
    return [sorted(chain, key=lambda p: p.onboard_on) for _, chain in sorted(seats.items())]


def _who(seats: list[list[_Person]], rng: np.random.Generator, day: date) -> _Person:
    """A random person holding one of the seats on ``day``."""
    active = [p for chain in seats for p in chain if p.active(day)]
    return active[int(rng.integers(0, len(active)))] if active else seats[0][0]


# ---------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------


_TICKET_HEADERS = ["序号"] + _headers("tickets", {"ticket_id": "工单编号（必填）", "phone": "来电号码"})


def _spike_days(cal: _Calendar, start: date, end: date) -> np.ndarray:
    """Indices of the outage week: the week from the third Monday of the first July in the period."""
    for y in (start.year, start.year + 1):
        july = date(y, 7, 15)
        monday = july + timedelta(days=(7 - july.weekday()) % 7)
        if start <= monday and monday + timedelta(days=6) <= end:
            i = cal.idx(monday)
            return np.arange(i, i + 7)
    return np.array([], dtype=int)


def _ticket_rows(rng: np.random.Generator, cal: _Calendar, start: date, end: date, per_month: int,
                 handlers: list[list[_Person]]) -> dict[str, Any]:
    """All tickets of the period, column-wise (numpy arrays), sorted by receipt time."""
    first, last = cal.idx(start), cal.idx(end)
    days = np.arange(first, last + 1)
    weight = np.where(cal.work[days], 1.0, 0.35)
    ym = np.array([cal.dates[i].year * 12 + cal.dates[i].month for i in days])
    lam = np.zeros(len(days))
    for key in np.unique(ym):
        sel = ym == key
        y, m = divmod(int(key) - 1, 12)
        frac = sel.sum() / calendar.monthrange(y, m + 1)[1]
        lam[sel] = per_month * frac * weight[sel] / weight[sel].sum()
    counts = rng.poisson(lam)
    spike = _spike_days(cal, start, end)
    spike_counts = rng.poisson(2.0 * lam[spike - first]) if len(spike) else np.array([], dtype=int)
    day = np.concatenate([np.repeat(days, counts), np.repeat(spike, spike_counts)])
    is_spike = np.concatenate([np.zeros(counts.sum(), bool), np.ones(spike_counts.sum(), bool)])
    n = len(day)
    secs = rng.choice(24, n, p=_HOUR_P) * 3600 + rng.integers(0, 3600, n)
    order = np.lexsort((secs, day))
    day, secs, is_spike = day[order], secs[order], is_spike[order]

    channel = rng.choice(len(_CHANNEL_NAMES), n, p=_CHANNEL_P)
    ttype = rng.choice(len(_TICKET_TYPES), n, p=_TICKET_TYPE_P)
    category = rng.choice(len(_CATEGORIES), n, p=_CATEGORY_P)
    category[is_spike] = _CATEGORIES.index(_SPIKE_CATEGORY)
    status = rng.choice(len(_STATUSES), n, p=_STATUS_P)
    district = rng.choice(len(_DISTRICT_NAMES), n, p=_DISTRICT_P)
    district_suffix = rng.random(n) < 0.5
    district_missing = rng.random(n) < 0.03
    bank = np.where((rng.random(n) < 0.4) | (is_spike & (rng.random(n) < 0.8)),
                    rng.choice(len(_BANK_NAMES), n, p=_BANK_P), -1)

    # Deadlines: end of the N-th working day after receipt; 延期 adds five more.
    due_day = cal.nth_after(day, _DUE_WORKDAYS[ttype])
    extended = status == 1
    eff_due = np.where(extended, cal.nth_after(due_day, 5), due_day)
    due_given = extended | (rng.random(n) < 0.8)

    # Closure: within the deadline, a few late (hotline ~0.4%, other channels ~2%).
    nd = _DUE_WORKDAYS[ttype]
    k = np.minimum((rng.random(n) ** 1.7 * (nd + 1)).astype(int), nd)
    close_day = np.where(k == 0, day, cal.nth_after(day, np.maximum(k, 1)))
    close_day = np.where(extended, cal.nth_after(due_day, rng.integers(1, 6, n)), close_day)
    hotline = channel == 0
    late = (status == 0) & (rng.random(n) < np.where(hotline, 0.0037, 0.02))
    close_day = np.where(late, cal.nth_after(eff_due, rng.integers(1, 4, n)), close_day)
    close_day = np.where((status == 2) | (status == 3), day, close_day)
    same_day = close_day == day
    close_secs = np.where(same_day, np.minimum(secs + rng.integers(600, 14400, n), 86340),
                          9 * 3600 + rng.integers(0, 9 * 3600, n))
    open_ = status == 4
    # A few hotline tickets never closed though long overdue.
    overdue_pool = np.flatnonzero(hotline & (status == 0) & (eff_due < last - 5) & (day > last - 60))
    if len(overdue_pool):
        open_[rng.choice(overdue_pool, min(3, len(overdue_pool)), replace=False)] = True
    # Closures after the end of the data are not known yet.
    open_ |= (close_day > last)

    sat = np.where(hotline & ~open_ & (status <= 1), rng.choice(4, n, p=_SATISFACTION_P), 3)
    appeal = np.where((sat == 2) & (rng.random(n) < 0.3), rng.choice(3, n, p=_APPEAL_P), -1)

    handler_ids = np.empty(n, dtype=object)
    seat = rng.integers(0, len(handlers), n)
    for s, chain in enumerate(handlers):
        sel = seat == s
        starts = np.array([cal.idx(p.onboard_on) for p in chain])
        ends = np.array([cal.idx(p.left_on) if p.left_on else len(cal.dates) for p in chain])
        pos = np.clip(np.searchsorted(starts, day[sel], side="right") - 1, 0, len(chain) - 1)
        ids = np.array([p.staff_id for p in chain], dtype=object)[pos]
        # A vacant seat's tickets go to the first seat (工单处理（统筹）, never vacant).
        ids[day[sel] > ends[pos]] = handlers[0][0].staff_id
        handler_ids[sel] = ids

    names = _names(rng, n)
    names[rng.random(n) < 0.03] = None
    ids = np.where(rng.random(n) < 0.65, _id_numbers(rng, n), None)
    phones = np.where(rng.random(n) < 0.93, _phones(rng, n), None)

    body_pick = rng.integers(0, 1000, n)
    leak = rng.random(n) < 0.02
    contents = []
    for i in range(n):
        cat = _CATEGORIES[category[i]]
        body = _SPIKE_BODY if is_spike[i] else _CONTENT_BODY[cat][body_pick[i] % len(_CONTENT_BODY[cat])]
        text = _CONTENT_LEAD[_TICKET_TYPES[ttype[i]]] + body + "。"
        if leak[i]:
            if ids[i] is not None and i % 2:
                text += f"来电人身份证号{ids[i]}，请核实。"
            elif phones[i] is not None:
                text += f"请回电{phones[i]}。"
        contents.append(text)

    return dict(day=day, secs=secs, channel=channel, ttype=ttype, category=category, status=status,
                district=district, district_suffix=district_suffix, district_missing=district_missing,
                bank=bank, due=eff_due, due_given=due_given, close_day=close_day, close_secs=close_secs,
                open=open_, sat=sat, appeal=appeal, handler=handler_ids, content=np.array(contents, dtype=object),
                name=names, id_number=ids, phone=phones)


def _obj(values: np.ndarray, mask: np.ndarray | None = None) -> list[Any]:
    """Python list of ``values`` with None where ``mask`` is False."""
    out = values.astype(object)
    if mask is not None:
        out[~mask] = None
    return out.tolist()


def _ticket_month_columns(t: dict[str, Any], sel: np.ndarray, cal: _Calendar, status_normal: str,
                          rng: np.random.Generator) -> list[list[Any]]:
    """Columns of one monthly ticket file (序号 left empty, numbered just before writing)."""
    day = t["day"][sel]
    n = len(day)
    seq = np.zeros(n, dtype=int)
    if n:
        new_day = np.r_[True, day[1:] != day[:-1]]
        starts = np.flatnonzero(new_day)
        seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    ymd = [cal.dates[i].strftime("%Y%m%d") for i in day.tolist()]
    ticket_id = [f"GZ{d}{s:05d}" for d, s in zip(ymd, seq.tolist())]
    received = (cal.base_serial + day + t["secs"][sel] / 86400.0).tolist()
    # A few text dates, as hand-edited exports hold them.
    n_text = max(3, n // 300)
    for j, i in enumerate(rng.choice(n, min(n_text, n), replace=False).tolist() if n else []):
        dt = cal.dt(day[i], t["secs"][sel][i])
        received[i] = (_slash_dt(dt), f"{dt.year}年{dt.month}月{dt.day}日", dt.strftime("%Y%m%d"))[j % 3]
    channel = np.array(_CHANNEL_NAMES, dtype=object)[t["channel"][sel]]
    syn = rng.random(n) < 0.01
    channel[syn & (t["channel"][sel] == 0)] = "12345政务服务便民热线"
    status = np.array(_STATUSES, dtype=object)[t["status"][sel]]
    status[status == ""] = status_normal
    district = np.array(_DISTRICT_NAMES, dtype=object)[t["district"][sel]]
    district = np.where(t["district_suffix"][sel], district + "区", district)
    district[t["district_missing"][sel]] = None
    bank_idx = t["bank"][sel]
    bank = np.where(bank_idx >= 0, np.array(_BANK_NAMES + [""], dtype=object)[bank_idx], None)
    syn_bank = (bank_idx >= 0) & (rng.random(n) < 0.05)
    for i in np.flatnonzero(syn_bank).tolist():
        synonyms = BANKS[_BANK_NAMES[bank_idx[i]]]
        if synonyms:
            bank[i] = synonyms[i % len(synonyms)]
    due = _obj(cal.base_serial + t["due"][sel] + _END_OF_DAY, t["due_given"][sel])
    closed_serial = cal.base_serial + t["close_day"][sel] + t["close_secs"][sel] / 86400.0
    closed = _obj(closed_serial, ~t["open"][sel])
    for i in rng.choice(n, min(max(1, n // 500), n), replace=False).tolist() if n else []:
        if closed[i] is not None:
            closed[i] = _slash_dt(cal.dt(t["close_day"][sel][i], t["close_secs"][sel][i]))
    sat = np.array(_SATISFACTION + [None], dtype=object)[t["sat"][sel]]
    sat[sat == ""] = None
    appeal = np.array(_APPEALS + [None], dtype=object)[t["appeal"][sel]]
    ttype = np.array(_TICKET_TYPES, dtype=object)[t["ttype"][sel]]
    category = np.array(_CATEGORIES, dtype=object)[t["category"][sel]]
    names = t["name"][sel].copy()
    if n >= 4:
        # Every file holds a name with a middle dot and a Latin name.
        names[n // 3] = _SPECIAL_NAMES[0]
        names[2 * n // 3] = _SPECIAL_NAMES[1 + int(day[0]) % 3]
    return [[None] * n, ticket_id, channel.tolist(), received, ttype.tolist(), [s or None for s in status.tolist()],
            category.tolist(), district.tolist(), bank.tolist(), due, closed, sat.tolist(), appeal.tolist(),
            t["handler"][sel].tolist(), t["content"][sel].tolist(), names.tolist(), t["id_number"][sel].tolist(),
            t["phone"][sel].tolist()]


# Column positions in the ticket columns (序号 first).
_T_SEQ, _T_ID, _T_CHANNEL, _T_RECEIVED, _T_CLOSED, _T_ID_NUMBER, _T_PHONE = 0, 1, 2, 3, 10, 16, 17
_BAD_KINDS = ("empty_id", "bad_received", "unknown_channel", "id_as_number", "id_bad_check", "bad_phone", "dup_row")


def _inject_bad_rows(cols: list[list[Any]], rng: np.random.Generator, month_no: int) -> list[str]:
    """Damage 3-6 rows of one monthly file in place; return the kinds applied.

    The duplicate row is a copy-paste: it repeats its 序号 too.
    """
    n = len(cols[0])
    cols[_T_SEQ][:] = list(range(1, n + 1))
    if n < 10:
        return []
    kinds = sorted(rng.choice(len(_BAD_KINDS), int(rng.integers(3, 7)), replace=False).tolist())
    rows = rng.choice(np.arange(1, n - 1), len(kinds), replace=False).tolist()
    applied = []
    for kind_no, r in zip(kinds, rows):
        kind = _BAD_KINDS[kind_no]
        if kind == "empty_id":
            cols[_T_ID][r] = None
        elif kind == "bad_received":
            cols[_T_RECEIVED][r] = "#N/A" if month_no % 2 else f"{2024 + month_no % 2}-13-45"
        elif kind == "unknown_channel":
            cols[_T_CHANNEL][r] = "现场来访" if month_no % 2 else "微信留言"
        elif kind == "id_as_number":
            ids = [i for i in range(n) if isinstance(cols[_T_ID_NUMBER][i], str) and cols[_T_ID_NUMBER][i][-1] != "X"]
            if ids:
                r = ids[int(rng.integers(0, len(ids)))]
                cols[_T_ID_NUMBER][r] = float(f"{float(cols[_T_ID_NUMBER][r]):.15g}")
        elif kind == "id_bad_check":
            ids = [i for i in range(n) if isinstance(cols[_T_ID_NUMBER][i], str)]
            if ids:
                r = ids[int(rng.integers(0, len(ids)))]
                v = cols[_T_ID_NUMBER][r]
                cols[_T_ID_NUMBER][r] = v[:17] + ("0" if v[17] != "0" else "1")
        elif kind == "bad_phone":
            cols[_T_PHONE][r] = f"1{int(rng.integers(30, 90))}{int(rng.integers(0, 10_000_000)):07d}"
        elif kind == "dup_row":
            for col in cols:
                col.insert(r + 1, col[r])
        applied.append(kind)
    return applied


def _write_ticket_file(path: Path, banner: str, cols: list[list[Any]]) -> int:
    """One monthly ticket workbook: merged banner, header, data, 合计 row."""
    n = len(cols[0])
    table = _Table(_TICKET_HEADERS, cols,
                   [None, None, None, _DT_FMT, None, None, None, None, None, _DT_FMT, _DT_FMT] + [None] * 7)
    wb = _workbook(path, constant_memory=True)
    ws = wb.add_worksheet(path.stem[-8:])
    widths = [7, 18, 14, 19, 9, 9, 12, 9, 12, 19, 19, 11, 9, 9, 48, 10, 20, 17]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    ws.set_row(0, 26)
    ws.merge_range(0, 0, 0, len(_TICKET_HEADERS) - 1, banner, title)
    r = _write_table(wb, ws, table, 1)
    ws.write_string(r, 0, "合计")
    ws.write_number(r, 1, n)
    wb.close()
    return n


def _write_tickets(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                   per_month: int, people: list[_Person]) -> int:
    """Monthly ticket files ``工单台账YYYY年MM月.xlsx``; return the data rows written."""
    t = _ticket_rows(rng, cal, start, end, per_month, _occupants(people, _HANDLER_POSTS))
    months = _months(start, end)
    dates_ym = np.array([cal.dates[i].year * 12 + cal.dates[i].month - 1 for i in t["day"].tolist()])
    month_cols = []
    for k, (y, m) in enumerate(months):
        sel = dates_ym == y * 12 + m - 1
        cols = _ticket_month_columns(t, sel, cal, "正常" if k % 2 else "", rng)
        month_cols.append((sel, cols))
    # Re-export: one ticket of the fourth month's last days appears again next month, closed later.
    if len(months) >= 5:
        sel, cols = month_cols[3]
        idx = np.flatnonzero(sel)
        cand = [j for j, i in enumerate(idx.tolist())
                if not t["open"][i] and t["status"][i] == 0 and t["close_day"][i] < t["due"][i]
                and t["day"][i] >= t["day"][idx[-1]] - 4 and isinstance(cols[_T_RECEIVED][j], float)]
        if cand:
            j = cand[len(cand) // 2]
            i = idx[j]
            row = [col[j] for col in cols]
            later = cal.nth_after(t["close_day"][i], 1)
            row[_T_CLOSED] = cal.base_serial + float(later) + (10 * 3600 + 1234) / 86400.0
            nxt = month_cols[4][1]
            pos = min(5, len(nxt[0]))
            for c, col in enumerate(nxt):
                col.insert(pos, row[c])
    total = 0
    for k, ((y, m), (_, cols)) in enumerate(zip(months, month_cols)):
        _inject_bad_rows(cols, rng, k)
        total += _write_ticket_file(out_dir / f"工单台账{y}年{m:02d}月.xlsx", f"{y}年{m}月社保卡工单台账", cols)
    return total


# ---------------------------------------------------------------------------
# Outlets and inspections
# ---------------------------------------------------------------------------


@dataclass
class _Outlets:
    ids: list[str]
    active: np.ndarray  # bool: status 正常


def _write_outlets(out_dir: Path, rng: np.random.Generator, start: date, end: date) -> tuple[int, _Outlets]:
    n = 2230
    bank = rng.choice(len(_BANK_NAMES), n, p=_BANK_P)
    district = rng.choice(len(_DISTRICT_NAMES), n, p=_DISTRICT_P)
    road = rng.integers(0, len(_ROADS), n)
    ids = [f"WD{i + 1:04d}" for i in range(n)]
    names, banks, districts, addresses = [], [], [], []
    for i in range(n):
        b, d, r = _BANK_NAMES[bank[i]], _DISTRICT_NAMES[district[i]], _ROADS[road[i]]
        full = BANKS[b][0] if BANKS[b] and BANKS[b][0].startswith("中国") else b
        city = "" if full.startswith("广州") else "广州"
        names.append(f"{full}{city}{r}{'支行' if i % 4 else '分理处'}")
        banks.append(BANKS[b][-1] if BANKS[b] and i % 37 == 0 else b)
        districts.append(d + "区" if i % 3 else d)
        addresses.append(f"广州市{d}区{r}{'路' if not r.endswith('道') else ''}{int(rng.integers(1, 900))}号")
    status = np.array(["正常"] * n, dtype=object)
    stopped = rng.choice(n, 20, replace=False)
    status[stopped[:12]] = "暂停"
    status[stopped[12:]] = "撤销"
    opened = [date(2008, 1, 1) + timedelta(days=int(x)) for x in rng.integers(0, (start - date(2008, 1, 1)).days, n)]
    for i in rng.choice(n, 10, replace=False).tolist():
        opened[i] = start + timedelta(days=int(rng.integers(10, (end - start).days - 30)))
        status[i] = "正常"
    closed = [start + timedelta(days=int(rng.integers(20, (end - start).days))) if s == "撤销" else None
              for s in status.tolist()]
    instant = np.where(rng.random(n) < 0.5, "是", "否").tolist()
    table = _Table(
        _headers("outlets", {"district": "行政区"}),
        [ids, names, banks, districts, addresses, [_landline(rng) for _ in range(n)], instant, status.tolist(),
         opened, closed],
        [None, None, None, None, None, None, None, None, _DATE_FMT, _DATE_FMT],
    )
    rows = _write_xlsx(out_dir / "合作银行网点名录.xlsx", table, "网点名录", [9, 30, 14, 8, 34, 14, 9, 7, 12, 12])
    return rows, _Outlets(ids, status == "正常")


_ISSUES = [
    "社保卡业务宣传折页摆放不足", "叫号机故障未及时报修", "工作人员对金融功能激活口径不熟悉",
    "即时制卡机卡片耗材不足", "服务指引未更新为最新版本", "网点环境卫生有待改善", "业务登记簿记录不完整",
    "安全管理制度未上墙", "客户等候时间较长", "制卡设备密码未按规定保管",
]


def _write_outlet_inspections(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                              outlets: _Outlets, people: list[_Person]) -> int:
    pool = np.flatnonzero(outlets.active)
    distinct = rng.choice(pool, min(2150, len(pool)), replace=False)
    visits = np.concatenate([distinct, rng.choice(distinct, 150)])
    n = len(visits)
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    inspectors = _occupants(people, ("银行网点现场服务支持",))
    scores = np.clip(np.rint(rng.normal(91, 5, (n, 5))), 55, 100)
    low = rng.random(n) < 0.03
    scores[low, rng.integers(0, 5, low.sum())] -= rng.integers(15, 30, low.sum())
    has_issue = rng.random(n) < 0.15
    issues = [(_ISSUES[int(rng.integers(0, len(_ISSUES)))] if h else None) for h in has_issue.tolist()]
    rectified = [("是" if rng.random() < 0.85 else "否") if h else None for h in has_issue.tolist()]
    table = _Table(
        _headers("outlet_inspections"),
        [[f"JC{cal.dates[d].strftime('%Y%m')}{i + 1:05d}" for i, d in enumerate(day.tolist())],
         [outlets.ids[v] for v in visits[rng.permutation(n)].tolist()],
         [cal.day(d) for d in day.tolist()],
         [_who(inspectors, rng, cal.day(d)).name for d in day.tolist()],
         *[np.maximum(scores[:, j], 0).astype(int).tolist() for j in range(5)],
         issues, rectified],
        [None, None, _DATE_FMT, None, None, None, None, None, None, None, None],
    )
    return _write_xlsx(out_dir / "网点现场检查记录.xlsx", table, "检查记录", [18, 9, 12, 9, 9, 9, 9, 9, 12, 30, 9])


def _yes_no(ok: np.ndarray, applies: np.ndarray) -> list[str | None]:
    """是/否 where ``applies``, else None."""
    return [("是" if o else "否") if a else None for o, a in zip(ok.tolist(), applies.tolist())]


def _write_phone_checks(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                        outlets: _Outlets, people: list[_Person]) -> int:
    n = 2300
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    secs = rng.integers(9 * 3600, 17 * 3600, n)
    order = np.lexsort((secs, day))
    day, secs = day[order], secs[order]
    pool = np.flatnonzero(outlets.active)
    outlet = pool[rng.integers(0, len(pool), n)]
    answered = rng.random(n) < 0.95
    service_ok = rng.random(n) < 0.97
    script_ok = rng.random(n) < 0.94
    checkers = _occupants(people, ("银行专线服务支持", "银行网点现场服务支持"))
    notes = []
    for a, s in zip(answered.tolist(), script_ok.tolist()):
        if not a:
            notes.append(str(rng.choice(["无人接听", "占线", "电话停机"])))
        elif not s:
            notes.append("业务口径有误，已现场反馈并纠正")
        else:
            notes.append(None)
    table = _Table(
        _headers("phone_checks"),
        [[f"DH{i + 1:05d}" for i in range(n)], [outlets.ids[o] for o in outlet.tolist()],
         [cal.dt(d, s) for d, s in zip(day.tolist(), secs.tolist())],
         ["是" if a else "否" for a in answered.tolist()], _yes_no(service_ok, answered), _yes_no(script_ok, answered),
         [_who(checkers, rng, cal.day(d)).name for d in day.tolist()], notes],
        [None] * 8,
    )
    return _write_csv(out_dir / "电话巡检记录.csv", table, "utf-8-sig", _iso_dt, date.isoformat)


# ---------------------------------------------------------------------------
# Trainings, publications, guide checks
# ---------------------------------------------------------------------------


_TRAINING = {
    "内部培训": (("项目组全体人员", "工单处理组", "网点服务支持组", "银行专线组"),
             ("社保卡业务口径更新", "工单办理规范", "服务礼仪与沟通技巧", "个人信息保护与保密要求", "金融功能激活流程",
              "即时制卡业务知识", "应急预案演练"), (8, 45)),
    "外部培训": (("合作银行网点人员", "12345热线话务员", "银行专线客服人员", "应用单位经办人员"),
             ("社保卡申领与补换业务", "社保卡金融功能激活", "社保卡常见问题解答", "即时制卡操作规范",
              "社保卡应用场景介绍"), (15, 120)),
    "宣讲": (("企业", "学校", "社区", "社会团体", "产业园区"),
           ("第三代社保卡功能介绍", "社保卡一卡通应用", "电子社保卡使用指引", "防范社保卡诈骗"), (30, 300)),
}


def _write_trainings(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                     people: list[_Person]) -> int:
    counts = {"内部培训": int(rng.integers(103, 108)), "外部培训": int(rng.integers(148, 153)),
              "宣讲": int(rng.integers(43, 47))}
    wdays = cal.workdays(start, end)
    trainers = _occupants(people, ("培训与宣传实施", "专家坐席", "服务规划"))
    rows = []
    for kind, count in counts.items():
        audiences, topics, (lo, hi) = _TRAINING[kind]
        for d in wdays[rng.integers(0, len(wdays), count)].tolist():
            rows.append((d, kind, audiences[int(rng.integers(0, len(audiences)))],
                         topics[int(rng.integers(0, len(topics)))], int(rng.integers(lo, hi))))
    rows.sort(key=lambda r: (r[0], r[1]))
    table = _Table(
        _headers("trainings"),
        [[f"PX{i + 1:04d}" for i in range(len(rows))], [cal.day(r[0]) for r in rows], [r[1] for r in rows],
         [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows],
         [_who(trainers, rng, cal.day(r[0])).name for r in rows]],
        [None, _DATE_FMT, None, None, None, None, None],
    )
    return _write_xlsx(out_dir / "培训与宣讲记录.xlsx", table, "培训与宣讲", [8, 12, 10, 16, 26, 7, 9])


def _write_publications(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date) -> int:
    wdays = cal.workdays(start, end)
    items: list[tuple[str, tuple[str, ...], int | None]] = []
    for kind, count, titles in (
        ("推文", 9, ("社保卡金融功能激活指南", "第三代社保卡申领攻略", "社保卡挂失怎么办", "长者乘车优惠使用说明",
                    "电子社保卡扫码就医", "社保卡服务网点查询")),
        ("培训材料", 4, ("网点业务培训手册", "热线话务口径汇编", "即时制卡操作指引")),
        ("活动简讯", 3, ("社保卡进社区活动", "社保卡服务宣传周", "社保卡进校园")),
        ("应用推广材料", 11, ("社保卡就医购药应用推广", "社保卡乘车应用推广", "社保卡文旅应用推广", "长者饭堂应用推广")),
        ("视频", 3, ("社保卡申领动画短片", "金融功能激活操作视频")),
    ):
        items += [(kind, titles, None)] * count
    # Printed material: copies of all batches sum to about 160,000.
    printed = [("海报", int(rng.integers(15, 30)) * 100) for _ in range(3)]
    printed += [("展架", int(rng.integers(10, 30)) * 10) for _ in range(2)]
    rest = int(rng.integers(158, 163)) * 1000 - sum(c for _, c in printed)
    leaflets = [int(round(rest * x, -3)) for x in rng.dirichlet(np.full(5, 8.0))[:-1]]
    printed += [("宣传折页", c) for c in leaflets + [rest - sum(leaflets)]]
    items += [(kind, ("社保卡服务" + kind,), copies) for kind, copies in printed]
    items = [items[i] for i in rng.permutation(len(items))]
    day = np.sort(wdays[rng.integers(0, len(wdays), len(items))])
    seen: dict[str, int] = {}
    titles_out = []
    for kind, titles, copies in items:
        k = seen.get(kind, 0)
        seen[kind] = k + 1
        titles_out.append(f"{titles[k % len(titles)]}（第{k + 1}批）" if copies else f"{titles[k % len(titles)]}（{k + 1}）")
    table = _Table(
        _headers("publications"),
        [[f"XC{i + 1:03d}" for i in range(len(items))], [cal.day(d) for d in day.tolist()],
         [it[0] for it in items], titles_out, [it[2] for it in items]],
        [None, _DATE_FMT, None, None, "#,##0"],
    )
    return _write_xlsx(out_dir / "宣传材料与推文.xlsx", table, "宣传材料", [8, 12, 12, 34, 10])


def _write_guide_checks(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                        people: list[_Person]) -> int:
    wdays = cal.workdays(start, end)
    per_day = np.where(rng.random(len(wdays)) < 0.6, 2, 3)
    per_day[rng.choice(len(wdays), 5, replace=False)] = 1
    targets = list(GUIDE_TARGETS)
    checkers = _occupants(people, ("服务指引维护",))
    rows: list[list[Any]] = []
    for d, k in zip(wdays.tolist(), per_day.tolist()):
        secs = np.sort(rng.integers(9 * 3600, 17 * 3600 + 1800, k))
        for tgt, s in zip(rng.choice(len(targets), k, replace=False).tolist(), secs.tolist()):
            need = rng.random() < 0.08
            upd = cal.day(cal.nth_after(d, int(rng.integers(1, 3)))) if need else None
            rows.append([cal.dt(d, s), targets[tgt], "需更新" if need else "正常", upd,
                         _who(checkers, rng, cal.day(d)).name])
    table = _Table(
        _headers("guide_checks"),
        [[f"ZY{i + 1:05d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)],
        [None] * 6,
    )
    return _write_csv(out_dir / "服务指引检查记录.csv", table, "gbk", _slash_dt, _slash_date)


# ---------------------------------------------------------------------------
# Documents and deliverables
# ---------------------------------------------------------------------------


_DOC_TYPES = ["规划方案", "宣传推文", "函件通知", "来文办阅", "会议材料"]
_DOC_TYPE_P = np.array([0.2, 0.25, 0.3, 0.15, 0.1])
_DOC_DAYS = {"规划方案": (2, 3, 4), "宣传推文": (1, 2, 3), "函件通知": (1, 2, 3)}
_DIFFICULTY = ["简单", "中等", "困难", ""]
_DOC_TITLES = {
    "规划方案": ("社保卡服务优化方案", "网点服务提升工作方案", "社保卡应用推广计划"),
    "宣传推文": ("社保卡便民服务推文", "政务信息：社保卡服务进展", "社保卡应用宣传稿"),
    "函件通知": ("关于社保卡业务调整的通知", "致合作银行的工作联系函", "社保卡服务情况报告"),
    "来文办阅": ("上级来文办理意见", "关于社保卡工作的来文阅办"),
    "会议材料": ("社保卡工作会议汇报材料", "季度工作推进会材料"),
}


def _write_documents(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date) -> int:
    n = 150
    wdays = cal.workdays(start, end)
    day = np.sort(wdays[rng.integers(0, len(wdays), n)])
    req_secs = rng.integers(9 * 3600, 17 * 3600 + 1800, n)
    dtype = rng.choice(len(_DOC_TYPES), n, p=_DOC_TYPE_P)
    diff = rng.choice(4, n, p=[0.35, 0.4, 0.15, 0.1])
    end_i = cal.idx(end)
    # The last requests of the year are left alone (their outcome lies after the data).
    eligible = np.flatnonzero(day < end_i - 20)
    picks = rng.choice(eligible, 6 + 2 + 8, replace=False)
    late, approved, revised = set(picks[:6].tolist()), set(picks[6:8].tolist()), set(picks[8:].tolist())
    cols: list[list[Any]] = [[] for _ in range(10)]
    for i in range(n):
        t = _DOC_TYPES[dtype[i]]
        d = int(day[i])
        requested = cal.dt(d, req_secs[i])
        if t in _DOC_DAYS:
            nd = _DOC_DAYS[t][1 if diff[i] == 3 else diff[i]]
            deadline_day = int(cal.nth_after(d, nd))
            deadline = None
        else:
            deadline_day = int(cal.nth_after(d, int(rng.integers(2, 6))))
            deadline = cal.day(deadline_day)
        if i in late:
            sub_day = int(cal.nth_after(deadline_day, int(rng.integers(1, 4))))
        elif i in approved:
            sub_day = int(cal.nth_after(deadline_day, 2))
        else:
            span = int(cal.cum[deadline_day] - cal.cum[d])
            k = int(rng.integers(0, span + 1))
            sub_day = d if k == 0 else int(cal.nth_after(d, k))
        if sub_day == d:
            sub_secs = min(int(req_secs[i]) + int(rng.integers(3600, 4 * 3600)), 21 * 3600)
        else:
            sub_secs = int(rng.integers(9 * 3600, 18 * 3600))
        submitted: datetime | None = cal.dt(sub_day, sub_secs)
        rev_req = rev_done = None
        if i in revised:
            rr = int(cal.nth_after(sub_day, int(rng.integers(1, 3))))
            rev_req = cal.dt(rr, int(rng.integers(10 * 3600, 15 * 3600)))
            rev_done = rev_req + timedelta(seconds=int(rng.integers(2 * 3600, 5 * 3600)))
        if sub_day > end_i:
            submitted = rev_req = rev_done = None
        titles = _DOC_TITLES[t]
        ext = "是" if i in approved else ("否" if rng.random() < 0.3 else None)
        for c, v in enumerate((f"BW{requested.strftime('%Y%m')}{i + 1:03d}", t, _DIFFICULTY[diff[i]] or None,
                               requested, deadline, submitted, rev_req, rev_done, ext,
                               titles[int(rng.integers(0, len(titles)))])):
            cols[c].append(v)
    table = _Table(_headers("documents"), cols,
                   [None, None, None, _DT_FMT, _DATE_FMT, _DT_FMT, _DT_FMT, _DT_FMT, None, None])
    return _write_xlsx(out_dir / "办文台账.xlsx", table, "办文台账", [14, 10, 7, 19, 12, 19, 19, 19, 9, 30])


def _service_quarters(start: date, end: date) -> list[tuple[date, date]]:
    """The four service quarters of the period (the last one ends at ``end``)."""
    out = []
    for q in range(4):
        a = add_months(start, 3 * q)
        b = min(add_months(start, 3 * (q + 1)) - timedelta(days=1), end)
        out.append((a, b))
    return out


def _write_deliverables(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                        feasibility_days: list[date], spike_day: date | None) -> int:
    rows: list[tuple[date, str, str | None, str]] = []
    monday = start - timedelta(days=start.weekday())
    while monday + timedelta(days=6) <= end:
        sunday = monday + timedelta(days=6)
        if sunday >= start:
            y, w, _ = monday.isocalendar()
            covers = f"{y}-W{w:02d}"
            rows.append((cal.day(cal.nth_after(cal.idx(sunday), 1)), "周报", covers, f"社保卡服务项目周报（{covers}）"))
        monday += timedelta(days=7)
    for y, m in _months(start, end):
        last = date(y, m, calendar.monthrange(y, m)[1])
        covers = f"{y}-{m:02d}"
        rows.append((cal.day(cal.nth_after(cal.idx(last), 1)), "月报", covers, f"社保卡服务项目月报（{covers}）"))
        case_day = cal.first_workday_on_or_after(date(y, m, min(22, last.day)))
        rows.append((case_day, "应用案例分析报告", covers, f"社保卡应用案例分析报告（{covers}）"))
    for q, (a, b) in enumerate(_service_quarters(start, end)):
        label = f"contract-Q{q + 1}"
        mid = cal.first_workday_on_or_after(b - timedelta(days=10))
        rows.append((mid, "工单报告", label, f"工单分析报告（第{q + 1}季度）"))
        rows.append((cal.first_workday_on_or_after(b - timedelta(days=14)), "巡检报告", label,
                     f"网点巡检结果报告（第{q + 1}季度）"))
        if q < 3:
            rows.append((cal.day(cal.nth_after(cal.idx(b), 1)), "季报", label, f"服务项目季报（第{q + 1}季度）"))
        else:
            last_wd = cal.day(cal.workdays(end - timedelta(days=10), end)[-1])
            rows.append((last_wd, "季报", label, f"服务项目季报（第{q + 1}季度）"))
            rows.append((last_wd, "年报", "contract", "服务项目年度总结报告"))
    wdays = cal.workdays(start, end)
    plan_titles = ("社保卡申领业务流程", "补换卡业务流程", "挂失解挂业务流程", "金融功能激活流程", "即时制卡业务流程",
                   "工单转办流程", "网点巡检工作流程", "服务指引更新流程", "应用接入流程", "PSAM卡管理流程",
                   "投诉处理流程", "应急处置流程", "数据核对流程")
    for j, d in enumerate(np.sort(wdays[np.linspace(5, len(wdays) - 5, 13).astype(int)]).tolist()):
        rows.append((cal.day(d), "业务流程规划文档", None, f"{plan_titles[j]}规划文档"))
    for j, d in enumerate(feasibility_days):
        rows.append((d, "应用可行性报告", None, f"社保卡新应用可行性报告（{j + 1}）"))
    specials = [cal.day(d) for d in wdays[rng.choice(len(wdays), 2, replace=False)].tolist()]
    if spike_day is not None:
        specials.append(spike_day)
    for d in specials:
        rows.append((d, "突发问题专报", None, f"{d.month}月{d.day}日突发问题专报"))
    rows = [r for r in rows if r[0] <= end]
    rows.sort(key=lambda r: (r[0], r[1]))
    table = _Table(
        _headers("deliverables"),
        [[f"CG{i + 1:04d}" for i in range(len(rows))], [r[1] for r in rows], [r[2] for r in rows],
         [r[0] for r in rows], [r[3] for r in rows]],
        [None, None, None, _DATE_FMT, None],
    )
    return _write_xlsx(out_dir / "成果台账.xlsx", table, "成果台账", [9, 16, 12, 12, 36])


# ---------------------------------------------------------------------------
# Staff-related ledgers
# ---------------------------------------------------------------------------


def _write_attendance(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                      people: list[_Person]) -> int:
    rows: list[tuple[str, date, str, float | None]] = []
    wdays = cal.workdays(start, end)
    # Company-wide meetings and trainings: four days for everyone employed then.
    events = sorted(wdays[np.linspace(20, len(wdays) - 20, 4).astype(int)].tolist())
    for k, d in enumerate(events):
        for p in people:
            if p.active(cal.day(d)):
                rows.append((p.staff_id, cal.day(d), "公司会议" if k % 2 == 0 else "公司培训", 1.0))
    ordinary = [p for p in people if p.post == "银行网点现场服务支持" and p.left_on is None and p.pay_below == ""]
    over = ordinary[0]
    pm = next(p for p in people if p.post == PM_POST)
    # One ordinary worker gets two more company training days (6 > 5 allowed); the PM three more (7 <= 10).
    for who, extra in ((over, 2), (pm, 3)):
        taken = {r[1] for r in rows if r[0] == who.staff_id}
        free = [d for d in wdays.tolist() if cal.day(d) not in taken]
        for d in sorted(rng.choice(free, extra, replace=False).tolist()):
            rows.append((who.staff_id, cal.day(d), "公司培训", 1.0))
    # Leave: one or two short leaves in distinct months; one six-day sick leave.
    sick6 = ordinary[1]
    event_days = set(events)
    for p in people:
        active = [d for d in wdays.tolist() if p.active(cal.day(d)) and d not in event_days]
        if not active or rng.random() < 0.2:
            continue
        months_used: list[int] = []
        for _ in range(int(rng.integers(1, 3))):
            d = cal.day(active[int(rng.integers(0, len(active)))])
            # Leaves at least two months apart: never five leave days in one month.
            if any(abs(d.year * 12 + d.month - m) < 2 for m in months_used):
                continue
            months_used.append(d.year * 12 + d.month)
            rows.append((p.staff_id, d, str(rng.choice(["事假", "病假"])), float(rng.choice([0.5, 1, 1, 2, 3]))))
    d6 = cal.day(wdays[len(wdays) // 2])
    rows = [r for r in rows if not (r[0] == sick6.staff_id and r[2] in ("事假", "病假"))]
    rows.append((sick6.staff_id, d6, "病假", 6.0))
    for p in rng.choice(len(people), 2, replace=False).tolist():
        who = people[p]
        active = [d for d in wdays.tolist() if who.active(cal.day(d))]
        rows.append((who.staff_id, cal.day(active[int(rng.integers(0, len(active)))]), "迟到", None))
    # One row per (staff, date, kind).
    seen: set[tuple[str, date, str]] = set()
    unique = []
    for r in sorted(rows, key=lambda r: (r[1], r[0], r[2])):
        if (r[0], r[1], r[2]) not in seen:
            seen.add((r[0], r[1], r[2]))
            unique.append(r)
    table = _Table(_headers("attendance"), [list(c) for c in zip(*unique)], [None, _DATE_FMT, None, "0.0"])
    return _write_xlsx(out_dir / "考勤记录.xlsx", table, "考勤", [10, 12, 10, 7])


def _write_errors(out_dir: Path, rng: np.random.Generator, start: date, end: date, people: list[_Person]) -> int:
    rows: list[tuple[str, str, int, int, int, str]] = []
    months = _months(start, end)
    flagged = next(p for p in people if p.post == "工单处理（实施）" and p.level == "中级")
    flag_month = months[min(7, len(months) - 1)]
    for y, m in months:
        first, last = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        for p in people:
            if p.onboard_on > last or (p.left_on is not None and p.left_on < first):
                continue
            hi = 2000 if p.post in _HANDLER_POSTS or p.post == "银行专线服务支持" else 1000
            volume = int(rng.integers(200, hi + 1))
            errors = int(rng.binomial(volume, 0.004))
            if p is flagged and (y, m) == flag_month:
                volume, errors = 800, 40  # exactly 5%
            rows.append((p.staff_id, f"{y}-{m:02d}", volume, errors, int(rng.poisson(0.2)), "否"))
    table = _Table(_headers("errors"), [list(c) for c in zip(*rows)], [None, None, "#,##0", None, None, None])
    return _write_xlsx(out_dir / "差错登记表.xlsx", table, "差错与业务量", [10, 9, 9, 9, 12, 9])


def _write_complaints(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                      people: list[_Person], outlets: _Outlets) -> int:
    wdays = cal.workdays(start, end)
    field = [p for p in people if p.post == "银行网点现场服务支持" and p.left_on is None]
    target = field[2]
    summaries = ("服务态度生硬", "业务解答不准确导致多次往返", "未按规定一次性告知所需材料", "网点现场引导不到位")
    rows = []
    for k in range(10):
        d = cal.day(wdays[int(rng.integers(0, len(wdays)))])
        by_outlet = k in (3, 6, 8)
        staff = target if k < 3 else (field[int(rng.integers(0, len(field)))] if k % 2 else None)
        valid = "是" if k < 3 or k in (4, 6) else "否"
        caused = None if k < 3 else ("否" if k == 4 else "是")
        rows.append((d, "网点" if by_outlet else "持卡人",
                     outlets.ids[int(rng.integers(0, len(outlets.ids)))] if by_outlet or k % 3 == 0 else None,
                     staff.staff_id if staff else None, valid, "否", caused, summaries[k % len(summaries)]))
    rows.sort(key=lambda r: r[0])
    cols = [[f"TS{i + 1:03d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)]
    return _write_xlsx(out_dir / "有效投诉.xlsx", _Table(_headers("complaints"), cols, [None, _DATE_FMT] + [None] * 7),
                       "有效投诉", [7, 12, 8, 9, 11, 9, 9, 10, 30])


_PM_ITEMS = (
    "月度工作例会", "服务质量分析会", "网点巡检督导", "工单质量抽查", "热线口径会商", "培训计划审定", "宣传活动现场",
    "人员考勤检查", "业务差错复核", "投诉处理跟进", "应急演练", "应用推广协调", "采购人工作汇报", "服务指引审核",
    "银行专线协调会", "PSAM卡管理检查", "安全保密检查", "周报月报审核", "新人带教检查", "现场服务巡查",
)


def _write_pm_duties(out_dir: Path, rng: np.random.Generator, start: date, end: date) -> int:
    months = _months(start, end)
    absent_month = months[min(4, len(months) - 1)]
    poor_month = months[min(8, len(months) - 1)]
    rows = []
    for y, m in months:
        absent = set(rng.choice(len(_PM_ITEMS), 3, replace=False).tolist()) if (y, m) == absent_month else set()
        poor = set(rng.choice(len(_PM_ITEMS), 5, replace=False).tolist()) if (y, m) == poor_month else set()
        for k, item in enumerate(_PM_ITEMS):
            attended = k not in absent
            rows.append((date(y, m, 1), item, "是" if attended else "否",
                         ("否" if k in poor else "是") if attended else None))
    table = _Table(_headers("pm_duties"), [list(c) for c in zip(*rows)], [_MONTH_FMT, None, None, None])
    return _write_xlsx(out_dir / "项目经理现场管理事项.xlsx", table, "现场管理事项", [10, 18, 12, 12])


def _write_support(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date) -> int:
    wdays = cal.workdays(start, end)
    kinds = ["高层检查"] * 4 + ["问题协调"] * 10 + ["培训支持"] * 6
    texts = {"高层检查": "公司分管领导到项目现场检查服务质量", "问题协调": "协调合作银行处理社保卡业务积压问题",
             "培训支持": "公司培训中心派员支持网点业务培训"}
    day = np.sort(wdays[rng.integers(0, len(wdays), len(kinds))])
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    table = _Table(_headers("support_records"),
                   [[f"EX{i + 1:03d}" for i in range(len(kinds))], [cal.day(d) for d in day.tolist()], kinds,
                    [texts[k] for k in kinds]],
                   [None, _DATE_FMT, None, None])
    return _write_xlsx(out_dir / "二线支持记录.xlsx", table, "二线支持", [8, 12, 10, 40])


# ---------------------------------------------------------------------------
# Applications, app inspections, PSAM cards
# ---------------------------------------------------------------------------


_APPS = (
    ("社保卡就医购药", "市医疗保障服务中心"), ("社保卡乘坐公交地铁", "市交通运输服务中心"),
    ("长者饭堂就餐", "市民政服务中心"), ("公共图书馆借阅", "市图书馆"), ("公园景区入园", "市公园管理中心"),
    ("博物馆预约参观", "市博物馆"), ("人才公寓门禁", "市人才服务中心"), ("职业技能培训补贴", "市职业技能鉴定中心"),
    ("体育场馆预约", "市体育场馆中心"), ("工会会员服务", "市总工会服务中心"), ("校园身份识别", "市教育服务中心"),
    ("退役军人优待", "市退役军人服务中心"), ("政务大厅取号", "市政务服务中心"), ("残疾人补贴发放", "市残联服务中心"),
)


@dataclass
class _Apps:
    ids: list[str]
    live_from: list[date | None]
    units: list[str]
    feasibility_days: list[date]


def _write_applications(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date) -> _Apps:
    ids, stages, feas, launched = [], [], [], []
    span = (end - start).days
    feasibility_days: list[date] = []
    for k, _ in enumerate(_APPS):
        ids.append(f"YY{k + 1:03d}")
        f: date | None = None
        lo: date | None = None
        if k < 8:
            stage, lo = "已上线", date(2019 + k % 5, 1 + 3 * (k % 4), 10 + k)
        elif k < 10:
            stage = "已上线"
            lo = cal.first_workday_on_or_after(start + timedelta(days=int(span * (0.3 if k == 8 else 0.7))))
            f = add_months(lo, -12)
        elif k < 12:
            stage = "可行性研究" if k == 10 else "测试"
            f = cal.first_workday_on_or_after(start + timedelta(days=int(span * (0.4 if k == 10 else 0.8))))
            feasibility_days.append(f)
        elif k == 12:
            stage = "测试"
        else:
            stage, lo = "停用", date(2020, 6, 1)
        stages.append(stage)
        feas.append(f)
        launched.append(lo)
    table = _Table(_headers("applications"),
                   [ids, [a[0] for a in _APPS], [a[1] for a in _APPS], stages, feas, launched],
                   [None, None, None, None, _DATE_FMT, _DATE_FMT])
    _write_xlsx(out_dir / "社保卡应用目录.xlsx", table, "应用目录", [8, 18, 20, 10, 14, 12])
    live = [lo if s == "已上线" else None for s, lo in zip(stages, launched)]
    return _Apps(ids, live, [a[1] for a in _APPS], feasibility_days)


def _write_app_inspections(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                           apps: _Apps) -> int:
    wdays = cal.workdays(start, end)
    days = np.sort(wdays[np.linspace(3, len(wdays) - 3, 26).astype(int) + rng.integers(-2, 3, 26)])
    findings = ("读卡终端响应缓慢", "应用界面提示信息不准确", "部分终端未更新PSAM卡", "接口偶发超时")
    rows = []
    for d in days.tolist():
        day = cal.day(d)
        live = [i for i, lo in enumerate(apps.live_from) if lo is not None and lo <= day]
        i = live[int(rng.integers(0, len(live)))]
        rows.append((apps.ids[i], day, findings[int(rng.integers(0, len(findings)))] if rng.random() < 0.3 else "无"))
    cols = [[f"YX{i + 1:03d}" for i in range(len(rows))]] + [list(c) for c in zip(*rows)]
    table = _Table(_headers("app_inspections"), cols, [None, None, _DATE_FMT, None])
    return _write_xlsx(out_dir / "应用巡检记录.xlsx", table, "应用巡检", [8, 9, 12, 24])


def _write_psam(out_dir: Path, rng: np.random.Generator, cal: _Calendar, start: date, end: date,
                apps: _Apps) -> int:
    wdays = cal.workdays(start, end - timedelta(days=40))
    rows = []
    for k in range(20):
        card = f"PSAM4401{k + 1001:06d}"
        unit = apps.units[int(rng.integers(0, len(apps.units)))]
        d0 = int(wdays[int(rng.integers(0, len(wdays)))])
        rows.append((card, "申领", cal.day(d0), unit, None))
        d1 = int(cal.nth_after(d0, int(rng.integers(2, 8))))
        rows.append((card, "发放", cal.day(d1), unit, "已签收"))
        if k < 12:
            d2 = int(cal.nth_after(d1, int(rng.integers(10, 20))))
            rows.append((card, "抽检", cal.day(d2), unit, "正常" if k % 5 else "终端密钥需更新"))
        if k >= 12:
            d3 = int(cal.nth_after(d1, int(rng.integers(5, 20))))
            rows.append((card, "回收", cal.day(d3), unit, "应用停用回收" if k % 2 else "卡片损坏回收"))
    rows = [r for r in rows if r[2] <= end]
    rows.sort(key=lambda r: (r[2], r[0]))
    table = _Table(_headers("psam_cards"), [list(c) for c in zip(*rows)], [None, None, _DATE_FMT, None, None])
    return _write_xlsx(out_dir / "PSAM卡台账.xlsx", table, "PSAM卡", [18, 7, 12, 20, 16])


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _write_toml(out_dir: Path, start: date, end: date) -> None:
    text = (
        "[contract]\n"
        f"start = {start.isoformat()}\n"
        f"end = {end.isoformat()}\n"
        "price_yuan = 4980000\n"
        "promised_turnover_rate = 0.10\n"
    )
    (out_dir / "sscard.toml").write_text(text, encoding="utf-8")


def write_sample(out_dir: Path, seed: int = 0, start: date = date(2024, 3, 1), end: date | None = None,
                 tickets_per_month: int = 10000) -> dict[str, int]:
    """Write a deterministic contract year of exports for every ledger.

    Parameters
    ----------
    out_dir : folder to write into (created if missing). Existing files of the
        same names are overwritten; nothing else is touched.
    seed : random seed; the same seed (and arguments) gives the same content.
    start : first day of the service period.
    end : last day of the service period; default ``start`` + 12 months - 1 day.
    tickets_per_month : tickets of all channels in a full month, before the
        one-week outage spike in July (about 65% are 12345热线).

    Returns
    -------
    dict[str, int]
        Ledger name -> data rows written (header, banner and 合计 rows excluded;
        damaged and duplicate rows included), for all 18 ledgers.

    Notes
    -----
    Files are named with the ledger's Chinese name or alias as prefix; tickets
    come one file per calendar month (``工单台账2024年03月.xlsx``).
    ``电话巡检记录.csv`` is UTF-8 with BOM and ``服务指引检查记录.csv`` is GBK.
    Whatever would happen after ``end`` (closures, submissions) is left out,
    as in an export taken at the end of the period. ``sscard.toml`` records
    the period, a bid price of 4,980,000 yuan and a promised turnover rate of 10%.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if end is None:
        end = add_months(start, 12) - timedelta(days=1)
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    cal = _Calendar(start - timedelta(days=400), end + timedelta(days=120))

    def sub(k: int) -> np.random.Generator:
        # An independent stream per ledger: changing one ledger leaves the others alone.
        return np.random.default_rng([seed, k])

    people = _staff(sub(1), cal, start, end)
    counts: dict[str, int] = {}
    counts["staff"] = _write_xlsx(out_dir / "人员名册.xlsx", _staff_table(people), "人员名册",
                                  [9, 9, 28, 7, 9, 12, 16, 12, 7, 9, 16, 14, 14])
    counts["tickets"] = _write_tickets(out_dir, sub(2), cal, start, end, tickets_per_month, people)
    outlet_rows, outlets = _write_outlets(out_dir, sub(3), start, end)
    counts["outlets"] = outlet_rows
    counts["outlet_inspections"] = _write_outlet_inspections(out_dir, sub(4), cal, start, end, outlets, people)
    counts["phone_checks"] = _write_phone_checks(out_dir, sub(5), cal, start, end, outlets, people)
    counts["trainings"] = _write_trainings(out_dir, sub(6), cal, start, end, people)
    counts["publications"] = _write_publications(out_dir, sub(7), cal, start, end)
    counts["guide_checks"] = _write_guide_checks(out_dir, sub(8), cal, start, end, people)
    counts["documents"] = _write_documents(out_dir, sub(9), cal, start, end)
    apps = _write_applications(out_dir, sub(10), cal, start, end)
    counts["applications"] = len(apps.ids)
    spike = _spike_days(cal, start, end)
    spike_day = cal.day(cal.nth_after(int(spike[0]), 1)) if len(spike) else None
    counts["deliverables"] = _write_deliverables(out_dir, sub(11), cal, start, end, apps.feasibility_days, spike_day)
    counts["attendance"] = _write_attendance(out_dir, sub(12), cal, start, end, people)
    counts["errors"] = _write_errors(out_dir, sub(13), start, end, people)
    counts["complaints"] = _write_complaints(out_dir, sub(14), cal, start, end, people, outlets)
    counts["pm_duties"] = _write_pm_duties(out_dir, sub(15), start, end)
    counts["support_records"] = _write_support(out_dir, sub(16), cal, start, end)
    counts["app_inspections"] = _write_app_inspections(out_dir, sub(17), cal, start, end, apps)
    counts["psam_cards"] = _write_psam(out_dir, sub(18), cal, start, end, apps)
    _write_toml(out_dir, start, end)
    return {name: counts[name] for name in LEDGERS}
