"""The handover dossier for the next operator (1.4, 3.1(2): "详细、完备、准确的交接材料").

``sscard dossier --data DIR --out reports/`` builds, for the whole service
period up to the cut-off (default: the service end, or now if earlier):

- ``00_交接资料索引.{html,pdf,docx}``: the index, with a table of contents:
  the handover summary, every file of the dossier and what it holds, the
  open items, staffing against 表1, outlets, applications, the PSAM card
  count, indicators and deductions, data quality;
- ``01_台账/``: every ledger of the data folder, cleaned (typed, duplicates
  resolved, quarantined rows listed apart), masked, in Excel;
- ``02_未办结事项.xlsx``: tickets (all channels) and document deadlines open at
  the cut-off, with their deadlines (people: 3.1(2) business handover);
- ``03_人员名册与岗位配置.xlsx``: 表1 coverage per post and level on the
  cut-off day, the team then, and the whole roster;
- ``04_网点名录.xlsx``: each outlet with its last on-site inspection, its
  findings not yet rectified and its last phone check;
- ``05_应用目录.xlsx``: the application catalog with its last inspection;
- ``06_PSAM卡清点.xlsx``: every card's history and the inconsistent ones (psam.py);
- ``07_指标与违约金.xlsx``: A1–A21 and every deduction of the period, the settlement;
- ``08_年报/``: the annual report in every format the renderer offers.

Personal data is masked everywhere. Only with ``include_personal_data``
does the dossier add ``内部资料_未脱敏台账/`` (the ledgers unmasked, each file
named and marked 内部资料), and the index then carries a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..contract.indicators import indicator_note
from ..contract.kpi import compute_kpis
from ..dates.calendar import calendar_for
from ..dates.periods import Period, parse_period
from ..ingest.ledgers import EXCLUDED_STATUSES, LEDGERS
from ..ingest.reader import DataSet, load
from ..measures.documents import task_stages
from ..measures.staffing import MIN_STAFF, TABLE1_POSTS, on_board
from ..privacy import mask_person, scrub_series
from ..reporting.formatting import STATUS_ZH
from .document import Block, write_docx, write_html_pdf
from .manifest import input_hashes, publish, staging, write_manifest
from .package import report_formats
from .psam import reconcile
from .writers import INTERNAL_MARK, fixed_time, ledger_sheet, write_workbook

INDEX = "00_交接资料索引"
INTERNAL_DIR = f"{INTERNAL_MARK}_未脱敏台账"
DESCRIPTIONS = {
    "01_台账": "全部台账（已清洗、已脱敏），每个台账一个工作簿，含来源文件与行号",
    "02_未办结事项.xlsx": "截至交接时点未办结的工单（全部渠道）与办文期限",
    "03_人员名册与岗位配置.xlsx": "表1岗位配置对照、交接时点在岗人员、全部人员名册（姓名已脱敏）",
    "04_网点名录.xlsx": "合作银行网点名录及每个网点最近一次现场检查、未整改问题、最近一次电话巡检",
    "05_应用目录.xlsx": "社保卡应用目录及最近一次应用巡检",
    "06_PSAM卡清点.xlsx": "PSAM卡逐卡清点（申领、发放、抽检、回收）与异常记录",
    "07_指标与违约金.xlsx": "服务期 A1–A21 指标、违约金明细与尾款结算",
    "08_年报": "服务期年度报告",
    INTERNAL_DIR: "内部资料：未脱敏台账（仅在明确要求时附上）",
}


SETTLEMENT_ZH = {"final_payment_yuan": "尾款（合同总额的20%，4.1(3)）", "deductions_to_date_yuan": "累计违约金",
                 "final_payment_left_yuan": "扣除违约金后的尾款"}


@dataclass
class Dossier:
    folder: Path
    zip: Path | None
    manifest: dict
    psam_issues: pd.DataFrame


def open_tickets(ds: DataSet, as_of: datetime, cal) -> pd.DataFrame:
    """Tickets of every channel received by the cut-off and not closed by then (无效/重复/退单 left out), masked."""
    from ..measures.hotline import prepare_tickets

    cols = ["ticket_id", "channel", "received_at", "ticket_type", "status", "due_at", "closed_at", "category", "district",
            "bank", "handler", "content", "citizen_name"]
    t = prepare_tickets(ds["tickets"], ds.settings, cal, cols)
    t = t[(t["received_at"] <= pd.Timestamp(as_of)) & ~t["status"].isin(EXCLUDED_STATUSES)]
    t = t[t["closed_at"].isna() | (t["closed_at"] > pd.Timestamp(as_of))].sort_values("due_at")
    return pd.DataFrame({
        "工单编号": t["ticket_id"], "来源渠道": t["channel"].astype(object), "受理时间": t["received_at"],
        "诉求类型": t["ticket_type"].astype(object), "办理时限": t["due_at"],
        "已逾期": (t["due_at"] < pd.Timestamp(as_of)).map({True: "是", False: "否"}),
        "业务类别": t["category"], "所属区": t["district"].astype(object), "涉及银行": t["bank"].astype(object),
        "经办人": t["handler"].map(mask_person), "诉求内容（已脱敏）": scrub_series(t["content"], t["citizen_name"])})


def open_documents(ds: DataSet, as_of: datetime, cal) -> pd.DataFrame:
    """Document deadlines (and weekly/monthly reports) not done by the cut-off, with their deadlines."""
    stages = task_stages(ds["documents"], ds["deliverables"] if ds.has("deliverables") else None, ds.settings, cal)
    cut = pd.Timestamp(as_of)
    req = ds["documents"].set_index("doc_id")["requested_at"] if ds.has("documents") else pd.Series(dtype="datetime64[ns]")
    s = stages[stages["done_at"].isna() | (stages["done_at"] > cut)].copy()
    s = s[s["doc_id"].map(req).fillna(s["deadline"]).le(cut) | s["deadline"].isna()]
    s = s.sort_values("deadline", kind="stable")
    return pd.DataFrame({"编号": s["doc_id"], "类型": s["doc_type"].astype(object), "标题": s["title"], "环节": s["stage"],
                         "期限": s["deadline"], "已逾期": (s["deadline"] < cut).map({True: "是", False: "否"}),
                         "已报备延期": s["extension"].map({True: "是", False: "否"})})


def post_coverage(staff: pd.DataFrame, day) -> pd.DataFrame:
    """表1 per post: minimum and levels required, people and levels on ``day``, what is missing."""
    from ..measures.staffing import roster_check

    team = on_board(staff, day)
    short = {s["post"]: s for s in roster_check(staff, day)["shortfalls"]}
    rows = []
    for post, (need, levels) in TABLE1_POSTS.items():
        people = team[team["post"] == post]
        have = people["level"].astype(object).fillna("（未填）").value_counts().to_dict()
        s = short.get(post)
        gap = "" if s is None else (f"缺 {need - s['have']} 人" if s["have"] < need else "") + "".join(
            f" 缺{k}{v}" for k, v in s["missing_levels"].items())
        rows.append({"岗位": post, "表1最低人数": need, "表1级别要求": "、".join(f"{k}{v}" for k, v in levels.items()),
                     "在岗人数": len(people), "在岗级别": "、".join(f"{k}{v}" for k, v in sorted(have.items())),
                     "缺口": gap.strip() or "满足"})
    return pd.DataFrame(rows)


def outlet_registry(ds: DataSet, as_of: datetime) -> pd.DataFrame:
    """Outlets with their last on-site inspection, findings not rectified there, and last phone check."""
    o = ds["outlets"]
    cut = pd.Timestamp(as_of)
    out = ledger_sheet(o.sort_values("outlet_id"), "outlets").drop(columns=["来源文件", "行号"], errors="ignore")
    ids = o.sort_values("outlet_id")["outlet_id"].to_numpy()
    if ds.has("outlet_inspections"):
        ins = ds["outlet_inspections"]
        ins = ins[ins["inspected_on"] <= cut].sort_values("inspected_on", kind="stable")
        last = ins.drop_duplicates("outlet_id", keep="last").set_index("outlet_id")
        open_f = last[(last["rectified"] == False) & last["issues"].notna()]["issues"]  # noqa: E712
        out["最近现场检查"] = pd.Series(ids).map(last["inspected_on"]).to_numpy()
        out["检查次数"] = pd.Series(ids).map(ins.groupby("outlet_id").size()).fillna(0).astype(int).to_numpy()
        out["未整改问题"] = pd.Series(ids).map(scrub_series(open_f)).fillna("").to_numpy()
    if ds.has("phone_checks"):
        pc = ds["phone_checks"]
        pc = pc[pc["checked_at"] <= cut].sort_values("checked_at", kind="stable").drop_duplicates("outlet_id", keep="last").set_index("outlet_id")
        out["最近电话巡检"] = pd.Series(ids).map(pc["checked_at"]).to_numpy()
        out["最近电话接通"] = pd.Series(ids).map(pc["answered"].map({True: "是", False: "否"})).to_numpy()
    return out


def application_catalog(ds: DataSet, as_of: datetime) -> pd.DataFrame:
    apps = ds["applications"].sort_values("app_id")
    out = ledger_sheet(apps, "applications").drop(columns=["来源文件", "行号"], errors="ignore")
    if ds.has("app_inspections"):
        ai = ds["app_inspections"]
        ai = ai[ai["inspected_on"] <= pd.Timestamp(as_of)].sort_values("inspected_on", kind="stable")
        last = ai.drop_duplicates("app_id", keep="last").set_index("app_id")
        ids = pd.Series(apps["app_id"].to_numpy())
        out["最近应用巡检"] = ids.map(last["inspected_on"]).to_numpy()
        out["最近巡检发现"] = ids.map(last["findings"]).fillna("").to_numpy()
        out["巡检次数"] = ids.map(ai.groupby("app_id").size()).fillna(0).astype(int).to_numpy()
    return out


def _indicator_table(k: dict) -> pd.DataFrame:
    rows = []
    for code, i in k["indicators"].items():
        v = i["value"]
        shown = "—" if v is None else (f"{v * 100:.2f}%" if code in ("A1", "A2") else f"{v:,.0f}")
        t = i["target"]
        target = "100%" if code == "A1" else ">90%" if code == "A2" else f"{t:,.0f}"
        rows.append({"编号": code, "指标": i["name"], "数值": shown, "目标": target, "状态": STATUS_ZH[i["status"]],
                     "说明": indicator_note(code, i)})
    return pd.DataFrame(rows)


def build_dossier(data_dir: Path | str, out_dir: Path | str, as_of: str | None = None, formats: tuple[str, ...] | None = None,
                  include_personal_data: bool = False, zip_file: bool = True, now: datetime | None = None) -> Dossier:
    """Build and publish the handover dossier under ``out_dir`` (folder and zip)."""
    formats = report_formats(formats)
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir)
    ds = load(data_dir)
    cal = calendar_for(ds.settings)
    p = parse_period("contract", ds.settings, as_of or None)
    s = ds.settings
    name = f"社保卡服务交接资料_{s.start}_{s.end}"
    target = out_dir / name
    params = {"kind": "dossier", "as_of": p.as_of.isoformat(), "data_dir": str(data_dir), "formats": list(formats),
              "include_personal_data": include_personal_data, "start": s.start.isoformat(), "end": s.end.isoformat()}
    with fixed_time(p.as_of), staging(target) as work:
        k = compute_kpis(ds, p)
        files: list[tuple[str, str]] = []
        for ledger in LEDGERS.values():
            if ds.has(ledger.name):
                rel = f"01_台账/{ledger.zh}.xlsx"
                write_workbook(work / rel, [(ledger.zh, ledger_sheet(ds[ledger.name], ledger.name))])
        quarantine = ds.quarantine.rename(columns={"file": "文件", "sheet": "工作表", "row": "行号", "ledger": "台账", "reason": "原因"})
        write_workbook(work / "01_台账/数据质量.xlsx", [("读取汇总", _quality(ds)), ("隔离明细", quarantine)])
        tickets = open_tickets(ds, p.as_of, cal) if ds.has("tickets") else pd.DataFrame()
        docs = open_documents(ds, p.as_of, cal) if (ds.has("documents") or ds.has("deliverables")) else pd.DataFrame()
        write_workbook(work / "02_未办结事项.xlsx", [("未办结工单", tickets), ("未完成办文", docs)])
        coverage = roster = None
        if ds.has("staff"):
            day = min(p.as_of.date(), s.end)
            coverage = post_coverage(ds["staff"], day)
            roster = on_board(ds["staff"], day).sort_values(["post", "staff_id"])
            write_workbook(work / "03_人员名册与岗位配置.xlsx", [
                ("表1岗位配置", coverage), ("在岗人员", ledger_sheet(roster, "staff")),
                ("全部人员", ledger_sheet(ds["staff"].sort_values("staff_id"), "staff"))])
        outlets = outlet_registry(ds, p.as_of) if ds.has("outlets") else None
        if outlets is not None:
            write_workbook(work / "04_网点名录.xlsx", [("网点名录", outlets)])
        apps = application_catalog(ds, p.as_of) if ds.has("applications") else None
        if apps is not None:
            write_workbook(work / "05_应用目录.xlsx", [("应用目录", apps)])
        cards, issues = reconcile(ds["psam_cards"], ds["applications"] if ds.has("applications") else None, p.as_of)
        if ds.has("psam_cards"):
            write_workbook(work / "06_PSAM卡清点.xlsx", [("逐卡清点", cards), ("异常记录", issues)])
        pen = pd.DataFrame(k["penalties"]["items"], columns=["rule", "clause", "basis", "date", "amount_yuan"]).rename(
            columns={"rule": "规则", "clause": "条款", "basis": "依据", "date": "日期", "amount_yuan": "金额（元）"})
        settle = pd.DataFrame([{"项目": SETTLEMENT_ZH.get(key, key), "金额（元）": v} for key, v in k["penalties"].get("settlement", {}).items()])
        flags = pd.DataFrame(k.get("flags", []), columns=["flag", "clause", "basis", "date"]).rename(
            columns={"flag": "提示", "clause": "条款", "basis": "依据", "date": "日期"})
        write_workbook(work / "07_指标与违约金.xlsx", [("合同指标", _indicator_table(k)), ("违约金明细", pen), ("尾款结算", settle),
                                                   ("提示事项", flags)])
        if formats:
            from ..reporting.render import run_report

            run_report("annual", "contract", data_dir, work / "08_年报", formats, p.as_of.isoformat(), manifest=False)
        if include_personal_data:
            for ledger in LEDGERS.values():
                if ds.has(ledger.name):
                    write_workbook(work / INTERNAL_DIR / f"{INTERNAL_MARK}_{ledger.zh}.xlsx",
                                   [(ledger.zh, ledger_sheet(ds[ledger.name], ledger.name, mask=False))], internal=True)
        for entry in sorted(q.name for q in work.iterdir()):
            files.append((entry, DESCRIPTIONS.get(entry, "")))
        blocks = index_blocks(ds, p, k, files, tickets, docs, coverage, outlets, apps, cards, issues, include_personal_data)
        title = f"广州市社会保障卡服务项目交接资料索引（{s.start} 至 {s.end}）"
        write_html_pdf(blocks, title, work / f"{INDEX}.html", work / f"{INDEX}.pdf")
        write_docx(blocks, title, work / f"{INDEX}.docx", p.as_of, internal=include_personal_data)
        manifest = write_manifest(work, "dossier", input_hashes(data_dir, ds.input_hashes), params, now)
        zip_path = out_dir / f"{name}.zip" if zip_file else None
        publish(work, target, zip_path, p.as_of)
    return Dossier(target, zip_path, manifest, issues)


def _quality(ds: DataSet) -> pd.DataFrame:
    dq = ds.summary()
    return dq[dq["files"] > 0].drop(columns=["ledger"]).rename(columns={
        "files": "文件数", "rows_read": "读入行", "accepted": "接收", "quarantined": "隔离", "dropped_blank": "剔除空行",
        "dropped_summary": "剔除合计行", "dropped_duplicate": "剔除重复", "warnings": "警告"})


def index_blocks(ds: DataSet, p: Period, k: dict, files, tickets, docs, coverage, outlets, apps, cards, issues,
                 internal: bool) -> list[Block]:
    """The index document's content (the same blocks become HTML/PDF and Word)."""
    s = ds.settings
    dq = k["data_quality"]
    b = [Block("h1", "广州市社会保障卡服务项目交接资料索引"),
         Block("meta", f"服务期：{s.start} 至 {s.end}　交接时点：{p.as_of:%Y-%m-%d %H:%M}"),
         Block("meta", f"依据：采购需求 1.4、3.1(2)（人员承接、整体文档移交、业务移交）；数据来源：{dq['files']} 个台账文件，"
                       f"读入 {dq['rows_read']:,} 行，接收 {dq['accepted_rows']:,} 行，隔离 {dq['quarantined_rows']:,} 行。")]
    if internal:
        b.append(Block("warning", f"本交接资料附有未脱敏的个人信息（{INTERNAL_DIR}/，文件均标注“{INTERNAL_MARK}”），"
                                  "仅限交接双方指定人员使用，不得外传、复制或用于其他用途（6.2、5.3(4)）。"))
    else:
        b.append(Block("meta", "个人信息均已脱敏：身份证号只保留后四位，手机号显示为 138****5678，姓名只保留姓氏。"))
    b += [Block("h2", "一、文件清单"),
          Block("table", table=pd.DataFrame([{"文件": f, "内容": d} for f, d in files]
                                            + [{"文件": "manifest.json", "内容": "全部文件的 SHA-256 校验清单（sscard verify 校验）"}]))]
    n_open = len(tickets)
    overdue = int((tickets["已逾期"] == "是").sum()) if n_open else 0
    b += [Block("h2", "二、未办结事项"),
          Block("p", f"截至交接时点，未办结工单 {n_open} 件（其中已逾期 {overdue} 件），未完成办文 {len(docs)} 项；"
                     "明细见 02_未办结事项.xlsx，下表列出期限最早的 20 件工单。"),
          Block("table", table=tickets.head(20)[["工单编号", "来源渠道", "诉求类型", "受理时间", "办理时限", "已逾期"]]
                if n_open else pd.DataFrame()),
          Block("table", table=docs.head(20) if len(docs) else pd.DataFrame())]
    b.append(Block("h2", "三、人员与岗位配置（表1）"))
    if coverage is not None:
        head = int(coverage["在岗人数"].sum())
        b += [Block("p", f"交接时点在岗 {head} 人（最低 {MIN_STAFF} 人）；各岗位对照如下，人员名单见 03_人员名册与岗位配置.xlsx。"),
              Block("table", table=coverage)]
    else:
        b.append(Block("p", "数据目录中没有人员名册。"))
    b.append(Block("h2", "四、合作银行网点"))
    if outlets is not None:
        never = int(outlets["最近现场检查"].isna().sum()) if "最近现场检查" in outlets else len(outlets)
        with_open = outlets[outlets.get("未整改问题", pd.Series("", index=outlets.index)).astype(str) != ""]
        b += [Block("p", f"网点 {len(outlets)} 个，服务期内未做现场检查的 {never} 个，最近一次检查仍有未整改问题的 {len(with_open)} 个"
                         "（见 04_网点名录.xlsx；下表列出前 30 个）。"),
              Block("table", table=with_open.head(30)[[c for c in ("网点编号", "网点名称", "所属银行", "最近现场检查", "未整改问题")
                                                       if c in with_open]])]
    else:
        b.append(Block("p", "数据目录中没有网点名录。"))
    b.append(Block("h2", "五、社保卡应用目录"))
    b.append(Block("table", table=apps[[c for c in ("编号", "应用名称", "应用单位", "阶段", "上线日期", "最近应用巡检") if c in apps]]
                   if apps is not None else pd.DataFrame()))
    b.append(Block("h2", "六、PSAM卡清点"))
    if len(cards):
        states = cards["状态"].value_counts()
        b += [Block("p", f"PSAM卡 {len(cards)} 张：" + "，".join(f"{k} {v} 张" for k, v in states.items())
                         + f"；账实不符（历史记录不一致）{issues['卡号'].nunique() if len(issues) else 0} 张，见下表与 06_PSAM卡清点.xlsx。"),
              Block("table", table=issues)]
    else:
        b.append(Block("p", "没有 PSAM 卡记录。"))
    pen = k["penalties"]
    settle = pen.get("settlement", {})
    b += [Block("h2", "七、合同指标与违约金"),
          Block("table", table=_indicator_table(k)),
          Block("p", f"服务期违约金合计 {pen['total_yuan']:,.2f} 元（{len(pen['items'])} 项，明细见 07_指标与违约金.xlsx）"
                     + (f"；尾款 {settle.get('final_payment_yuan', 0):,.2f} 元" if settle.get("final_payment_yuan") is not None else "") + "。"),
          Block("h2", "八、数据质量"),
          Block("table", table=_quality(ds)[["台账", "文件数", "读入行", "接收", "隔离", "警告"]])]
    return b

