"""Personal data (PIPL): validation of ID and phone numbers, and masking.

Masking wherever personal data is shown (DATA_CONTRACT section 4): an ID
number keeps its last four characters, a mobile number ``138****5678``, a
name its first character plus ``*`` per remaining character; inside free
text, ID and phone patterns and the row's own citizen name are masked the
same way.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = "10X98765432"

# Permit numbers kept as written (BAD_INPUTS 6): Hong Kong ID, Macau ID, Taiwan ID,
# and the Mainland travel permits for Hong Kong/Macau (H/M + 8-10 digits) and Taiwan residents.
_PERMIT = re.compile(
    r"^(?:[A-Z]{1,2}\d{6}\(?[0-9A]\)?|[157]\d{6}\(?\d\)?|[A-Z][12]\d{8}|[HM]\d{8,10}|\d{8})$"
)
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$|^[2-9]\d{6,7}$")


def id_check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of a resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def _valid_birth(ymd: str, today: date) -> bool:
    try:
        born = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def check_id(text: str, today: date | None = None) -> str | None:
    """Return None when the (normalised) ID number is acceptable, else the reason.

    Acceptable: an 18-digit resident ID (or residence permit) with a valid GB
    11643 check digit and a possible birth date, the old 15-digit form with a
    possible birth date, or a Hong Kong/Macau/Taiwan identity or permit
    number (kept as written).
    """
    today = today or date.today()
    if _ID18.match(text):
        if not _valid_birth(text[6:14], today):
            return "身份证号出生日期不合理"
        if id_check_digit(text[:17]) != text[17]:
            return "身份证号校验位错误"
        return None
    if _ID15.match(text):
        return None if _valid_birth("19" + text[6:12], today) else "15位身份证号出生日期不合理"
    if _PERMIT.match(text):
        return None
    return "证件号码格式无法识别"


_CHECK_BYTES = np.frombuffer(_CHECK.encode("ascii"), dtype=np.uint8)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _valid_births(y: np.ndarray, m: np.ndarray, d: np.ndarray, today: date) -> np.ndarray:
    """Vectorised :func:`_valid_birth` on year, month and day arrays."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    dim = _DAYS_IN_MONTH[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)
    ok = month_ok & (d >= 1) & (d <= dim)
    ymd = y * 10000 + m * 100 + d  # compares like the date itself once the date exists
    lo, hi = 19000101, today.year * 10000 + today.month * 100 + today.day
    return ok & (ymd >= lo) & (ymd <= hi)


def _ascii_matrix(values: pd.Series, width: int) -> np.ndarray:
    """Strings of exactly ``width`` ASCII characters as a (n, width) array of bytes."""
    try:
        import pyarrow as pa

        arr = pa.array(values.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) and arr.null_count == 0:
            kind = np.int64 if pa.types.is_large_string(arr.type) else np.int32
            offsets = np.frombuffer(arr.buffers()[1], dtype=kind)[arr.offset:arr.offset + len(arr) + 1]
            return np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(-1, width)
    except (ImportError, TypeError, ValueError):
        pass
    return np.frombuffer("".join(values.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, width)


def check_ids(values: pd.Series, today: date | None = None) -> pd.Series:
    """Vectorised :func:`check_id`: a Series of reasons (None where acceptable).

    18-digit values are checked with numpy in bulk (checksum and birth date);
    only the rare other forms go through :func:`check_id` one by one.
    """
    today = today or date.today()
    out = np.full(len(values), None, dtype=object)
    if values.empty:
        return pd.Series(out, index=values.index, dtype=object)
    is18 = values.str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool, na_value=False)
    if is18.any():
        raw = _ascii_matrix(values[is18], 18)
        digits = (raw[:, :17] - 48).astype(np.int64)
        expected = _CHECK_BYTES[(digits * _WEIGHTS).sum(axis=1) % 11]
        y = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        m = digits[:, 10] * 10 + digits[:, 11]
        d = digits[:, 12] * 10 + digits[:, 13]
        bad_birth = ~_valid_births(y, m, d, today)
        out[is18] = np.where(bad_birth, "身份证号出生日期不合理", np.where(raw[:, 17] != expected, "身份证号校验位错误", None))
    rest = np.flatnonzero(~is18)
    if len(rest):
        vals = values.to_numpy(dtype=object)
        out[rest] = [check_id(vals[i], today) for i in rest]
    return pd.Series(out, index=values.index, dtype=object)


def normalize_phone(text: str) -> tuple[str | None, str | None]:
    """Normalise a phone cell; return (value, reason).

    Strips +86/0086, hyphens, spaces and brackets. Mobile numbers (11 digits)
    and landlines (020-…, or a 7-8 digit local number) are accepted; a cell
    with two numbers keeps both, separated by ``/``. Anything else is
    rejected with a reason (the caller blanks it, never "repairs" it).
    """
    s = unicodedata.normalize("NFKC", text).strip()
    parts = [p for p in re.split(r"[/,;、，；|]+|(?<=\d{7})\s+(?=[+\d])", s) if p.strip()]
    if not parts:
        return None, None
    out = []
    for part in parts:
        p = re.sub(r"[\s\-()（）]", "", part)
        p = re.sub(r"^(?:\+86|0086|86(?=1\d{10}$))", "", p)
        if _MOBILE.match(p) or _LANDLINE.match(p):
            out.append(p)
        else:
            return None, "电话号码格式无法识别"
    return "/".join(out), None


