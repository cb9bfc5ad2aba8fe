"""Repeat callers (重复件): the same citizen with the same category within N days, across channels.

A citizen is recognised by a keyed hash (HMAC-SHA256) of the normalised ID
number or mobile number, with a secret key per deployment (PIPL: the raw
values never leave this module; outputs carry only a short pseudonym such as
``C3f9a1b2c4d``, which cannot be turned back into a number without the key).
Tickets that share an ID number or a mobile number belong to the same
citizen, so a call to 12345 with both and a message on 穗好办 with the phone
only are linked. Landlines are not used: an office or outlet line is shared
by many people.

The key lives in ``data/interim/citizen_key`` (32 random bytes in hex,
created on first use with owner-only permissions; ``data/interim`` is
git-ignored) or in the file named by ``$SSCARD_CITIZEN_KEY_FILE``. Keep the
same key for a deployment: pseudonyms then stay the same from one report to
the next.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..config import work_dir
from ..dates.periods import Period
from ..ingest.ledgers import CATEGORY, CHANNEL, ID_NUMBER_COL, PHONE_COL, RECEIVED_AT, TICKET_ID
from ..privacy import id_check_digit
from .slices import UNFILLED, labelled, select

KEY_ENV = "SSCARD_CITIZEN_KEY_FILE"
KEY_NAME = "citizen_key"  # in config.work_dir(): data/interim in a checkout
DEFAULT_WINDOW_DAYS = 15
"""Two tickets of the same citizen and category at most this many calendar days apart are one matter (a reading:
the contract gives no figure; 12345 centres use 15 to 30 days)."""


def deployment_key(path: str | Path | None = None) -> bytes:
    """The deployment's secret key for citizen pseudonyms, created on first use.

    ``path`` defaults to ``$SSCARD_CITIZEN_KEY_FILE`` or ``citizen_key`` in :func:`config.work_dir` (``data/interim`` in a checkout).
    """
    p = Path(path or os.environ.get(KEY_ENV) or work_dir() / KEY_NAME)
    if p.is_file():
        text = p.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{p}：密钥文件应为十六进制文本") from None
        if len(key) < 16:
            raise ValueError(f"{p}：密钥太短（至少 16 字节）")
        return key
    p.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def normalise_id(value: object) -> str | None:
    """An ID number in one form: NFKC, no spaces, upper case; a 15-digit resident ID as its 18-digit form."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()
    if not s:
        return None
    if len(s) == 15 and s.isdigit():
        s17 = s[:6] + "19" + s[6:]
        s = s17 + id_check_digit(s17)
    return s


