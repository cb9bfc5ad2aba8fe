"""What is late and what is open at the cut-off: late tickets with how late, and the next period's work.

Late tickets follow DATA_CONTRACT 3: ``逾期未办结`` = counted tickets open at
the cut-off whose deadline has passed (any period), ``超时办结`` = counted
tickets due in the period and closed after their deadline (by the cut-off);
together with the due-in-period open ones they reconcile with the on-time
rate (tickets_due − closed_on_time).

:func:`open_items` drafts 下月工作计划 / 需采购人协调事项 from what is open
at the cut-off: overdue tickets, documents due or overdue, yearly quotas
behind pace, outlets with unrectified inspection findings, staffing gaps,
incidents still running and the flags that need the purchaser.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from ..dates.calendar import WorkCalendar
from ..dates.periods import Period
from ..ingest.ledgers import CHANNEL, CLOSED_AT, DUE_AT, HOTLINE
from ..ingest.reader import DataSet
from ..measures.documents import task_stages
from ..measures.hotline import as_at, counted, overdue_open
from ..measures.staffing import roster_check
from ..privacy import mask_person, scrub_series
from .slices import apply_filters, labelled

OVERDUE, CLOSED_LATE = "逾期未办结", "超时办结"
LATE_COLUMNS = ["ticket_id", "state", "due_in_period", "channel", "ticket_type", "category", "district", "bank", "received_at",
                "due_at", "closed_at", "late_days", "late_workdays", "handler", "summary"]
OWNER_TEAM, OWNER_PURCHASER = "本项目", "需采购人协调"


def late_tickets(tickets: pd.DataFrame, period: Period, cal: WorkCalendar, filters: dict | None = None) -> pd.DataFrame:
    """Tickets open past their deadline at the cut-off and tickets closed late in the period, with how late.

    ``filters`` default to 12345热线 (the contract's A1). Columns
    (:data:`LATE_COLUMNS`): ``state`` (逾期未办结 or 超时办结), ``late_days``
    (calendar days from the deadline to the closure or the cut-off, one
    decimal), ``due_in_period`` (the deadline falls in the period: these, with
    the tickets closed late, are exactly ``tickets_due - closed_on_time``; an
    overdue ticket due in an earlier period is listed but not counted there), ``late_workdays`` (working days after the deadline's day up to
    and including the day of closure or the cut-off), ``handler`` (work ID or
    masked name) and ``summary`` (content scrubbed, 40 characters). No
    personal data. Overdue first, by deadline.
    """
    filters = {CHANNEL: HOTLINE} if filters is None else filters
    seen = apply_filters(as_at(tickets, period.as_of), **filters)
    od = overdue_open(seen, period.as_of).assign(state=OVERDUE)
    t = counted(seen)
    late = t[(t[DUE_AT] >= period.start_dt) & (t[DUE_AT] <= period.end_dt) & t[CLOSED_AT].notna() & (t[CLOSED_AT] > t[DUE_AT])]
    both = pd.concat([od.sort_values(DUE_AT), late.assign(state=CLOSED_LATE).sort_values(DUE_AT)])
    if both.empty:
        return pd.DataFrame(columns=LATE_COLUMNS)
    end = both[CLOSED_AT].where(both[CLOSED_AT].notna(), pd.Timestamp(period.as_of))
    late_days = ((end - both[DUE_AT]).dt.total_seconds() / 86400).round(1)
    workdays = [cal.workdays_in((d + timedelta(days=1)).date(), e.date()) for d, e in zip(both[DUE_AT], end)]
    names = both["citizen_name"] if "citizen_name" in both else None
    summary = scrub_series(both["content"], names).str.slice(0, 40) if "content" in both else pd.Series("", index=both.index)
    out = pd.DataFrame({
        "ticket_id": both["ticket_id"].astype(str), "state": both["state"],
        "due_in_period": (both[DUE_AT] >= period.start_dt) & (both[DUE_AT] <= period.end_dt), "channel": both[CHANNEL].astype(object),
        "ticket_type": both["ticket_type"].astype(object),
        **{c: labelled(both[c]) if c in both else "" for c in ("category", "district", "bank")},
        "received_at": both["received_at"], "due_at": both[DUE_AT], "closed_at": both[CLOSED_AT],
        "late_days": late_days, "late_workdays": workdays,
        "handler": both["handler"].map(mask_person) if "handler" in both else "", "summary": summary,
    })
    return out.reset_index(drop=True)[LATE_COLUMNS]


def _item(kind: str, owner: str, item: str, count: int | float, details: list[str]) -> dict:
    return {"kind": kind, "owner": owner, "item": item, "count": count, "details": details}


def open_items(ds: DataSet, tickets: pd.DataFrame, kpis: dict, period: Period, cal: WorkCalendar,
               incidents: pd.DataFrame | None = None, horizon_workdays: int = 10) -> list[dict]:
    """Work open at the cut-off, for the next period's plan: one item per kind, each with its list.

    Each item is a dict: ``kind``, ``owner`` (本项目 or 需采购人协调), ``item``
    (one sentence), ``count`` and ``details`` (short lines, no personal data).
    Documents are those not submitted at the cut-off: overdue, or due within
    ``horizon_workdays`` working days. Quotas behind pace give the number
    needed per remaining month to reach the yearly target.
    """
    out: list[dict] = []
    as_of = period.as_of
    late = late_tickets(tickets, period, cal)
    od = late[late["state"] == OVERDUE]
    if len(od):
        out.append(_item("逾期工单", OWNER_TEAM, f"督办截至统计时点逾期未办结的12345工单 {len(od)} 件，逐件办结或按程序报备延期。", len(od),
                         [f"{r.ticket_id}（{r.category}，逾期 {r.late_workdays} 个工作日）" for r in od.itertuples()]))
    if ds.has("documents") or ds.has("deliverables"):
        docs = ds["documents"]
        st = task_stages(docs, ds["deliverables"] if ds.has("deliverables") else None, ds.settings, cal)
        pending = st[st["deadline"].notna() & ~st["extension"] & (st["done_at"].isna() | (st["done_at"] > as_of))]
        horizon = pd.Timestamp(cal.add_workdays(as_of.date(), horizon_workdays)) + pd.Timedelta(hours=23, minutes=59, seconds=59)
        overdue_docs = pending[pending["deadline"] < as_of].sort_values("deadline")
        due_docs = pending[(pending["deadline"] >= as_of) & (pending["deadline"] <= horizon)].sort_values("deadline")
        if len(overdue_docs):
            out.append(_item("办文逾期", OWNER_TEAM, f"尽快提交已超过表2时限的办文 {len(overdue_docs)} 件次（超时按3.7(1)每件每天计扣违约金）。",
                             len(overdue_docs), [_doc_line(r) for r in overdue_docs.itertuples()]))
        if len(due_docs):
            out.append(_item("办文到期", OWNER_TEAM, f"按期完成 {horizon_workdays} 个工作日内到期的办文 {len(due_docs)} 件次。",
                             len(due_docs), [_doc_line(r) for r in due_docs.itertuples()]))
    behind = []
    months_left = max((ds.settings.end - as_of.date()).days / 30.44, 0)  # to the service end (1.4)
    for code, i in (kpis.get("indicators") or {}).items():
        if i.get("status") == "at_risk" and i.get("pace_target") is not None and i["pace_target"] - (i["value"] or 0) >= 1:
            need = (i["target"] - i["value"]) / months_left if months_left >= 1 else i["target"] - i["value"]
            behind.append(f"{code} {i['name']}：累计 {i['value']:,.0f}，应完成 {i['pace_target']:,.1f}，"
                          f"年度目标 {i['target']:,.0f}，此后每月需完成约 {need:,.0f}")
    if behind:
        out.append(_item("年度任务进度", OWNER_TEAM, f"{len(behind)} 项年度任务低于应完成进度，下期按月分解补足。", len(behind), behind))
    unrect = unrectified_outlets(ds, as_of)
    if len(unrect):
        by_bank = unrect.groupby("bank").size().sort_values(ascending=False)
        out.append(_item("网点未整改", OWNER_PURCHASER,
                         f"{len(unrect)} 个网点最近一次现场检查发现的问题尚未整改，请采购人协调合作银行督促整改，本项目下期复查。", len(unrect),
                         [f"{b}：{n} 个网点（{'、'.join(unrect.loc[unrect['bank'] == b, 'outlet_id'].head(5))}{'等' if n > 5 else ''}）"
                          for b, n in by_bank.items()]))
    if ds.has("staff"):
        r = roster_check(ds["staff"], min(period.end, as_of.date()))
        if r["shortfalls"] or r["headcount"] < r["target"]:
            lines = [f"{s['post']}：要求 {s['need']} 人，在岗 {s['have']} 人"
                     + ("（缺" + "、".join(f"{k}{v}人" for k, v in s["missing_levels"].items()) + "）" if s["missing_levels"] else "")
                     for s in r["shortfalls"]]
            out.append(_item("人员缺口", OWNER_TEAM, f"在岗 {r['headcount']} 人（合同要求不少于 {r['target']} 人），按表1补齐岗位和级别，新人员到岗前报采购人备案（3.2(2)）。",
                             len(r["shortfalls"]), lines))
    if incidents is not None and len(incidents):
        running = incidents[pd.to_datetime(incidents["end"]) >= pd.Timestamp(min(period.end, as_of.date()))]
        if len(running):
            out.append(_item("突发问题", OWNER_PURCHASER, "统计期末仍在持续的突发问题，请采购人协调相关系统和合作银行排查处置，本项目持续监测并报送专报。",
                             len(running), [f"{r.categories}：{r.start} 起，超出常态 {r.excess:,.0f} 件" for r in running.itertuples()]))
    flags = kpis.get("flags") or []
    if flags:
        grouped: dict[str, list[str]] = {}
        for f in flags:
            grouped.setdefault(f"{f['flag']}（{f['clause']}）", []).append(f"{f['basis']}（{f['date']}）")
        out.append(_item("合同关注事项", OWNER_PURCHASER, f"{len(flags)} 项合同关注事项需向采购人报告并按条款处理。", len(flags),
                         [f"{k}：{'；'.join(v)}" for k, v in grouped.items()]))
    return out


def _doc_line(r) -> str:
    title = scrub_series(pd.Series([r.title if isinstance(r.title, str) else ""])).iloc[0][:30]
    return f"{r.doc_id} {r.doc_type}（{r.stage}）{title}：期限 {r.deadline:%m-%d %H:%M}"


def unrectified_outlets(ds: DataSet, as_of) -> pd.DataFrame:
    """Outlets whose latest on-site inspection by the cut-off found problems not yet rectified (rectified = 否)."""
    cols = ["outlet_id", "bank", "district", "inspected_on", "issues"]
    if not ds.has("outlet_inspections"):
        return pd.DataFrame(columns=cols)
    ins = ds["outlet_inspections"]
    ins = ins[ins["inspected_on"] <= pd.Timestamp(as_of)].sort_values(["outlet_id", "inspected_on"])
    latest = ins.drop_duplicates("outlet_id", keep="last")
    bad = latest[latest["rectified"] == False]  # noqa: E712
    outlets = ds["outlets"][["outlet_id", "bank", "district"]] if ds.has("outlets") else pd.DataFrame(columns=["outlet_id", "bank", "district"])
    m = bad.merge(outlets, on="outlet_id", how="left")
    m["bank"] = labelled(m["bank"])
    m["district"] = labelled(m["district"])
    m["issues"] = scrub_series(m["issues"]) if len(m) else m["issues"]
    return m[cols].reset_index(drop=True)


def late_summary(late: pd.DataFrame) -> pd.DataFrame:
    """Late tickets per state and category: count, mean and longest lateness (calendar days)."""
    if late.empty:
        return pd.DataFrame(columns=["state", "category", "tickets", "mean_late_days", "max_late_days"])
    g = late.groupby(["state", "category"], sort=False)["late_days"]
    out = g.agg(tickets="size", mean_late_days="mean", max_late_days="max").reset_index()
    out["mean_late_days"] = out["mean_late_days"].round(1)
    return out.sort_values(["state", "tickets"], ascending=[False, False]).reset_index(drop=True)

