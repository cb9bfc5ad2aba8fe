"""What people call about: terms from the ticket text, hot topics, emerging terms and typical tickets.

Ticket text is scrubbed BEFORE it is segmented (ID and phone patterns and
the row's own citizen name masked, :func:`sscard_analysis.privacy.scrub_series`),
and words tagged as person names are dropped, so no term and no example
carries personal data. Segmentation is ``rjieba`` (the Rust port of jieba)
with a domain dictionary of card terms (:data:`DOMAIN_TERMS`) and stop words
(:data:`STOP_WORDS`). A ticket is a set of terms: counts are tickets
containing a term ("documents"), not occurrences.

表1 #5 and #6 ask the team to analyse the tickets (工单报告、通报); real
12345 bulletins list 热点诉求 with counts, satisfaction and a typical case
per topic. A topic here is a 业务类别 (category) with its distinctive terms.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from ..dates.periods import Period
from ..ingest.ledgers import CATEGORY, CHANNEL, CITIZEN_NAME, CONTENT, HOTLINE
from ..measures.hotline import as_at
from ..privacy import mask_name, scrub_series, scrub_text
from .slices import UNFILLED, apply_filters, labelled, select
from .stats import change_test, wilson_interval
from .trends import rating_flags

DOMAIN_TERMS = (
    "社会保障卡", "社保卡", "电子社保卡", "第三代社保卡", "实体社保卡", "金融功能激活", "金融功能", "金融账户", "激活失败",
    "照片回执", "回执编号", "即时制卡", "即时制卡网点", "制卡进度", "社保卡挂失", "临时挂失", "正式挂失", "解挂",
    "补换卡", "补卡", "换卡", "换领", "首次申领", "申领", "邮寄地址", "社保密码", "金融密码", "密码重置", "养老金",
    "医保余额", "医保结算", "定点药店", "异地就医", "读卡失败", "乘车码", "乘车优惠", "长者饭堂", "穗好办", "手机银行",
    "银行网点", "合作银行", "系统繁忙", "状态异常", "身份信息不符", "有效期", "未成年", "外省户籍",
)
"""Card terms the segmenter keeps whole (金融功能激活 is one term, not 金融 / 功能 / 激活)."""

STOP_WORDS = frozenset("""
市民 来电 来信 留言 咨询 投诉 求助 建议 表扬 举报 反映 反馈 表示 称 说 问 询问 希望 要求 请求 请 麻烦 谢谢
如何 怎么 怎样 怎么办 哪些 哪里 哪个 什么 为什么 是否 能否 可否 可以 能够 需要 需 应该 是不是 有没有
办理 处理 进行 相关 有关 关于 情况 问题 事项 方面 以及 及 和 与 或 或者 并 并且 而且 但是 但 因为 所以
已经 一直 仍然 仍 还是 还 都 也 又 再 就 才 后 前 时 时候 之后 之前 目前 现在 今天 昨天 多久 多少 几天
我们 你们 他们 本人 自己 其 该 此 这 那 这个 那个 这些 那些 一个 一下 一些 没有 不是 不能 无法 不了 不到
社保卡 社会保障卡 市民来电 工单 诉求 来电人 诉求人 核实 回复 回电 处理结果 尽快 及时 完成 出现 导致 使用 显示 提示
""".split())
"""Words too common in every ticket to tell topics apart (社保卡 is in nearly all of them)."""

_DROP_TAGS = frozenset({"nr", "nrfg", "nrt", "m", "q", "x", "uj", "ul", "uz", "ug", "uv", "ud", "p", "c", "r", "d", "y", "e", "o", "u"})
_KEEP = re.compile(r"^[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z+]*$")


@lru_cache(maxsize=1)
def _segmenter():
    import rjieba

    j = rjieba.Jieba()
    for term in DOMAIN_TERMS:
        j.add_word(term, 200_000, "n")
    return j


@lru_cache(maxsize=200_000)
def _terms_of(text: str) -> frozenset[str]:
    seg = _segmenter()
    out = set()
    for word, tag in seg.tag(text, True):
        if len(word) < 2 or tag in _DROP_TAGS or word in STOP_WORDS or not _KEEP.match(word):
            continue
        out.add(word)
    return frozenset(out)


def scrubbed_text(tickets: pd.DataFrame) -> pd.Series:
    """Each ticket's content with ID and phone patterns and its own citizen name masked."""
    names = tickets[CITIZEN_NAME] if CITIZEN_NAME in tickets else None
    return scrub_series(tickets[CONTENT], names)


