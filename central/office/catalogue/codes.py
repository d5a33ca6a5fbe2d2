"""Words for codes: kinds, statuses, verdicts, states, roles (zh, en), the same on a page, a card,
a report and the phone page."""

from __future__ import annotations

from central.models.incidents import OBSERVATION, OPEN, REFERRED, RELEASED, REMEASURED
from central.models.reports import OFFICE, UNIT
from gatecore.reasons import REASONS
from gatecore.words import SYMPTOM_WORDS

Words = tuple[str, str]

KINDS: dict[str, Words] = {  # pass kinds, as stored (the console also looks them up in lower case)
    "RESIDENT": ("住户", "Resident"),
    "TENANT": ("租户", "Tenant"),
    "STAFF": ("教职工", "Staff"),
    "STUDENT": ("学生", "Student"),
    "FOREIGN_TEACHER": ("外籍教师", "Foreign teacher"),
    "INTL_STUDENT": ("留学生", "International student"),
    "CONTRACTOR": ("施工人员", "Contractor"),
    "VISITOR": ("访客", "Visitor"),
    "VEHICLE": ("车辆", "Vehicle"),
}
UNKNOWN: Words = ("未知", "unknown")
OFFLINE: Words = ("离线", "offline")
OK: Words = ("正常", "ok")
ROLES: dict[str, Words] = {
    "admin": ("管理员", "admin"),
    "security": ("保卫处", "security office"),
    "approver": ("审批人", "approver"),
    "guard": ("门卫", "guard"),
    "auditor": ("审计", "auditor"),
    "director": ("主管领导", "director"),
}
ENTITIES: dict[str, Words] = {
    "campus": ("校区", "campus"),
    "gate": ("闸机", "gate"),
    "policy": ("通行规则", "policy"),
    "household": ("住户", "household"),
    "person": ("人员", "person"),
    "pass": ("通行证", "pass"),
    "approval": ("审批", "approval"),
    "vehicle": ("车辆", "vehicle"),
    "visitor": ("访客", "visitor"),
    "return_batch": ("返校批次", "return batch"),
    "user": ("用户", "user"),
    "report": ("报告", "report"),
    "incident": ("发热事件", "incident"),
}

# group -> code -> (zh, en); a code missing here shows as itself and fails tests/central/console
CODES: dict[str, dict[str, Words]] = {
    "kind": {k.lower(): v for k, v in KINDS.items()} | KINDS,
    "form": {"CARD": ("卡片", "card"), "PHONE": ("手机", "phone")},
    "approval": {
        "requested": ("待审批", "requested"),
        "approved": ("已批准", "approved"),
        "rejected": ("已驳回", "rejected"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
    "verdict": {
        "allow": ("放行", "allow"),
        "deny": ("禁止", "deny"),
        "remeasure": ("复测", "remeasure"),
        "refer": ("转人工", "refer to a guard"),
    },
    "gate_state": {
        "online": ("在线", "online"),
        "offline": OFFLINE,
        "unknown": UNKNOWN,
    },
    "camera": {
        "ok": OK,
        "no_signal": ("无信号", "no signal"),
        "frozen": ("画面冻结", "frozen"),
        "unknown": UNKNOWN,
    },
    "thermometer": {
        "ok": OK,
        "silent": ("无数据", "silent"),
        "garbage": ("数据乱码", "garbage"),
        "stuck": ("读数不变", "stuck"),
        "fahrenheit": ("疑为华氏度", "sends °F?"),
        "unplugged": ("未连接", "unplugged"),
        "unknown": UNKNOWN,
    },
    "incident": {  # fever incident states
        OPEN: ("待处置", "open"),
        OBSERVATION: ("已送留观", "sent to observation"),
        REMEASURED: ("已复测", "remeasured"),
        RELEASED: ("已解除", "released"),
        REFERRED: ("已转诊", "referred"),
    },
    # what a guard marks at the gate (gatecore.messages.SYMPTOMS), as the fever banner and reports say them
    "symptom": SYMPTOM_WORDS,
    "role": ROLES,
    "report_kind": {OFFICE: ROLES["security"], UNIT: ("各单位", "units")},
    # journal entities, by their name and by their table's
    "entity": ENTITIES
    | {"access_pass": ENTITIES["pass"], "app_user": ENTITIES["user"], "campus_policy": ENTITIES["policy"]},
    "field": {  # a registry field a refusal names
        "valid_from": ("起始日期", "valid from"),
        "valid_until": ("截止日期", "valid until"),
        "start": ("开始日期", "start"),
        "end": ("结束日期", "end"),
        "key_person_until": ("重点人员监测截止日期", "key person until"),
    },
    "action": {
        "create": ("新增", "create"),
        "update": ("修改", "update"),
        "issue": ("发证", "issue"),
        "revoke": ("注销", "revoke"),
        "reissue": ("补发", "reissue"),
        "approve": ("批准", "approve"),
        "reject": ("驳回", "reject"),
        "import": ("导入", "import"),
    },
    "reason": {r.value: (info.zh, info.en) for r, info in REASONS.items()},  # gatecore's own words
    "direction": {"in": ("进", "in"), "out": ("出", "out")},
    "live": {  # the live dashboard's connection and its feed's marks
        "connecting": ("连接中…", "connecting…"),
        "live": ("实时", "live"),
        "reconnecting": ("重连中…", "reconnecting…"),
        "offline": OFFLINE,
        "override": ("人工", "override"),
    },
}

# pydantic's error types -> (zh, en) with its ``ctx`` values in braces
PYDANTIC: dict[str, Words] = {
    "missing": ("必填", "required"),
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float"), ("请输入整数", "enter a whole number")),
    **dict.fromkeys(("float_parsing", "float_type"), ("请输入数字", "enter a number")),
    **dict.fromkeys(("bool_parsing", "bool_type"), ("请选择是或否", "choose yes or no")),
    **dict.fromkeys(
        ("date_parsing", "date_from_datetime_parsing", "date_type"),
        ("日期格式应为 年-月-日", "enter a date as YYYY-MM-DD"),
    ),
    **dict.fromkeys(
        ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"),
        ("时间格式应为 年-月-日 时:分", "enter a time as YYYY-MM-DD HH:MM"),
    ),
    **dict.fromkeys(("time_parsing", "time_type"), ("时间格式应为 时:分", "enter a time as HH:MM")),
    "string_too_short": ("太短：至少 {min_length} 个字符", "too short: at least {min_length} characters"),
    "string_too_long": ("太长：最多 {max_length} 个字符", "too long: at most {max_length} characters"),
    "string_pattern_mismatch": ("格式不正确", "wrong format"),
    "string_type": ("请输入文字", "enter text"),
    "greater_than": ("应大于 {gt}", "must be more than {gt}"),
    "greater_than_equal": ("应不小于 {ge}", "must be at least {ge}"),
    "less_than": ("应小于 {lt}", "must be less than {lt}"),
    "less_than_equal": ("应不大于 {le}", "must be at most {le}"),
    **dict.fromkeys(("literal_error", "enum"), ("应为以下之一：{expected}", "must be one of {expected}")),
    "list_type": ("请选择", "choose at least one"),
    "too_short": ("至少选择 {min_length} 项", "choose at least {min_length}"),
    "too_long": ("最多 {max_length} 项", "at most {max_length} items"),
    "extra_forbidden": ("不允许的字段", "field not allowed"),
    "finite_number": ("请输入有限的数字", "enter a finite number"),
    "int_parsing_size": ("数字太大", "number too large"),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type"), ("应为 JSON 对象", "should be a JSON object")
    ),
}
