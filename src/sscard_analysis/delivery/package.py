"""表3 document packages: one month's, or a payment stage's (second payment, acceptance).

``sscard package --period 2024-05`` builds the month's package:

- ``01_报告/``: the monthly report and the weekly reports of the weeks that
  end in that month, in every format the report renderer offers;
- ``02_台账/<month>/``: the month's ledgers as formatted, masked Excel —
  trainings with the training materials filed so far, second-line support,
  appraisal (volume and errors per person, attendance, the project manager's
  on-site duties), errors and praise (error records, praise tickets, valid
  complaints), outlet inspections (on-site checks, phone checks, a summary
  per outlet, inspection reports filed), documents (every deadline with its
  completion and lateness, reports filed);
- ``00_交付清单_<label>.{html,pdf,xlsx}``: the 表3 checklist (checklist.py);
- ``manifest.json`` (written last), and the whole folder as a zip beside it.

``--stage second-payment`` covers every service month through the
mid-term cut-off, ``--stage acceptance`` the whole service period plus the
annual report and the evidence ledger of A1–A21 (evidence.py).

The package is built in a staging folder and renamed into place at the end;
its reports show the cut-off as their generation time, workbooks and zips
carry fixed dates, so the same inputs give the same files (only the
manifest's ``built_at`` line differs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..contract.kpi import compute_kpis
from ..dates.calendar import WorkCalendar, calendar_for, end_of_day
from ..dates.periods import Period, parse_as_of, parse_period
from ..ingest.reader import DataSet, load
from ..measures.activity import in_period
from ..measures.documents import lateness, task_stages
from .checklist import (
    MISSING,
    NOT_APPLICABLE,
    PRESENT,
    STAGES,
    TABLE3_ITEMS,
    build_checklist,
    expected_reports,
    stage_period,
    summary,
    window_months,
)
from .evidence import evidence_index, evidence_sheets
from .manifest import DeliveryError, input_hashes, publish, staging, write_manifest
from .writers import fixed_time, ledger_sheet, table_html, write_page, write_workbook

REPORTS_DIR = "01_报告"
LEDGERS_DIR = "02_台账"
EVIDENCE_FILE = "03_验收指标证明台账.xlsx"
STATUS_CLASSES = {PRESENT: "st-ok", MISSING: "st-bad", NOT_APPLICABLE: "st-na"}


@dataclass
class Built:
    """A published package: its folder, its zip, the checklist and the manifest."""

    folder: Path
    zip: Path | None
    checklist: pd.DataFrame
    manifest: dict

    @property
    def counts(self) -> dict[str, int]:
        return summary(self.checklist)


def report_formats(formats: tuple[str, ...] | None) -> tuple[str, ...]:
    """The formats reports are rendered in: every format the renderer offers unless given."""
    from ..reporting.render import FORMATS

    if formats is None:
        return tuple(FORMATS)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise DeliveryError(f"未知格式 {', '.join(bad)}；可用 {', '.join(FORMATS)}（或 none）")
    return tuple(formats)


def package_name(label: str) -> str:
    return f"社保卡交付包_{label}"


# ---------------------------------------------------------------- the month's ledgers


def _month_period(month: str, cut: datetime, ds: DataSet) -> Period:
    p = parse_period(month, ds.settings, now=cut)
    return Period(p.label, p.start, p.end, min(p.as_of, cut))


def _rows(ds: DataSet, ledger: str, col: str, p: Period) -> pd.DataFrame:
    return in_period(ds[ledger], col, p).sort_values(col, kind="stable")


def month_workbooks(ds: DataSet, month: str, cut: datetime, cal: WorkCalendar) -> dict[str, tuple[str, list]]:
    """The month's ledger workbooks: key → (file name, [(sheet, frame)]), masked, Chinese headers.

    Keys are those the checklist looks up (``trainings``, ``support_records``,
    ``appraisal``, ``errors_praise``, ``inspections``, ``documents``); a
    workbook is written only when its ledger is in the data folder.
    """
    p = _month_period(month, cut, ds)
    out: dict[str, tuple[str, list]] = {}
    if ds.has("trainings") or ds.has("publications"):
        sheets = []
        if ds.has("trainings"):
            sheets.append(("培训记录", ledger_sheet(_rows(ds, "trainings", "held_on", p), "trainings")))
        if ds.has("publications"):
            pubs = ds["publications"]
            mats = pubs[(pubs["kind"] == "培训材料") & (pubs["published_on"] <= pd.Timestamp(p.end_dt))]
            sheets.append(("培训材料（累计）", ledger_sheet(mats.sort_values("published_on"), "publications")))
        out["trainings"] = (f"培训记录及培训教材_{month}.xlsx", sheets)
    if ds.has("support_records"):
        out["support_records"] = (f"二线支持记录_{month}.xlsx",
                                  [("二线支持记录", ledger_sheet(_rows(ds, "support_records", "held_on", p), "support_records"))])
    if ds.has("errors"):
        err = _rows(ds, "errors", "month", p)
        rate = (err["errors"] / err["volume"].where(err["volume"] > 0)).astype(float)
        appraisal = ledger_sheet(err, "errors").assign(差错率=rate.to_numpy())
        sheets = [("业务量与差错", appraisal)]
        if ds.has("attendance"):
            sheets.append(("考勤", ledger_sheet(_rows(ds, "attendance", "date", p), "attendance")))
        if ds.has("pm_duties"):
            sheets.append(("项目经理现场管理", ledger_sheet(_rows(ds, "pm_duties", "month", p), "pm_duties")))
        out["appraisal"] = (f"服务人员绩效考核记录_{month}.xlsx", sheets)
        wrong = err[(err["errors"] > 0) | (err["spot_check_errors"].fillna(0) > 0) | (err["serious"] == True)]  # noqa: E712
        sheets = [("差错记录", ledger_sheet(wrong, "errors").assign(差错率=rate[wrong.index].to_numpy()))]
        if ds.has("tickets"):
            t = ds["tickets"]
            praise = t[(t["ticket_type"] == "表扬") & (t["received_at"] >= p.start_dt) & (t["received_at"] <= p.end_dt)]
            sheets.append(("表扬工单", ledger_sheet(praise.sort_values("received_at"), "tickets")))
        if ds.has("complaints"):
            c = _rows(ds, "complaints", "received_on", p)
            sheets.append(("有效投诉", ledger_sheet(c[c["valid"] == True], "complaints")))  # noqa: E712
        out["errors_praise"] = (f"服务人员差错及表扬记录_{month}.xlsx", sheets)
    if ds.has("outlet_inspections") or ds.has("phone_checks"):
        sheets = []
        if ds.has("outlet_inspections"):
            ins = _rows(ds, "outlet_inspections", "inspected_on", p)
            sheets.append(("网点现场检查", ledger_sheet(ins, "outlet_inspections")))
            sheets.append(("网点汇总", _outlet_summary(ins, ds)))
        if ds.has("phone_checks"):
            sheets.append(("电话巡检", ledger_sheet(_rows(ds, "phone_checks", "checked_at", p), "phone_checks")))
        if ds.has("deliverables"):
            d = _rows(ds, "deliverables", "submitted_on", p)
            sheets.append(("巡检报告报送", ledger_sheet(d[d["kind"] == "巡检报告"], "deliverables")))
        out["inspections"] = (f"网点巡检记录_{month}.xlsx", sheets)
    if ds.has("documents") or ds.has("deliverables"):
        sheets = [("办文期限与超时", _document_sheet(ds, p, cal))]
        if ds.has("deliverables"):
            sheets.append(("成果报送", ledger_sheet(_rows(ds, "deliverables", "submitted_on", p), "deliverables")))
        out["documents"] = (f"办文记录_{month}.xlsx", sheets)
    return out


def _outlet_summary(ins: pd.DataFrame, ds: DataSet) -> pd.DataFrame:
    """Per outlet inspected in the month: visits, mean of the five scores, findings not rectified."""
    if ins.empty:
        return pd.DataFrame(columns=["网点编号", "网点名称", "所属银行", "检查次数", "平均得分", "未整改问题"])
    scores = ins[["score_environment", "score_management", "score_security", "score_conduct", "score_knowledge"]].mean(axis=1)
    g = ins.assign(_score=scores).groupby("outlet_id", sort=True)
    open_issues = ins[(ins["rectified"] == False) & ins["issues"].notna()].groupby("outlet_id")["issues"].agg("；".join)  # noqa: E712
    out = pd.DataFrame({"网点编号": list(g.groups), "检查次数": g.size().to_numpy(), "平均得分": g["_score"].mean().round(1).to_numpy()})
    out["未整改问题"] = out["网点编号"].map(open_issues).fillna("")
    if ds.has("outlets"):
        o = ds["outlets"].set_index("outlet_id")
        out.insert(1, "网点名称", out["网点编号"].map(o["name"]))
        out.insert(2, "所属银行", out["网点编号"].map(o["bank"].astype(object)))
    return out


def _document_sheet(ds: DataSet, p: Period, cal: WorkCalendar) -> pd.DataFrame:
    """Every deadline (document stage or weekly/monthly report) requested or due in the month, with lateness."""
    stages = task_stages(ds["documents"], ds["deliverables"] if ds.has("deliverables") else None, ds.settings, cal)
    late = lateness(stages, p, ds.settings.late_day_basis, cal)
    days = late.set_index(["doc_id", "stage"])["late_days"] if len(late) else pd.Series(dtype=int)
    s = stages[(stages["deadline"] >= p.start_dt) & (stages["deadline"] <= end_of_day(p.end))].copy()
    s = s.sort_values(["deadline", "doc_id"], kind="stable")
    done = s["done_at"].where(s["done_at"] <= pd.Timestamp(p.as_of))
    state = pd.Series("按时", index=s.index)
    state[done.isna()] = "未完成"
    state[done.notna() & (done > s["deadline"])] = "超时"
    state[s["extension"]] = "已报备延期"
    return pd.DataFrame({"编号": s["doc_id"], "类型": s["doc_type"].astype(object), "标题": s["title"], "环节": s["stage"],
                         "期限": s["deadline"], "完成时间": done, "状态": state,
                         "本月超时天数": [int(days.get((a, b), 0)) for a, b in zip(s["doc_id"], s["stage"])]})


# ---------------------------------------------------------------- build


def _report_jobs(ds: DataSet, period: Period, months: list[str], cal: WorkCalendar, stage: str | None) -> list[tuple[str, str, str]]:
    """(kind, period label, as_of) of the reports a package holds: its months, the weeks ending in them, and
    for acceptance the annual report; only periods that have ended (or the month itself) by the cut-off."""
    cut = period.as_of
    jobs = []
    for m in months:
        mp = _month_period(m, cut, ds)
        if mp.start <= ds.settings.end and mp.end >= ds.settings.start:
            jobs.append(("monthly", m, mp.as_of.isoformat()))
    for slot in expected_reports(ds.settings, cal):
        if slot.kind == "周报" and slot.month in months and end_of_day(slot.last) <= cut:
            jobs.append(("weekly", slot.label, end_of_day(slot.last).isoformat()))
    if stage == "acceptance":
        jobs.append(("annual", "contract", cut.isoformat()))
    return jobs


_KERNEL = None


def _start_worker() -> None:
    """Each worker process keeps one running kernel for all its reports, shut down when the worker exits."""
    global _KERNEL
    from multiprocessing.util import Finalize

    from ..reporting.kernels import kernel

    session = kernel()
    _KERNEL = session.__enter__()
    Finalize(None, session.__exit__, args=(None, None, None), exitpriority=10)


def _render_one(args: tuple) -> tuple[str, str, list[str]]:
    from ..reporting.render import run_report

    kind, label, as_of, data_dir, out, formats = args
    result = run_report(kind, label, data_dir, out, formats, as_of, manifest=False, km=_KERNEL)
    return kind, label, [str(f) for f in result.files]


def _render_reports(jobs, data_dir: Path, out: Path, formats: tuple[str, ...], workers: int = 2) -> dict[str, str]:
    """Render every report into ``out`` on up to ``workers`` processes, each with its own warm kernel.

    Returns ``kind:label`` → path (relative to the package) of the report's main file (the PDF when
    there is one). A report that fails raises :class:`ReportError` and the package is not published.
    """
    from concurrent.futures import ProcessPoolExecutor

    if not formats or not jobs:
        return {}
    args = [(kind, label, as_of, data_dir, out, formats) for kind, label, as_of in jobs]
    if all(f == "xlsx" for f in formats) or workers <= 1 or len(jobs) == 1:
        results = [_render_one(a) for a in args]  # no notebook to run, or one report: no pool
    else:
        with ProcessPoolExecutor(min(workers, len(jobs)), initializer=_start_worker) as pool:
            results = list(pool.map(_render_one, args))
    produced = {}
    for kind, label, files in results:
        main = sorted((Path(f) for f in files), key=lambda f: (f.suffix != ".pdf", f.suffix))[0]
        produced[f"{kind}:{label}"] = main.relative_to(out.parent).as_posix()
    return produced


def checklist_outputs(check: pd.DataFrame, title: str, period: Period, work: Path, stem: str, note: str = "") -> list[Path]:
    """The checklist as HTML, PDF and Excel in ``work``."""
    counts = summary(check)
    cover = (f'<div class="cover"><h1>{title}</h1>'
             f'<p class="meta">覆盖期间：{period.start} 至 {min(period.end, period.as_of.date())}　统计时点：{period.as_of:%Y-%m-%d %H:%M}</p>'
             f'<p class="meta">依据：采购需求 3.7(2) 表3 交付文档清单；{note}</p>'
             f'<p class="meta">齐全 {counts[PRESENT]} 项，缺失 {counts[MISSING]} 项，不适用 {counts[NOT_APPLICABLE]} 项。</p></div>')
    parts = [cover]
    missing = check[check["状态"] == MISSING]
    parts.append("<h2>缺失项</h2>" + table_html(missing, "状态", STATUS_CLASSES))
    for code, g in check.groupby("序号", sort=True):
        parts.append(f"<h2>{code} {TABLE3_ITEMS.get(code, '')}</h2>" + table_html(g, "状态", STATUS_CLASSES))
    write_page("".join(parts), title, work / f"{stem}.html", work / f"{stem}.pdf")
    write_workbook(work / f"{stem}.xlsx", [("交付清单", check), ("缺失项", missing)])
    return [work / f"{stem}.{e}" for e in ("html", "pdf", "xlsx")]


def build_package(data_dir: Path | str, out_dir: Path | str, period: str | None = None, stage: str | None = None,
                  as_of: str | None = None, formats: tuple[str, ...] | None = None, zip_file: bool = True,
                  now: datetime | None = None) -> Built:
    """Build and publish one package under ``out_dir`` (folder and zip).

    Parameters
    ----------
    period : a month (``2024-05``) for the month's package; or
    stage : ``second-payment`` or ``acceptance`` for a stage package.
    as_of : the cut-off (default: the period's end or the stage's, capped at now).
    formats : report formats (default every format the renderer offers; ``()`` renders no report).
    now : the build time recorded in the manifest (default now).
    """
    if (period is None) == (stage is None):
        raise DeliveryError("请给出 --period（月度交付包）或 --stage（second-payment 或 acceptance）之一")
    if stage is not None and stage not in STAGES:
        raise DeliveryError(f"--stage 应为 {', '.join(STAGES)} 之一")
    formats = report_formats(formats)
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir)
    ds = load(data_dir)
    cal = calendar_for(ds.settings)
    if period is not None:
        p = parse_period(period, ds.settings, as_of or None)
        if not (len(p.label) == 7 and p.label[4] == "-"):
            raise DeliveryError(f"--period {period}: 月度交付包按月生成，如 2024-05")
        label, check_stage, title = p.label, "second-payment", f"表3 交付清单（{p.label}）"
    else:
        p = stage_period(stage, ds.settings, cal, parse_as_of(as_of) if as_of else None)
        label, check_stage, title = STAGES[stage], stage, f"表3 交付清单（{STAGES[stage]}）"
    months = window_months(p, ds.settings)
    target = out_dir / package_name(label)
    params = {"kind": "stage" if stage else "month", "period": p.label, "stage": stage, "as_of": p.as_of.isoformat(),
              "data_dir": str(data_dir), "formats": list(formats), "start": p.start.isoformat(), "end": p.end.isoformat()}
    with fixed_time(p.as_of), staging(target) as work:
        produced = _render_reports(_report_jobs(ds, p, months, cal, stage), data_dir, work / REPORTS_DIR, formats)
        for m in months:
            for key, (name, sheets) in month_workbooks(ds, m, p.as_of, cal).items():
                rel = f"{LEDGERS_DIR}/{m}/{name}"
                write_workbook(work / rel, sheets, percent={"业务量与差错": ("差错率",), "差错记录": ("差错率",)})
                produced[f"{key}:{m}"] = rel
                if key == "trainings":
                    produced.setdefault("materials", rel)
        indicators, evidence = None, None
        if stage == "acceptance":
            k = compute_kpis(ds, p)
            indicators = k["indicators"]
            sheets = evidence_sheets(ds, p, indicators, k["penalties"], cal)
            write_workbook(work / EVIDENCE_FILE, [(name, frame) for _, name, frame in sheets])
            evidence = evidence_index(sheets)
            produced["evidence"] = EVIDENCE_FILE
        check = build_checklist(ds, p, check_stage, cal, produced, indicators, evidence)
        note = "验收阶段另附 A1–A21 证明台账" if stage == "acceptance" else "支付第二笔服务费前各项"
        checklist_outputs(check, title, p, work, f"00_交付清单_{label}", note)
        manifest = write_manifest(work, "package", input_hashes(data_dir, ds.input_hashes), params, now)
        zip_path = out_dir / f"{target.name}.zip" if zip_file else None
        publish(work, target, zip_path, p.as_of)
    return Built(target, zip_path, check, manifest)