def mobiles(value: object) -> list[str]:
    """The mobile numbers in a (normalised) phone cell: 11 digits starting with 1; landlines left out."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    out = []
    for part in str(value).split("/"):
        p = "".join(ch for ch in unicodedata.normalize("NFKC", part) if ch.isdigit())
        if len(p) == 13 and p.startswith("86"):
            p = p[2:]
        if len(p) == 11 and p.startswith("1"):
            out.append(p)
    return out


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def citizen_ids(tickets: pd.DataFrame, key: bytes) -> pd.Series:
    """A pseudonym per ticket (``C`` + 10 hex characters), None when it has neither ID number nor mobile.

    Tickets sharing an ID number or a mobile number get the same pseudonym
    (connected components of tickets and their keyed hashes).
    """
    idx = np.arange(len(tickets))
    tokens: list[tuple[int, str]] = []
    ids = tickets[ID_NUMBER_COL] if ID_NUMBER_COL in tickets else pd.Series(None, index=tickets.index)
    phones = tickets[PHONE_COL] if PHONE_COL in tickets else pd.Series(None, index=tickets.index)
    for i, v in zip(idx, ids.tolist()):
        n = normalise_id(v)
        if n:
            tokens.append((i, _digest(key, "id", n)))
    for i, v in zip(idx, phones.tolist()):
        for m in mobiles(v):
            tokens.append((i, _digest(key, "mobile", m)))
    out = pd.Series(None, index=tickets.index, dtype=object)
    if not tokens:
        return out
    codes, uniques = pd.factorize(pd.Series([t for _, t in tokens]))
    rows = np.array([i for i, _ in tokens])
    n_t, n_k = len(tickets), len(uniques)
    graph = coo_matrix((np.ones(len(rows)), (rows, n_t + codes)), shape=(n_t + n_k, n_t + n_k))
    _, comp = connected_components(graph, directed=False)
    # The pseudonym of a component: the smallest of its hashes, shortened.
    token_comp = comp[n_t + codes]
    first = pd.Series(np.asarray(uniques, dtype=object)[codes]).groupby(token_comp).min()
    has = np.zeros(n_t, bool)
    has[rows] = True
    names = pd.Series(comp[:n_t]).map(first).map(lambda h: "C" + h[:10], na_action="ignore")
    out[:] = np.where(has, names.to_numpy(dtype=object), None)
    return out


def repeat_episodes(tickets: pd.DataFrame, period: Period, key: bytes, window_days: int = DEFAULT_WINDOW_DAYS,
                    by: str = CATEGORY, filters: dict | None = None) -> pd.DataFrame:
    """Tickets received in the period, each with its caller's pseudonym and its matter (episode).

    Needs the ``id_number`` and ``phone`` columns (the reader's tickets).
    An episode is the tickets of one caller and one ``by`` value (业务类别)
    each at most ``window_days`` calendar days after the previous one.

    Returns a frame WITHOUT any ID or phone number: ``ticket_id``,
    ``channel``, ``received_at``, ``by``'s column, ``caller`` (pseudonym or
    None), ``episode`` (an integer; a ticket without a caller is its own
    episode), ``episode_size`` and ``first`` (the episode's first ticket).
    """
    rec = select(tickets, period, **(filters or {}))
    out = pd.DataFrame({
        TICKET_ID: rec[TICKET_ID].astype(str).to_numpy(), CHANNEL: rec[CHANNEL].astype(object).to_numpy(),
        RECEIVED_AT: rec[RECEIVED_AT].to_numpy(), by: labelled(rec[by]).to_numpy(),
        "caller": citizen_ids(rec, key).to_numpy(),
    })
    out = out.sort_values([RECEIVED_AT, TICKET_ID]).reset_index(drop=True)
    episode = np.arange(len(out))
    known = out[out["caller"].notna()]
    if len(known):
        gap = known.groupby(["caller", by])[RECEIVED_AT].diff()
        new = gap.isna() | (gap > pd.Timedelta(days=window_days))
        starts = pd.Series(np.where(new, known.index, np.nan), index=known.index)
        starts = starts.groupby([known["caller"], known[by]]).ffill()
        episode[known.index] = starts.astype(int).to_numpy()
    out["episode"] = episode
    out["episode_size"] = out.groupby("episode")["episode"].transform("size")
    out["first"] = ~out["episode"].duplicated()
    return out


def repeat_groups(episodes: pd.DataFrame, by: str = CATEGORY) -> pd.DataFrame:
    """The matters raised more than once: caller, category, tickets, channels, first and last receipt, ticket numbers."""
    rep = episodes[episodes["episode_size"] > 1]
    cols = ["caller", by, "tickets", "channels", "first_received", "last_received", "span_days", "ticket_ids"]
    if rep.empty:
        return pd.DataFrame(columns=cols)
    g = rep.groupby("episode", sort=False)
    out = pd.DataFrame({
        "caller": g["caller"].first(), by: g[by].first(), "tickets": g.size(),
        "channels": g[CHANNEL].agg(lambda s: "、".join(dict.fromkeys(s))),
        "first_received": g[RECEIVED_AT].min(), "last_received": g[RECEIVED_AT].max(),
        "ticket_ids": g[TICKET_ID].agg("、".join),
    })
    out["span_days"] = (out["last_received"] - out["first_received"]).dt.total_seconds() / 86400
    return out.sort_values(["tickets", "first_received"], ascending=[False, True]).reset_index(drop=True)[cols]


def repeat_summary(episodes: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Raw and de-duplicated counts, overall or by one attribute (``（未填）`` last).

    ``raw`` = tickets received; ``deduplicated`` = distinct matters (episodes)
    among them; ``repeats`` = raw − deduplicated; ``repeat_callers`` = callers
    with a matter raised more than once; ``cross_channel`` = matters raised
    through more than one channel; ``no_key`` = tickets with neither ID number
    nor mobile (each its own matter). By channel, a matter raised on two
    channels counts once in each, and once in the total.
    """
    cols = ["raw", "deduplicated", "repeats", "repeat_callers", "cross_channel", "no_key"]
    if episodes.empty:
        return pd.DataFrame(columns=([by] if by else []) + cols)
    e = episodes.copy()
    chans = e.groupby("episode")[CHANNEL].nunique()
    e["_cross"] = e["episode"].map(chans) > 1
    e["_repeat_caller"] = e["caller"].where(e["episode_size"] > 1)
    e["_cross_episode"] = e["episode"].where(e["_cross"])
    e["_group"] = labelled(e[by]) if by else "全部"
    g = e.groupby("_group", sort=True)
    out = pd.DataFrame({
        "raw": g.size(), "deduplicated": g["episode"].nunique(), "repeat_callers": g["_repeat_caller"].nunique(),
        "cross_channel": g["_cross_episode"].nunique(), "no_key": g["caller"].apply(lambda s: int(s.isna().sum())),
    })
    out["repeats"] = out["raw"] - out["deduplicated"]
    out = out.reset_index().rename(columns={"_group": by or "_all"})
    if not by:
        return out[cols].reset_index(drop=True)
    out = out.assign(_last=out[by] == UNFILLED).sort_values(["_last", "raw"], ascending=[True, False]).drop(columns="_last")
    return out[[by, *cols]].reset_index(drop=True)