def mask_id(value: object) -> str:
    """``440106199001011234`` -> ``**************1234`` (last four only)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    s = str(value)
    return "*" * max(len(s) - 4, 0) + s[-4:]


def mask_phone(value: object) -> str:
    """Mobile ``13812345678`` -> ``138****5678``; a landline keeps its last four."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    parts = []
    for p in str(value).split("/"):
        if len(p) == 11 and p.startswith("1"):
            parts.append(p[:3] + "****" + p[-4:])
        else:
            parts.append("*" * max(len(p) - 4, 0) + p[-4:])
    return "/".join(parts)


COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐",
    "夏侯", "轩辕", "端木", "西门", "南宫", "独孤", "百里", "呼延", "澹台", "公冶", "太史", "申屠", "闻人",
    "濮阳", "淳于", "单于", "司空", "钟离", "赫连", "万俟", "第五", "谷梁", "拓跋", "左丘",
)


def mask_name(value: object) -> str:
    """``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧阳**`` (DATA_CONTRACT 4).

    The surname is kept (its first character; both characters of a compound
    surname such as 欧阳), every other character becomes ``*``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    s = str(value).strip()
    keep = 2 if len(s) > 2 and s.startswith(COMPOUND_SURNAMES) else 1
    return s[:keep] + "*" * (len(s) - keep)


_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")


def mask_person(value: object) -> str:
    """A staff reference that may be a work ID (kept) or a name (masked like any name)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    s = str(value)
    return mask_name(s) if _CJK.search(s) else s


# ID-like: 17 digits + digit/X, or 15 digits; phone-like: mobile with optional +86 and
# separators, or a landline 0xx(x)-xxxxxxx(x). Digits must not continue on either side.
_TEXT_ID = re.compile(
    r"(?<![0-9A-Za-z])\d{6}\s?\d{8}\s?\d{3}[\dXx](?![0-9])|(?<!\d)\d{15}(?!\d)"
    # Hong Kong / Macau identity cards with their check digit, Taiwan IDs, Mainland travel permits
    r"|(?<![0-9A-Za-z])(?:[A-Z]{1,2}\d{6}\([0-9A]\)|[157]\d{6}\(\d\)|[A-Z][12]\d{8}|[HM]\d{8,10})(?![0-9A-Za-z])"
)
_TEXT_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_TEXT_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[\s-]?(\d{3,4})[\s-]?(\d{4})(?!\d)")


def _mask_id_match(m: re.Match) -> str:
    s = re.sub(r"\s", "", m.group(0))
    return "*" * (len(s) - 4) + s[-4:]


def scrub_text(text: object, names: tuple[str, ...] = ()) -> str:
    """Mask ID and phone patterns, and the given names, inside free text."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    s = str(text)
    s = _TEXT_ID.sub(_mask_id_match, s)
    s = _TEXT_MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), s)
    s = _TEXT_LANDLINE.sub(lambda m: m.group(1) + "-****" + m.group(3), s)
    for name in names:
        if name and len(name) >= 2:
            s = s.replace(name, mask_name(name))
    return s


# The hundred or so most common single-character surnames (2020 census order), less a few
# that mostly start ordinary words (文, 方, 常, 万, 向, 易).
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵覃武钱戴严莫孔汤康"
    "乔赖施洪辛柯庞"
)
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME_LIKE = re.compile(
    f"(?<![{_CJK_CLASS}])((?:{'|'.join(COMPOUND_SURNAMES)})|[{COMMON_SURNAMES}])([{_CJK_CLASS}]{{1,3}})"
)


def scrub_names_like(text: object, keep: frozenset[str] | set[str] | tuple[str, ...] = ()) -> str:
    """Mask tokens that look like a person's name: a common surname and one to three more characters.

    A token starts where a run of Chinese characters starts (``张三丰_…``,
    ``经办人：李四``, not ``下周一``); the surname stays and the rest becomes
    ``*`` as in :func:`mask_name`. Words listed in ``keep`` (a ledger's own
    vocabulary, such as 黄埔 or 周报) are never masked. Used on values echoed in
    messages and on file names, where a name is possible but the row's own
    citizen name is not known.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    s = str(text)
    if not s or not _NAME_LIKE.search(s):
        return s
    protected = sorted((w for w in keep if w and w in s), key=len, reverse=True)
    if not protected:
        return _NAME_LIKE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), s)
    parts = re.split("(" + "|".join(map(re.escape, protected)) + ")", s)
    return "".join(p if i % 2 else _NAME_LIKE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), p)
                   for i, p in enumerate(parts))


def scrub_message(text: object, keep: frozenset[str] | set[str] | tuple[str, ...] = ()) -> str:
    """What a message may show of a value or a file name: ID and phone patterns and name-like tokens masked."""
    return scrub_names_like(scrub_text(text), keep)


def scrub_series(texts: pd.Series, names: pd.Series | None = None) -> pd.Series:
    """Vectorised :func:`scrub_text`; ``names`` gives each row's own citizen name."""
    s = texts.astype(object).where(texts.notna(), "").astype(str)
    s = s.str.replace(_TEXT_ID, _mask_id_match, regex=True)
    s = s.str.replace(_TEXT_MOBILE, lambda m: m.group(1) + "****" + m.group(3), regex=True)
    s = s.str.replace(_TEXT_LANDLINE, lambda m: m.group(1) + "-****" + m.group(3), regex=True)
    if names is not None:
        own = names.astype(object).where(names.notna(), "").astype(str).tolist()
        s = pd.Series([t.replace(n, mask_name(n)) if len(n) >= 2 and n in t else t for t, n in zip(s.tolist(), own)],
                      index=s.index, dtype=object)
    return s
