"""PSAM card inventory reconciliation (2.2(3) 七, 表1 #13 item 9: 申领、发放、抽检、回收).

Each card's events are replayed in date order (same-day events in the order
申领 → 发放 → 抽检 → 回收) and the card's history is checked:

- 发放 while the card is already issued and not recovered: issued twice;
- 发放 without any earlier 申领;
- 发放 to a unit other than the one that applied;
- 抽检 while the card is not issued (before issue, or after recovery);
- 回收 while the card is not issued: recovered before issue, without any
  issue, or recovered twice;
- 申领 again while the card is still applied for or issued;
- a card still issued at the cut-off to a unit whose applications in the
  application catalog have all ended (阶段 停用): never recovered after the
  application ended (reading: the catalog carries no end date, so the check
  uses the stage as recorded).

Events after the cut-off are not counted. Pure: frames in, frames out.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

ORDER = {"申领": 0, "发放": 1, "抽检": 2, "回收": 3}
STATE_ZH = {None: "无记录", "applied": "已申领未发放", "issued": "已发放（在用）", "recovered": "已回收"}
CARD_COLUMNS = ["卡号", "使用单位", "申领", "发放", "抽检", "回收", "状态", "最近事件日期", "问题数"]
ISSUE_COLUMNS = ["卡号", "问题", "日期", "说明", "来源"]


def _day(ts) -> str:
    return pd.Timestamp(ts).date().isoformat()


def _source(r) -> str:
    f, row = getattr(r, "src_file", None), getattr(r, "src_row", None)
    if f is None or (isinstance(f, float) and pd.isna(f)):
        return ""
    return f"{f} 第{int(row)}行" if row is not None and not pd.isna(row) else str(f)


def ended_units(applications: pd.DataFrame | None) -> set[str]:
    """Units all of whose applications have ended (stage 停用) in the application catalog."""
    if applications is None or applications.empty or "unit" not in applications:
        return set()
    apps = applications[applications["unit"].notna()]
    return {str(u) for u, g in apps.groupby("unit") if (g["stage"] == "停用").all()}


def reconcile(cards: pd.DataFrame, applications: pd.DataFrame | None = None,
              as_of: datetime | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per card: dates applied, issued, spot-checked, recovered, the state at the cut-off and its problems.

    Parameters
    ----------
    cards : the psam_cards ledger (card_no, event, event_on, unit; provenance ``_file``/``_row`` if present).
    applications : the application catalog, for "application ended" (optional).
    as_of : the cut-off; later events are ignored (default: none ignored).

    Returns
    -------
    (cards, issues) : one row per card (``CARD_COLUMNS``; dates joined with "、"),
        and one row per inconsistency (``ISSUE_COLUMNS``), both sorted by card number.
    """
    ev = cards
    if as_of is not None:
        ev = ev[ev["event_on"] <= pd.Timestamp(as_of)]
    ev = ev[ev["card_no"].notna() & ev["event"].isin(list(ORDER))].copy()
    ev["order"] = ev["event"].map(ORDER)
    # provenance columns renamed: itertuples cannot carry names that start with "_"
    ev = ev.rename(columns={"_file": "src_file", "_row": "src_row"}).sort_values(["card_no", "event_on", "order"], kind="stable")
    ended = ended_units(applications)
    card_rows, issues = [], []
    for card, g in ev.groupby("card_no", sort=True):
        state, applied_unit, issued_unit, ever_applied = None, None, None, False
        dates = {k: [] for k in ORDER}
        found = []

        def flag(kind: str, r, note: str) -> None:
            found.append({"卡号": card, "问题": kind, "日期": _day(r.event_on), "说明": note, "来源": _source(r)})

        for r in g.itertuples(index=False):
            unit = r.unit if isinstance(r.unit, str) and r.unit else None
            dates[r.event].append(_day(r.event_on))
            if r.event == "申领":
                if state in ("applied", "issued"):
                    flag("重复申领", r, f"卡片处于“{STATE_ZH[state]}”状态时再次申领")
                if state != "issued":
                    state = "applied"
                applied_unit, ever_applied = unit or applied_unit, True
            elif r.event == "发放":
                if state == "issued":
                    flag("重复发放", r, f"未回收又发放（上次发放 {dates['发放'][-2]}）")
                if not ever_applied:
                    flag("发放前无申领", r, "台账中此前没有该卡的申领记录")
                elif applied_unit and unit and unit != applied_unit:
                    flag("发放单位与申领单位不一致", r, f"申领：{applied_unit}；发放：{unit}")
                state, issued_unit = "issued", unit or applied_unit
            elif r.event == "抽检":
                if state != "issued":
                    when = "回收之后" if state == "recovered" else "发放之前"
                    flag("抽检时卡片未发放", r, f"抽检发生在{when}")
            elif r.event == "回收":
                if state == "recovered":
                    flag("重复回收", r, f"已于 {dates['回收'][-2]} 回收")
                elif state != "issued":
                    later = g[(g["event"] == "发放") & (g["event_on"] > r.event_on)]
                    if len(later):
                        flag("回收早于发放", r, f"发放日期 {_day(later['event_on'].iloc[0])} 晚于回收")
                    else:
                        flag("无发放记录即回收", r, "台账中没有该卡的发放记录")
                state = "recovered"
        last = g.iloc[-1]
        unit = issued_unit or applied_unit or (last["unit"] if isinstance(last["unit"], str) else None)
        if state == "issued" and unit in ended:
            found.append({"卡号": card, "问题": "应用停用后未回收", "日期": _day(last["event_on"]),
                          "说明": f"{unit} 的应用均已停用（应用目录），卡片仍在发放状态", "来源": _source(last)})
        card_rows.append({"卡号": card, "使用单位": unit or "", **{k: "、".join(v) for k, v in dates.items()},
                          "状态": STATE_ZH[state], "最近事件日期": _day(last["event_on"]), "问题数": len(found)})
        issues += found
    return pd.DataFrame(card_rows, columns=CARD_COLUMNS), pd.DataFrame(issues, columns=ISSUE_COLUMNS)
