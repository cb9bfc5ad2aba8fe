"""Sample tickets: one messy monthly export per calendar month, all channels."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..ledgers import (
    BANKS,
    CHANNELS,
    HOTLINE,
)
from .base import (
    BANK_NAMES,
    BANK_P,
    DISTRICT_NAMES,
    DISTRICT_P,
    DT_FMT,
    END_OF_DAY,
    SPECIAL_NAMES,
    Calendar,
    Table,
    fake_id_numbers,
    fake_names,
    fake_phones,
    ledger_headers,
    months_between,
    new_workbook,
    slash_dt,
    write_table,
)
from .staff import HANDLER_POSTS, Person, occupants

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
# Tickets
# ---------------------------------------------------------------------------


_TICKET_HEADERS = ["序号"] + ledger_headers("tickets", {"ticket_id": "工单编号（必填）", "phone": "来电号码"})


def spike_days(cal: Calendar, start: date, end: date) -> np.ndarray:
    """Indices of the outage week: the week from the third Monday of the first July in the period."""
    for y in (start.year, start.year + 1):
        july = date(y, 7, 15)
        monday = july + timedelta(days=(7 - july.weekday()) % 7)
        if start <= monday and monday + timedelta(days=6) <= end:
            i = cal.idx(monday)
            return np.arange(i, i + 7)
    return np.array([], dtype=int)


def _ticket_rows(rng: np.random.Generator, cal: Calendar, start: date, end: date, per_month: int,
                 handlers: list[list[Person]]) -> dict[str, Any]:
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
    spike = spike_days(cal, start, end)
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
    district = rng.choice(len(DISTRICT_NAMES), n, p=DISTRICT_P)
    district_suffix = rng.random(n) < 0.5
    district_missing = rng.random(n) < 0.03
    bank = np.where((rng.random(n) < 0.4) | (is_spike & (rng.random(n) < 0.8)),
                    rng.choice(len(BANK_NAMES), n, p=BANK_P), -1)

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

    names = fake_names(rng, n)
    names[rng.random(n) < 0.03] = None
    ids = np.where(rng.random(n) < 0.65, fake_id_numbers(rng, n), None)
    phones = np.where(rng.random(n) < 0.93, fake_phones(rng, n), None)

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


def _ticket_month_columns(t: dict[str, Any], sel: np.ndarray, cal: Calendar, status_normal: str,
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
        received[i] = (slash_dt(dt), f"{dt.year}年{dt.month}月{dt.day}日", dt.strftime("%Y%m%d"))[j % 3]
    channel = np.array(_CHANNEL_NAMES, dtype=object)[t["channel"][sel]]
    syn = rng.random(n) < 0.01
    channel[syn & (t["channel"][sel] == 0)] = "12345政务服务便民热线"
    status = np.array(_STATUSES, dtype=object)[t["status"][sel]]
    status[status == ""] = status_normal
    district = np.array(DISTRICT_NAMES, dtype=object)[t["district"][sel]]
    district = np.where(t["district_suffix"][sel], district + "区", district)
    district[t["district_missing"][sel]] = None
    bank_idx = t["bank"][sel]
    bank = np.where(bank_idx >= 0, np.array(BANK_NAMES + [""], dtype=object)[bank_idx], None)
    syn_bank = (bank_idx >= 0) & (rng.random(n) < 0.05)
    for i in np.flatnonzero(syn_bank).tolist():
        synonyms = BANKS[BANK_NAMES[bank_idx[i]]]
        if synonyms:
            bank[i] = synonyms[i % len(synonyms)]
    due = _obj(cal.base_serial + t["due"][sel] + END_OF_DAY, t["due_given"][sel])
    closed_serial = cal.base_serial + t["close_day"][sel] + t["close_secs"][sel] / 86400.0
    closed = _obj(closed_serial, ~t["open"][sel])
    for i in rng.choice(n, min(max(1, n // 500), n), replace=False).tolist() if n else []:
        if closed[i] is not None:
            closed[i] = slash_dt(cal.dt(t["close_day"][sel][i], t["close_secs"][sel][i]))
    sat = np.array(_SATISFACTION + [None], dtype=object)[t["sat"][sel]]
    sat[sat == ""] = None
    appeal = np.array(_APPEALS + [None], dtype=object)[t["appeal"][sel]]
    ttype = np.array(_TICKET_TYPES, dtype=object)[t["ttype"][sel]]
    category = np.array(_CATEGORIES, dtype=object)[t["category"][sel]]
    names = t["name"][sel].copy()
    if n >= 4:
        # Every file holds a name with a middle dot and a Latin name.
        names[n // 3] = SPECIAL_NAMES[0]
        names[2 * n // 3] = SPECIAL_NAMES[1 + int(day[0]) % 3]
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
    table = Table(_TICKET_HEADERS, cols,
                   [None, None, None, DT_FMT, None, None, None, None, None, DT_FMT, DT_FMT] + [None] * 7)
    wb = new_workbook(path, constant_memory=True)
    ws = wb.add_worksheet(path.stem[-8:])
    widths = [7, 18, 14, 19, 9, 9, 12, 9, 12, 19, 19, 11, 9, 9, 48, 10, 20, 17]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    ws.set_row(0, 26)
    ws.merge_range(0, 0, 0, len(_TICKET_HEADERS) - 1, banner, title)
    r = write_table(wb, ws, table, 1)
    ws.write_string(r, 0, "合计")
    ws.write_number(r, 1, n)
    wb.close()
    return n


def write_tickets(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                   per_month: int, people: list[Person]) -> int:
    """Monthly ticket files ``工单台账YYYY年MM月.xlsx``; return the data rows written."""
    t = _ticket_rows(rng, cal, start, end, per_month, occupants(people, HANDLER_POSTS))
    months = months_between(start, end)
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