@lru_cache(maxsize=200_000)
def _scrubbed_terms(text: str) -> frozenset[str]:
    return _terms_of(scrub_text(text))


def ticket_terms(tickets: pd.DataFrame) -> pd.Series:
    """The set of terms of each ticket (a frozenset per row), from its scrubbed content (as :func:`scrubbed_text`).

    Identical texts are scrubbed and segmented once (exports repeat standard
    wording, and a report asks for the same tickets' terms several times).
    The ticket's own name is masked first; names are Chinese characters and
    the ID and phone patterns digits, so the order changes nothing.
    """
    text = _values(tickets[CONTENT])
    names = _values(tickets[CITIZEN_NAME]) if CITIZEN_NAME in tickets else [""] * len(text)
    own = [t.replace(n, mask_name(n)) if len(n) >= 2 and n in t else t for t, n in zip(text, names)]
    return pd.Series([_scrubbed_terms(t) for t in own], index=tickets.index, dtype=object,
                     name=None if CITIZEN_NAME in tickets else CONTENT)  # as scrub_series names it


def _values(s: pd.Series) -> list[str]:
    return s.astype(object).where(s.notna(), "").astype(str).tolist()


def _long(terms: pd.Series) -> pd.DataFrame:
    """(row label, term) pairs, one per ticket and term (each ticket's terms in sorted order)."""
    sizes = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    flat = np.empty(int(sizes.sum()), dtype=object)
    flat[:] = [w for s in terms for w in sorted(s)]
    return pd.DataFrame({"row": np.repeat(terms.index.to_numpy(), sizes), "term": flat})


def term_counts(tickets: pd.DataFrame, by: list[str] | None = None, terms: pd.Series | None = None) -> pd.DataFrame:
    """Tickets containing each term, by group (e.g. ``[CATEGORY, "week"]``).

    ``week`` may be named in ``by``: the Monday of the week received. Returns
    tidy columns: the group keys, ``term``, ``tickets`` (containing the
    term), ``group_tickets`` (tickets in the group) and ``share``.
    """
    by = by or []
    t = tickets.copy()
    if "week" in by:
        day = t["received_at"].dt.normalize()
        t["week"] = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    for col in by:
        if col != "week":
            t[col] = labelled(t[col])
    terms = ticket_terms(t) if terms is None else terms
    pairs = _long(terms)
    if pairs.empty:
        return pd.DataFrame(columns=[*by, "term", "tickets", "group_tickets", "share"])
    pairs = pairs.join(t[by], on="row") if by else pairs
    out = pairs.groupby([*by, "term"], observed=True).size().rename("tickets").reset_index()
    if by:
        sizes = t.groupby(by, observed=True).size().rename("group_tickets").reset_index()
        out = out.merge(sizes, on=by)
    else:
        out["group_tickets"] = len(t)
    out["share"] = out["tickets"] / out["group_tickets"]
    return out.sort_values([*by, "tickets", "term"], ascending=[True] * len(by) + [False, True]).reset_index(drop=True)


def distinctive_terms(target: pd.Series, reference: pd.Series, top: int = 5, min_tickets: int = 3) -> pd.DataFrame:
    """Terms over-represented in ``target`` tickets against ``reference`` tickets (both: term sets per ticket).

    ``lift`` = (share in target + ε) ÷ (share in reference + ε), with ε = 0.5
    ticket over each group's size (so a term absent from the reference is not
    infinite). Only terms in at least ``min_tickets`` target tickets and with
    lift > 1 are kept; sorted by ``score`` = tickets × log(lift).
    """
    n1, n0 = len(target), len(reference)
    a = _long(target)["term"].value_counts() if n1 else pd.Series(dtype=int)
    b = _long(reference)["term"].value_counts() if n0 else pd.Series(dtype=int)
    return _distinctive(a, n1, b, n0, top, min_tickets)


