"""The column contract of every ledger (DATA_CONTRACT.md section 2).

Each ledger is a :class:`Ledger`: its English name (the interface other tools
use), its Chinese name and aliases (file-name prefixes), its key and its
columns.  Each :class:`Column` names its canonical English name, its Chinese
header, accepted header synonyms, its kind and, for enumerations, the accepted
values with their synonyms.  Column names used by KPI code come from the
constants of this module, never from string literals scattered around.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from ..privacy import mask_id, mask_name, mask_person, mask_phone, scrub_series

# Column kinds.
TEXT = "text"  # free or short text, kept as written (stripped)
KEYTEXT = "keytext"  # identifiers: "12345.0" from Excel becomes "12345"
DATETIME = "datetime"  # date and time (a date alone means 00:00, or 23:59:59 for deadlines)
DATE = "date"  # calendar date (time of day dropped)
MONTH = "month"  # a calendar month, stored as the first day of that month
ENUM = "enum"  # one of a list of values (with synonyms)
BOOL = "bool"  # 是/否
INT = "int"
FLOAT = "float"
ID_NUMBER = "id_number"  # personal data: resident ID number
PHONE = "phone"  # personal data: phone number(s)
NAME = "name"  # personal data: a citizen's name
PERIOD = "period"  # a period label in any usual form, normalised (2024年5月 -> 2024-05, 2024年第18周 -> 2024-W18)

PERSONAL_KINDS = (ID_NUMBER, PHONE, NAME)


@dataclass(frozen=True)
class Column:
    """One column of a ledger.

    Parameters
    ----------
    name : canonical English name (an interface: never rename).
    zh : the Chinese header.
    synonyms : other accepted headers.
    kind : one of the kinds above.
    required : whether a file lacking the column is a fatal error and a row
        lacking a usable value is quarantined.
    values : for ENUM, canonical value -> accepted synonyms.
    deadline : a date without a time means the end of that day (23:59:59).
    open_enum : an unknown value is kept as written (with a warning) instead
        of being blanked.
    lo, hi : inclusive bounds for numbers.
    window : for dates, whether they happen during the service (checked against the
        service period, a year either side, and the calendar's years); False for
        reference dates such as an outlet's opening or a worker's joining, which
        may lie years before it.
    """

    name: str
    zh: str
    synonyms: tuple[str, ...] = ()
    kind: str = TEXT
    required: bool = False
    values: dict[str, tuple[str, ...]] | None = None
    deadline: bool = False
    open_enum: bool = False
    lo: float | None = None
    hi: float | None = None
    window: bool = True

    def headers(self) -> tuple[str, ...]:
        return (self.name, self.zh, *self.synonyms)


@dataclass(frozen=True)
class Ledger:
    """One ledger (台账): its names, key and columns."""

    name: str
    zh: str
    aliases: tuple[str, ...]
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.name, self.zh, *self.aliases)


def normalize_header(text: object) -> str:
    """Header matching form: NFKC, no whitespace, no bracketed remarks, casefolded.

    ``"受理时间（必填）"``, ``"受理\\n时间"`` and ``"受　理时间"`` all give ``"受理时间"``.
    """
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"[\s\u200b\u200c\u200d\u2060\ufeff]+", "", s)
    s = re.sub(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|<[^<>]*>", "", s)
    return s.casefold()


def normalize_value(text: object) -> str:
    """Enumeration matching form: NFKC, no whitespace, casefolded."""
    s = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"[\s\u200b\u200c\u200d\u2060\ufeff]+", "", s).casefold()


def _enum(*items: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        if isinstance(item, tuple):
            out[item[0]] = item[1:]
        else:
            out[item] = ()
    return out


YES_NO = _enum(("是", "Y", "yes", "true", "1", "√", "✓", "已整改", "有"), ("否", "N", "no", "false", "0", "×", "✗", "未整改", "无"))

CHANNELS = _enum(
    ("12345热线", "12345", "12345政务服务便民热线", "12345政务服务热线", "广州12345政务服务便民热线"),
    ("信访平台", "信访"),
    ("互联网+督查", "国务院互联网+督查", "国务院“互联网+督查”平台", "互联网+督查平台"),
    ("人民网", "人民网平台", "人民网留言"),
    ("政民互动", "政民互动平台"),
    ("一体化在线政务服务平台", "广州市一体化在线政务服务平台"),
    ("穗好办APP", "穗好办", "穗好办app"),
    "银行专线",
    "应用单位",
    "其他",
)
HOTLINE = "12345热线"

TICKET_TYPES = _enum("咨询", "求助", "投诉", "建议", "表扬", "举报")
TICKET_STATUSES = _enum(("正常", "已办结", "办结", "在办", "处理中"), "延期", ("退单", "已退单"), ("重复", "重复件"), ("无效", "无效件"))
EXCLUDED_STATUSES = ("退单", "重复", "无效")
SATISFACTION = _enum("满意", "基本满意", ("不满意", "非常不满意"))
APPEALS = _enum("申诉中", "申诉成功", "申诉失败")

DISTRICTS = _enum(*[(d, d + "区") for d in ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")])

BANKS = _enum(
    ("工商银行", "中国工商银行", "工行"),
    ("农业银行", "中国农业银行", "农行"),
    ("中国银行", "中行"),
    ("建设银行", "中国建设银行", "建行"),
    ("交通银行", "交行"),
    ("邮储银行", "中国邮政储蓄银行", "邮政储蓄银行"),
    ("光大银行", "中国光大银行"),
    ("招商银行", "招行"),
    "广发银行",
    "广州银行",
    ("广州农商银行", "广州农村商业银行", "农商银行"),
    "中信银行",
    "兴业银行",
    ("民生银行", "中国民生银行"),
    "平安银行",
)

POSTS: dict[str, tuple[str, ...]] = {
    # post -> aliases; minimums and levels live in indicators (表1).
    "综合规划（兼项目经理）": ("综合规划", "项目经理", "综合规划兼项目经理"),
    "服务规划": (),
    "培训与宣传实施": ("培训与宣传",),
    "专家坐席": (),
    "工单处理（统筹）": ("工单处理统筹",),
    "工单处理（实施）": ("工单处理实施",),
    "银行专线服务支持": ("银行专线",),
    "服务指引维护": (),
    "银行网点现场服务支持": ("网点现场服务支持",),
    "业务需求分析和测试": ("业务需求分析与测试",),
    "社会保障卡应用项目推广与实施管理": ("应用项目推广与实施管理",),
    "社会保障卡应用实施与综合业务管理": ("应用实施与综合业务管理",),
    "社会保障卡应用实施与业务保障": ("应用实施与业务保障",),
}
PM_POST = "综合规划（兼项目经理）"
LEVELS = _enum("经理级", ("高级", "高级岗"), ("中级", "中级岗"), ("初级", "初级岗"))

TRAINING_KINDS = _enum("内部培训", "外部培训", ("宣讲", "宣讲活动"))
PUBLICATION_KINDS = _enum("培训材料", "推文", "活动简讯", "宣传折页", "展架", "海报", "视频", "应用推广材料")
ARTICLE_KINDS = ("培训材料", "推文", "活动简讯")
PRINTED_KINDS = ("宣传折页", "展架", "海报")
GUIDE_TARGETS = _enum("12345知识库", "广东政务服务网", "市人社局官网", "微信公众号", "办事指南", "宣传材料", "培训材料", "网办渠道")
DOC_TYPES = _enum("规划方案", "宣传推文", "函件通知", "来文办阅", "会议材料")
DIFFICULTY = _enum("简单", ("中等", "一般"), ("困难", "复杂"))
DELIVERABLE_KINDS = _enum(
    "业务流程规划文档", "工单报告", "巡检报告", "周报", "月报", "季报", "年报", "应用可行性报告",
    "应用案例分析报告", "应用实施方案", "突发问题专报", "其他",
)
ATTENDANCE_KINDS = _enum("事假", "病假", "公司会议", "公司培训", "迟到", "早退", "旷工")
COMPLAINANTS = _enum("持卡人", "网点")
SUPPORT_KINDS = _enum("高层检查", "问题协调", "培训支持")
APP_STAGES = _enum("可行性研究", "测试", "已上线", "停用")
PSAM_EVENTS = _enum("申领", "发放", "抽检", "回收")
OUTLET_STATUSES = _enum("正常", "暂停", "撤销")
GUIDE_RESULTS = _enum("正常", "需更新")


def _c(name: str, zh: str, *synonyms: str, **kw) -> Column:
    return Column(name, zh, tuple(synonyms), **kw)


def _score(name: str, zh: str) -> Column:
    return _c(name, zh, kind=FLOAT, lo=0, hi=100)


LEDGERS: dict[str, Ledger] = {}


def _register(ledger: Ledger) -> Ledger:
    LEDGERS[ledger.name] = ledger
    return ledger


TICKETS = _register(Ledger("tickets", "工单台账", ("工单",), ("ticket_id",), (
    _c("ticket_id", "工单编号", "工单号", "编号", kind=KEYTEXT, required=True),
    _c("channel", "来源渠道", "渠道", "来源", kind=ENUM, required=True, values=CHANNELS),
    _c("received_at", "受理时间", "来电时间", "登记时间", "创建时间", kind=DATETIME, required=True),
    _c("ticket_type", "诉求类型", "工单类型", "诉求分类", kind=ENUM, required=True, values=TICKET_TYPES),
    _c("status", "工单状态", "状态", kind=ENUM, values=TICKET_STATUSES),
    _c("category", "业务类别", "问题分类"),
    _c("district", "所属区", "区域", "所属区域", "行政区", kind=ENUM, values=DISTRICTS, open_enum=True),
    _c("bank", "涉及银行", "银行", kind=ENUM, values=BANKS, open_enum=True),
    _c("due_at", "办理时限", "办结时限", "截止时间", kind=DATETIME, deadline=True),
    _c("closed_at", "办结时间", "结案时间", "完成时间", kind=DATETIME),
    _c("satisfaction", "回访满意度", "回访结果", "满意度", kind=ENUM, values=SATISFACTION),
    _c("appeal", "申诉结果", kind=ENUM, values=APPEALS),
    _c("handler", "经办人", "承办人"),
    _c("content", "诉求内容", "内容", "工单内容", "问题描述"),
    _c("citizen_name", "诉求人", "来电人", "诉求人姓名", kind=NAME),
    _c("id_number", "身份证号", "证件号码", "身份证号码", kind=ID_NUMBER),
    _c("phone", "联系电话", "来电号码", "电话", kind=PHONE),
)))

OUTLETS = _register(Ledger("outlets", "合作银行网点名录", ("网点名录",), ("outlet_id",), (
    _c("outlet_id", "网点编号", kind=KEYTEXT, required=True),
    _c("name", "网点名称", required=True),
    _c("bank", "所属银行", kind=ENUM, values=BANKS, required=True),
    _c("district", "所属区", "区域", "行政区", kind=ENUM, values=DISTRICTS, required=True),
    _c("address", "地址"),
    _c("phone", "咨询电话"),
    _c("instant_issuance", "即时制卡", kind=BOOL),
    _c("status", "状态", kind=ENUM, values=OUTLET_STATUSES),
    _c("opened_on", "启用日期", kind=DATE, window=False),
    _c("closed_on", "撤销日期", kind=DATE, window=False),
)))

OUTLET_INSPECTIONS = _register(Ledger("outlet_inspections", "网点现场检查记录", ("网点检查",), ("inspection_id",), (
    _c("inspection_id", "检查编号", kind=KEYTEXT, required=True),
    _c("outlet_id", "网点编号", kind=KEYTEXT, required=True),
    _c("inspected_on", "检查日期", kind=DATE, required=True),
    _c("inspector", "检查人"),
    _score("score_environment", "网点环境"),
    _score("score_management", "业务管理"),
    _score("score_security", "安全管理"),
    _score("score_conduct", "业务规范"),
    _score("score_knowledge", "人员业务掌握"),
    _c("issues", "发现问题"),
    _c("rectified", "是否整改", kind=BOOL),
)))

PHONE_CHECKS = _register(Ledger("phone_checks", "电话巡检记录", ("电话巡检",), ("check_id",), (
    _c("check_id", "巡检编号", kind=KEYTEXT, required=True),
    _c("outlet_id", "网点编号", kind=KEYTEXT, required=True),
    _c("checked_at", "巡检时间", kind=DATETIME, required=True),
    _c("answered", "是否接通", kind=BOOL, required=True),
    _c("service_ok", "服务规范", kind=BOOL),
    _c("script_ok", "业务口径正确", kind=BOOL),
    _c("checker", "巡检人"),
    _c("note", "备注"),
)))

TRAININGS = _register(Ledger("trainings", "培训与宣讲记录", ("培训",), ("training_id",), (
    _c("training_id", "编号", kind=KEYTEXT, required=True),
    _c("held_on", "日期", kind=DATE, required=True),
    _c("kind", "类型", kind=ENUM, values=TRAINING_KINDS, required=True),
    _c("audience", "对象"),
    _c("topic", "主题"),
    _c("attendees", "人数", kind=INT, lo=0),
    _c("trainer", "讲师"),
)))

PUBLICATIONS = _register(Ledger("publications", "宣传材料与推文", ("宣传",), ("pub_id",), (
    _c("pub_id", "编号", kind=KEYTEXT, required=True),
    _c("published_on", "日期", kind=DATE, required=True),
    _c("kind", "类型", kind=ENUM, values=PUBLICATION_KINDS, required=True),
    _c("title", "标题"),
    _c("copies", "印制数量", kind=INT, lo=0),
)))

GUIDE_CHECKS = _register(Ledger("guide_checks", "服务指引检查记录", ("指引检查",), ("check_id",), (
    _c("check_id", "编号", kind=KEYTEXT, required=True),
    _c("checked_at", "检查时间", kind=DATETIME, required=True),
    _c("target", "检查渠道", kind=ENUM, values=GUIDE_TARGETS, required=True),
    _c("result", "结果", kind=ENUM, values=GUIDE_RESULTS),
    _c("updated_on", "更新日期", kind=DATE),
    _c("checker", "检查人"),
)))

DOCUMENTS = _register(Ledger("documents", "办文台账", ("办文",), ("doc_id",), (
    _c("doc_id", "编号", kind=KEYTEXT, required=True),
    _c("doc_type", "文件类型", kind=ENUM, values=DOC_TYPES, required=True),
    _c("difficulty", "难度", kind=ENUM, values=DIFFICULTY),
    _c("requested_at", "接收需求时间", kind=DATETIME, required=True),
    _c("deadline_on", "办理期限", kind=DATETIME, deadline=True),
    _c("submitted_at", "提交初稿时间", kind=DATETIME),
    _c("revision_requested_at", "修改意见时间", kind=DATETIME),
    _c("revised_at", "完成修改时间", kind=DATETIME),
    _c("extension_approved", "延期报备", kind=BOOL),
    _c("title", "标题"),
)))

DELIVERABLES = _register(Ledger("deliverables", "成果台账", ("成果",), ("deliverable_id",), (
    _c("deliverable_id", "编号", kind=KEYTEXT, required=True),
    _c("kind", "类型", kind=ENUM, values=DELIVERABLE_KINDS, required=True),
    _c("covers", "所属期间", kind=PERIOD),
    _c("submitted_on", "提交日期", kind=DATE, required=True),
    _c("title", "标题"),
)))

STAFF = _register(Ledger("staff", "人员名册", ("人员",), ("staff_id",), (
    _c("staff_id", "工号", kind=KEYTEXT, required=True),
    _c("name", "姓名", kind=NAME, required=True),
    _c("post", "岗位", kind=ENUM, values={k: v for k, v in POSTS.items()}, required=True),
    _c("level", "级别", kind=ENUM, values=LEVELS),
    _c("key_post", "重点岗位", kind=BOOL),
    _c("onboard_on", "入职日期", kind=DATE, required=True, window=False),
    _c("probation_passed_on", "试用期考核通过日期", kind=DATE, window=False),
    _c("left_on", "离职日期", kind=DATE),
    _c("education", "学历"),
    _c("years_experience", "工作年限", kind=FLOAT, lo=0, hi=60),
    _c("unfit_notice_on", "不合格更换通知日期", kind=DATE),
    _c("replaced_on", "更换到岗日期", kind=DATE),
    _c("pay_below_standard_quarters", "工资未达标季度"),
)))

ATTENDANCE = _register(Ledger("attendance", "请假与出勤记录", ("考勤",), ("staff_id", "date", "kind"), (
    _c("staff_id", "工号", kind=KEYTEXT, required=True),
    _c("date", "日期", kind=DATE, required=True),
    _c("kind", "类型", kind=ENUM, values=ATTENDANCE_KINDS, required=True),
    _c("days", "天数", kind=FLOAT, lo=0, hi=366),
)))

ERRORS = _register(Ledger("errors", "业务差错与业务量", ("差错",), ("staff_id", "month"), (
    _c("staff_id", "工号", kind=KEYTEXT, required=True),
    _c("month", "月份", kind=MONTH, required=True),
    _c("volume", "业务量", kind=INT, lo=0, required=True),
    _c("errors", "差错笔数", kind=INT, lo=0, required=True),
    _c("spot_check_errors", "抽检差错笔数", kind=INT, lo=0),
    _c("serious", "严重差错", kind=BOOL),
)))

COMPLAINTS = _register(Ledger("complaints", "有效投诉", ("投诉",), ("complaint_id",), (
    _c("complaint_id", "编号", kind=KEYTEXT, required=True),
    _c("received_on", "日期", kind=DATE, required=True),
    _c("complainant", "投诉方", kind=ENUM, values=COMPLAINANTS, required=True),
    _c("outlet_id", "网点编号", kind=KEYTEXT),
    _c("staff_id", "被投诉人工号", kind=KEYTEXT),
    _c("valid", "是否有效", kind=BOOL, required=True),
    _c("serious", "严重投诉", kind=BOOL),
    _c("caused_by_operator", "中标人原因", kind=BOOL),
    _c("summary", "摘要"),
)))

PM_DUTIES = _register(Ledger("pm_duties", "项目经理现场管理事项", ("项目经理",), ("month", "item"), (
    _c("month", "月份", kind=MONTH, required=True),
    _c("item", "事项", required=True),
    _c("attended", "是否现场参加", kind=BOOL, required=True),
    _c("compliant", "是否符合要求", kind=BOOL),
)))

SUPPORT_RECORDS = _register(Ledger("support_records", "二线支持记录", ("二线支持",), ("record_id",), (
    _c("record_id", "编号", kind=KEYTEXT, required=True),
    _c("held_on", "日期", kind=DATE, required=True),
    _c("kind", "类型", kind=ENUM, values=SUPPORT_KINDS, required=True),
    _c("summary", "内容"),
)))

APPLICATIONS = _register(Ledger("applications", "社保卡应用目录", ("应用目录",), ("app_id",), (
    _c("app_id", "编号", kind=KEYTEXT, required=True),
    _c("name", "应用名称", required=True),
    _c("unit", "应用单位"),
    _c("stage", "阶段", kind=ENUM, values=APP_STAGES, required=True),
    _c("feasibility_report_on", "可行性报告日期", kind=DATE, window=False),
    _c("launched_on", "上线日期", kind=DATE, window=False),
)))

APP_INSPECTIONS = _register(Ledger("app_inspections", "应用巡检记录", ("应用巡检",), ("inspection_id",), (
    _c("inspection_id", "编号", kind=KEYTEXT, required=True),
    _c("app_id", "应用编号", kind=KEYTEXT, required=True),
    _c("inspected_on", "日期", kind=DATE, required=True),
    _c("findings", "发现问题"),
)))

PSAM_CARDS = _register(Ledger("psam_cards", "PSAM卡台账", ("PSAM",), ("card_no", "event", "event_on"), (
    _c("card_no", "卡号", kind=KEYTEXT, required=True),
    _c("event", "事件", kind=ENUM, values=PSAM_EVENTS, required=True),
    _c("event_on", "日期", kind=DATE, required=True),
    _c("unit", "使用单位"),
    _c("note", "备注"),
)))

# Canonical column names used by KPI code (the pandera DataFrameModel idea).
TICKET_ID, CHANNEL, RECEIVED_AT, TICKET_TYPE, STATUS = "ticket_id", "channel", "received_at", "ticket_type", "status"
CATEGORY, DISTRICT, BANK, DUE_AT, CLOSED_AT = "category", "district", "bank", "due_at", "closed_at"
SATISFACTION_COL, APPEAL, CONTENT, CITIZEN_NAME, ID_NUMBER_COL, PHONE_COL = (
    "satisfaction", "appeal", "content", "citizen_name", "id_number", "phone")
DUE_COMPUTED = "due_computed"  # added by the reader's consumers: due_at was computed, not given

# Provenance columns the reader adds to every accepted row.
SRC_FILE, SRC_SHEET, SRC_ROW = "_file", "_sheet", "_row"
PROVENANCE = (SRC_FILE, SRC_SHEET, SRC_ROW)


def ledger_for_prefix(file_stem: str) -> Ledger | None:
    """The ledger whose name, Chinese name or alias starts ``file_stem`` (longest wins)."""
    stem = normalize_header(file_stem)
    best: tuple[int, Ledger] | None = None
    for ledger in LEDGERS.values():
        for prefix in ledger.prefixes:
            p = normalize_header(prefix)
            if stem.startswith(p) and (best is None or len(p) > best[0]):
                best = (len(p), ledger)
    return best[1] if best else None


# Columns that name a worker: a work ID is kept, a name is masked (DATA_CONTRACT 2: "staff_id or name").
STAFF_REFERENCES = ("handler", "inspector", "checker", "trainer")


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a ledger frame with every personal-data column masked and free text scrubbed."""
    out = frame.copy()
    kinds: dict[str, str] = {}
    for ledger in LEDGERS.values():
        for col in ledger.columns:
            kinds.setdefault(col.name, col.kind)
    name_col = out["citizen_name"] if "citizen_name" in out else None
    for col in out.columns:
        kind = kinds.get(col)
        if col in STAFF_REFERENCES:
            out[col] = out[col].map(mask_person)
        elif kind == ID_NUMBER:
            out[col] = out[col].map(mask_id)
        elif kind == PHONE:
            out[col] = out[col].map(mask_phone)
        elif kind == NAME:
            out[col] = out[col].map(mask_name)
        elif kind in (TEXT, None) and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            out[col] = scrub_series(out[col], name_col)
    return out