def _distinctive(a: pd.Series, n1: int, b: pd.Series, n0: int, top: int, min_tickets: int) -> pd.DataFrame:
    """:func:`distinctive_terms` from the term counts: ``a`` in the target's ``n1`` tickets, ``b`` in the reference's ``n0``."""
    cols = ["term", "tickets", "share", "reference_tickets", "reference_share", "lift", "score"]
    if not n1:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame({"term": a.index, "tickets": a.to_numpy()})
    df = df[df["tickets"] >= min_tickets]
    df["share"] = df["tickets"] / n1
    df["reference_tickets"] = df["term"].map(b).fillna(0).astype(int)
    df["reference_share"] = df["reference_tickets"] / n0 if n0 else 0.0
    df["lift"] = (df["share"] + 0.5 / n1) / (df["reference_share"] + 0.5 / max(n0, 1))
    df = df[df["lift"] > 1]
    df["score"] = df["tickets"] * np.log(df["lift"])
    return df.sort_values(["score", "term"], ascending=[False, True]).head(top).reset_index(drop=True)[cols]


def typical_examples(tickets: pd.DataFrame, k: int = 2, terms: pd.Series | None = None, length: int = 80) -> list[str]:
    """The ``k`` most representative tickets of a group, scrubbed and cut to ``length`` characters.

    Representative = the highest cosine similarity between the ticket's term
    set and the group's term profile (the share of the group's tickets
    containing each term), not the first row. A second example must read
    differently from the first. Personal data is masked (ID and phone
    patterns, the citizen's own name).
    """
    if tickets.empty:
        return []
    terms = ticket_terms(tickets) if terms is None else terms.loc[tickets.index]
    counts = _long(terms)["term"].value_counts() / len(tickets)
    norm = math.sqrt(float((counts**2).sum())) or 1.0
    profile = counts.to_dict()
    scores = [sum(profile.get(w, 0.0) for w in s) / (math.sqrt(len(s)) * norm) if s else 0.0 for s in terms]
    order = pd.DataFrame({"score": scores, "id": tickets["ticket_id"].astype(str).to_numpy()}, index=tickets.index)
    order = order.sort_values(["score", "id"], ascending=[False, True]).index
    out: list[str] = []
    texts: list[str] = []
    seen_terms: list[frozenset] = []
    for start in range(0, len(order), 64):  # only the best-scoring rows are scrubbed, a batch at a time
        batch = order[start:start + 64]
        for idx, text in zip(batch, scrubbed_text(tickets.loc[batch])):
            if any(terms.loc[idx] == s for s in seen_terms) or text in texts:
                continue
            texts.append(text)
            out.append(text[:length] + ("…" if len(text) > length else ""))
            seen_terms.append(terms.loc[idx])
            if len(out) == k:
                return out
    return out


def emerging_terms(tickets: pd.DataFrame, period: Period, previous: Period, top: int = 20, min_tickets: int = 3,
                   filters: dict | None = None) -> pd.DataFrame:
    """Terms that rose from the previous period to this one (e.g. week over week).

    For each term: ``tickets`` containing it in the period, ``previous``
    tickets in the previous period, ``expected`` = previous × (tickets this
    period ÷ tickets last period), ``lift`` = (tickets + 1) ÷ (expected + 1),
    ``p_value`` (Fisher, two-sided, on the shares) and ``categories`` where it
    appears most. Sorted by lift (a new term first), ties by tickets; terms
    with fewer than ``min_tickets`` tickets this period are left out.
    """
    cur = select(tickets, period, **(filters or {}))
    prev = select(tickets, previous, **(filters or {}))
    cols = ["term", "tickets", "previous", "expected", "lift", "p_value", "categories", "example"]
    n1, n0 = len(cur), len(prev)
    if not n1:
        return pd.DataFrame(columns=cols)
    t1, t0 = ticket_terms(cur), ticket_terms(prev)
    a = _long(t1)["term"].value_counts()
    b = _long(t0)["term"].value_counts() if n0 else pd.Series(dtype=int)
    df = pd.DataFrame({"term": a.index, "tickets": a.to_numpy()})
    df = df[df["tickets"] >= min_tickets].copy()
    df["previous"] = df["term"].map(b).fillna(0).astype(int)
    df["expected"] = df["previous"] * (n1 / n0) if n0 else 0.0
    df["lift"] = (df["tickets"] + 1) / (df["expected"] + 1)
    df = df[df["lift"] > 1].sort_values(["lift", "tickets", "term"], ascending=[False, False, True]).head(top)
    df["p_value"] = [change_test(int(k), n1, int(j), n0) for k, j in zip(df["tickets"], df["previous"])]
    cats = labelled(cur[CATEGORY])
    df["categories"] = [_top_categories(cats[t1.map(lambda s, w=w: w in s)]) for w in df["term"]]
    df["example"] = [next(iter(typical_examples(cur[t1.map(lambda s, w=w: w in s)], 1, t1, 60)), "") for w in df["term"]]
    return df.reset_index(drop=True)[cols]


def _nan(x: float | None) -> float:
    return np.nan if x is None else x


def _top_categories(cats: pd.Series, n: int = 2) -> str:
    vc = cats.value_counts()
    return "、".join(f"{c}（{v}）" for c, v in vc.head(n).items())


def hot_topics(tickets: pd.DataFrame, period: Period, previous: Period | None, top: int = 5, basic_counts: bool = True,
               filters: dict | None = None) -> pd.DataFrame:
    """热点诉求: the categories with the most tickets, with share, change, satisfaction, terms and a typical case.

    Parameters
    ----------
    tickets : prepared tickets (all of them; the period is selected here).
    period, previous : this period and the one it is compared with (None: no comparison).
    top : how many topics (categories) to return; ``（未填）`` is never a hot topic.

    Returns
    -------
    One row per topic, most tickets first: ``topic`` (业务类别), ``tickets``
    (received in the period, all channels), ``share`` (of all tickets
    received, fraction), ``previous`` and ``change`` (tickets; NaN without a
    previous period), ``change_p`` (Fisher p-value of the share's change),
    ``rated``, ``satisfaction_rate``, ``satisfaction_low``/``_high`` (12345热线
    tickets of the topic closed in the period, rated as A2 counts them, 95%
    Wilson interval), ``terms`` (its three most distinctive terms against the
    other topics) and ``example`` (the most representative ticket, masked).
    """
    filters = filters or {}
    cur = select(tickets, period, **filters)
    cols = ["topic", "tickets", "share", "previous", "change", "change_p", "rated", "satisfaction_rate",
            "satisfaction_low", "satisfaction_high", "terms", "example"]
    if cur.empty:
        return pd.DataFrame(columns=cols)
    prev = select(tickets, previous, **filters) if previous else None
    cats = labelled(cur[CATEGORY])
    counts = cats[cats != UNFILLED].value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable").head(top)
    before = labelled(prev[CATEGORY]).value_counts() if prev is not None else None
    hot_filters = {**filters, CHANNEL: HOTLINE} if filters.get(CHANNEL) in (None, "", HOTLINE) else None
    if hot_filters is not None:
        r = rating_flags(apply_filters(as_at(tickets, period.as_of), **hot_filters), period, basic_counts)
        r = r[r["rated"]]
        rated_by = labelled(r[CATEGORY]).value_counts()
        sat_by = labelled(r.loc[r["satisfied"], CATEGORY]).value_counts()
    terms = ticket_terms(cur)
    pairs = _long(terms)
    pairs["topic"] = cats.loc[pairs["row"]].to_numpy()
    all_terms = pairs["term"].value_counts()
    by_topic = pairs.groupby(["topic", "term"], observed=True).size()
    rows = []
    for topic, n in counts.items():
        mine = cats == topic
        own = by_topic.loc[topic] if topic in by_topic.index.get_level_values(0) else pd.Series(dtype=int)
        other = all_terms.sub(own, fill_value=0).astype(int)
        prev_n = int(before.get(topic, 0)) if before is not None else None
        k = int(sat_by.get(topic, 0)) if hot_filters is not None else 0
        m = int(rated_by.get(topic, 0)) if hot_filters is not None else 0
        ci = wilson_interval(k, m)
        dist = _distinctive(own, int(mine.sum()), other[other > 0], int((~mine).sum()), top=3, min_tickets=2)
        rows.append({
            "topic": topic, "tickets": int(n), "share": n / len(cur),
            "previous": np.nan if prev_n is None else prev_n,
            "change": np.nan if prev_n is None else int(n) - prev_n,
            "change_p": _nan(change_test(int(n), len(cur), prev_n, len(prev)) if prev_n is not None else None),
            "rated": m, "satisfaction_rate": k / m if m else np.nan,
            "satisfaction_low": ci[0] if ci else np.nan, "satisfaction_high": ci[1] if ci else np.nan,
            "terms": "、".join(dist["term"]),
            "example": next(iter(typical_examples(cur[mine], 1, terms)), ""),
        })
    return pd.DataFrame(rows, columns=cols)
