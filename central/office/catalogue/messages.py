"""The office's and the forms' English messages, matched whole, with their Chinese (named groups carry
the values over). One row per message an office function, a schema or the import can give."""

from __future__ import annotations

import re

_Q = r"'?(?P<v>[^']*)'?"  # a quoted value, as repr() writes it
INPUT_ERROR = "输入有误"  # the Chinese of a message the catalogue lacks ("wrong input"), its English beside
_ROWS: list[tuple[str, str]] = [
    # office.errors.must_get and the services
    (r"(?P<what>\S+) (?P<key>\S+) not found", "{what}{key}不存在"),
    (r"no (?P<what>campus|report|incident|fever alert) (?P<key>\S+)", "{what}{key}不存在"),
    (r"no user called " + _Q, "没有用户 {v}"),
    (r"no format " + _Q + ": pdf or csv", "没有 {v} 格式：只有 pdf 或 csv"),
    (r"no valid phone pass for this link", "此链接没有有效的手机通行证"),
    (r"no printable passes", "没有可打印的通行证"),
    (r"give id=… or household_id", "请给出通行证编号或住户编号"),
    (r"a phone pass is signed on the holder's phone page, not here", "手机通行证在持证人手机页面上生成"),
    (r"campus code " + _Q + " exists", "校区代码 {v} 已存在"),
    (r"gate " + _Q + " exists", "闸机 {v} 已存在"),
    (r"cannot change policy fields: (?P<v>.*)", "不能修改的规则字段：{v}"),
    (r"invalid policy: (?P<v>.*)", "通行规则无效：{v}"),
    (r"person (?P<v>\d+) is not active", "人员{v}已停用"),
    (r"person (?P<v>\d+) is not a student", "人员{v}不是学生"),
    (r"person (?P<v>\d+) has no household: give campus_id", "人员{v}没有住户：请选择校区"),
    (
        r"the owner of vehicle (?P<v>\d+) has no household: give campus_id",
        "车辆{v}的车主没有住户：请选择校区",
    ),
    (r"pass (?P<v>\d+) is already revoked", "通行证{v}已注销"),
    (r"an approval is approved or rejected, not " + _Q, "审批只能批准或驳回，不能是 {v}"),
    (r"approval (?P<v>\d+) is already (?P<approval>\w+)", "审批{v}已处理（{approval}）"),
    (r"the household is on another campus", "该住户属于其他校区"),
    (r"vehicle (?P<v>.+) is registered", "车辆 {v} 已登记"),
    (
        r"plate " + _Q + r": letters and digits only, e.g. 晋A12345",
        "车牌 {v}：只能是汉字、字母和数字，例如 晋A12345",
    ),
    (r"household (?P<v>\S+) exists on this campus", "本校区已有住户 {v}"),
    (r"a person with this ID number is already registered", "该身份证号已登记"),
    (
        r"incident (?P<v>\d+) is (?P<incident>\w+); it cannot become (?P<incident_to>\w+)",
        "发热事件{v}当前为{incident}，不能改为{incident_to}",
    ),
    (
        r"unknown incident state " + _Q + "; one of (?P<incident>.*)",
        "未知的发热事件状态 {v}，应为：{incident}",
    ),
    (r"a re-measurement needs its reading", "复测需填写体温读数"),
    (r"a commuter certificate needs its valid_until date", "出示通勤证明须填写证明有效期"),
    (r"incident (?P<v>\d+) was already reported", "发热事件{v}已上报"),
    (r"the pass must be saved before it is signed", "通行证须先保存再签发"),
    (r"a phone code is signed for a moment: pass now=", "手机通行码须指定签发时刻"),
    (r"report (?P<v>\d+) is already signed", "报告{v}已审签"),
    (r"report (?P<v>\d+) is already superseded by (?P<w>\d+)", "报告{v}已被第{w}号报告更正"),
    (
        r"report (?P<v>\d+) \(version (?P<a>\d+)\) is superseded by report (?P<w>\d+) \(version (?P<b>\d+)\):"
        r" sign the newest version",
        "报告{v}（第{a}版）已被第{w}号报告（第{b}版）取代：请审签最新版本",
    ),
    (r"a correction needs a note", "更正须填写说明"),
    (r"a correction note is longer than (?P<n>\d+) characters", "更正说明超过 {n} 个字符"),
    (r"report (?P<v>\d+) is signed; file a correction instead", "报告{v}已审签，请提交更正"),
    # users
    (
        r"username " + _Q + r" is not valid: use 2–80 lower-case letters, digits, '\.', '_' or '-'",
        "用户名 {v} 无效：请用 2–80 个小写字母、数字、“.”、“_”或“-”",
    ),
    (r"the password is too short: at least (?P<v>\d+) characters", "密码太短：至少 {v} 个字符"),
    (r"username " + _Q + " is already taken", "用户名 {v} 已被占用"),
    (
        r"you cannot remove your own admin role; ask another admin",
        "不能取消自己的管理员角色，请另一位管理员操作",
    ),
    (r"you cannot disable your own account; ask another admin", "不能停用自己的账号，请另一位管理员操作"),
    (r"unknown role\(s\)?:? ?(?P<v>.*)", "未知角色：{v}"),
    (r"give at least one role", "至少选择一个角色"),
    # schemas and forms
    (r"unknown category " + _Q + "; one of (?P<kind>.*)", "未知类别 {v}，应为：{kind}"),
    (r"valid_until is before valid_from", "截止日期早于起始日期"),
    (  # office.errors.day_problem; the field's words from the codes' "field" group
        r"(?P<field>\w+) (?P<d>-?\d+-\d\d-\d\d) must lie between (?P<a>[\d-]+) and (?P<b>[\d-]+)",
        "{field} {d} 须在 {a} 至 {b} 之间",
    ),
    (  # office.windows: a pass's bound, a day (the campus's) or an instant (UTC)
        r"(?P<field>valid_from|valid_until) must lie between (?P<a>.+) and (?P<b>.+)",
        "{field}须在 {a} 至 {b} 之间",
    ),
    (r"valid_until is not after valid_from", "截止时间必须晚于起始时间"),
    (r"end is before start", "结束日期早于开始日期"),
    (r"the start time must be before the end time", "起始时间必须早于截止时间"),
    (
        r"give person_id or vehicle_id \(with campus_id when there is no household\), household_id, or campus_id",
        "请只填一项：人员编号（无住户时另选校区）、车辆编号、住户编号或校区",
    ),
    (r"unknown time zone " + _Q, "未知时区 {v}"),
    (r"time zone " + _Q + " is not in the IANA database", "时区“{v}”不在 IANA 时区库中"),
    (r"choose a file", "请选择文件"),
    # the import
    (r"(?P<f>.+): expected a \.csv or \.xlsx file", "{f}：请上传 .csv 或 .xlsx 文件"),
    (r"the file is empty", "文件是空的"),
    (
        r"line (?P<n>\d+): missing column\(s\) (?P<v>.*) \(e\.g\. (?P<x>.*)\); found (?P<w>.*)",
        "第{n}行：缺少列 {x}；实际为 {w}",  # the Chinese headers the import suggests, not its field names
    ),
    (
        r"the CSV is neither UTF-8 nor GBK: save it as CSV UTF-8",
        "CSV 既不是 UTF-8 也不是 GBK：请另存为 CSV UTF-8",
    ),
    (r"not a readable XLSX file: (?P<v>.*)", "无法读取的 XLSX 文件：{v}"),
    (r"only the first sheet " + _Q + " was read; ignored: (?P<w>.*)", "只读取了第一个工作表 {v}；忽略：{w}"),
    (r"column\(s\) not read: (?P<w>.*)", "未读取的列：{w}"),
    (
        r"sheet " + _Q + r" has merged cells \((?P<w>.*)\): unmerge them and fill in every row",
        "工作表 {v} 有合并单元格（{w}）：请取消合并并填满每一行",
    ),
    (r"missing campus", "缺少校区"),
    (r"unknown campus " + _Q, "未知校区 {v}"),
    (r"missing name", "缺少姓名"),
    (r"unknown category " + _Q, "未知类别 {v}"),
    (r"missing room", "缺少房号"),
    (r"missing building", "缺少楼号"),
    (r"bad date " + _Q + r" \(use YYYY-MM-DD\)", "日期 {v} 无效（请用 年-月-日）"),
    (r"an id is a number, not true or false", "编号应为数字，不能是 true 或 false"),
    (
        r"a number is not a time: enter a date as YYYY-MM-DD or a time as YYYY-MM-DD HH:MM",
        "数字不是时间：日期请写 年-月-日，时间请写 年-月-日 时:分",
    ),
    (
        r"ID number must be an ID card's 18 \(or 15\) characters or a passport's 5 to 12 letters and digits",
        "证件号应为身份证的 18（或 15）位，或护照的 5 至 12 位字母和数字",
    ),
    (r"duplicate ID number: already registered", "身份证号重复：已登记"),
    (r"duplicate ID number: same as line (?P<v>\d+)", "身份证号重复：与第{v}行相同"),
    # withdrawn approvals, upload limits, closed-management groups, test results, schema checks
    (
        r"approval (?P<v>\d+) is (?P<approval>\w+); only an approved one can be withdrawn",
        "审批{v}当前为{approval}，只有已批准的审批可以撤回",
    ),
    (r"(?:the )?file (?:is )?larger than (?P<v>\d+) MB", "文件超过 {v} MB"),
    (r"request body larger than (?P<v>\d+) MB", "上传的内容超过 {v} MB"),
    (
        r"the XLSX expands to (?P<v>\d+) MB, more than (?P<w>\d+) MB: save it as CSV or split it",
        "XLSX 解压后 {v} MB，超过 {w} MB：请另存为 CSV 或拆分",
    ),
    (r"the XLSX sheet (?P<v>.+) expands past the size limit", "XLSX 工作表 {v} 解压后超过大小上限"),
    (
        r"the XLSX holds more than (?P<v>\d+) cells: save it as CSV or split it",
        "XLSX 单元格超过 {v} 个：请另存为 CSV 或拆分",
    ),
    (r"bad group (?P<v>.+) \(lower-case letters, digits, _\)", "分组 {v} 无效（小写字母、数字、下划线）"),
    (r"sampling time (?P<v>.+) is in the future", "采样时间 {v} 晚于现在"),
    (
        r"bad sampling time (?P<v>.+) \(use YYYY-MM-DD \[HH:MM\]\)",
        "采样时间 {v} 无效（请用 年-月-日 [时:分]）",
    ),
    (r"contradicts line (?P<v>\d+) \(same person, same time\)", "与第{v}行矛盾（同一人、同一时间）"),
    (
        r"contradicts the (?P<v>\w+) result recorded for the same sample",
        "与同一样本已记录的{v}结果矛盾",
    ),
    (r"text must not contain a NUL character", "文本不能含有 NUL 字符"),
    (
        r"text must not contain a lone surrogate \(\\ud800 to \\udfff\), which is half of a character's code",
        "文本不能含有单独的代理码（\\ud800 至 \\udfff），它只是半个字符的编码",
    ),
    (
        r"text must not contain control characters \(line breaks, tabs or direction overrides\)",
        "文本不能含有控制字符（换行、制表符或文字方向控制符）",
    ),
    (r"must not be blank", "不能为空白"),
    (r"column (?P<v>.+): text must not contain a NUL character", "“{v}”列：文本不能含有 NUL 字符"),
    (
        r"column (?P<v>.+): text must not contain control characters \(line breaks, tabs or direction overrides\)",
        "“{v}”列：文本不能含有控制字符（换行、制表符或文字方向控制符）",
    ),
    (r"column (?P<v>.+): longer than (?P<n>\d+) characters", "“{v}”列：超过 {n} 个字符"),
    (
        r"column (?P<v>.+): a number of more than (?P<n>\d+) digits, which a spreadsheet does not keep exactly: "
        r"format the column as text and type the numbers again",
        "“{v}”列：数字超过 {n} 位，电子表格不能准确保存：请把该列设为文本格式后重新输入",
    ),
    (
        r"column (?P<v>.+): the spreadsheet shows the error (?P<e>\S+) here: correct it or type the value",
        "“{v}”列：表格此处显示错误 {e}：请更正公式或直接填写内容",
    ),
    (r"no registered person: student number " + _Q, "没有登记此人：学号 {v}"),
    (  # the import's own headers in brackets (central.office.nucleic.HEADERS)
        r"give the student number \((?P<a>[^)]*)\), or the name and the ID-number last four \((?P<b>[^)]*)\)",
        "请填写{a}，或姓名和{b}",
    ),
    (
        r"unknown result " + _Q + r" \((?P<a>[^/]*)/negative or (?P<b>[^/]*)/positive\)",
        "未知的检测结果 {v}（应为{a}或{b}）",
    ),
    (
        r"no registered person: (?P<v>.+) with ID number ending (?P<w>\S+)",
        "没有登记此人：{v}，身份证号后四位 {w}",
    ),
    (
        r"(?P<n>\d+) registered people match (?P<v>.+) with ID number ending (?P<w>\S+): use the student number",
        "有 {n} 人符合：{v}，身份证号后四位 {w}：请用学号",
    ),
    (r"ID-number last four must be 4 characters, not " + _Q, "身份证后四位须为 4 个字符，而不是 {v}"),
    (r"may be left out but not null", "可以不填，但不能为空值"),
    (r"(?P<v>.+) must lie between (?P<a>.+) and (?P<b>.+)", "{v} 须在 {a} 与 {b} 之间"),
    (r"line (?P<n>\d+): unreadable CSV: (?P<v>.*)", "第{n}行：无法读取的 CSV：{v}"),
    # api.deps.unreadable_json: a JSON body Python's parser gives up on
    (r"the JSON body nests too deeply", "请求的 JSON 嵌套过深"),
    (r"the JSON body is not UTF-8 text", "请求的 JSON 不是 UTF-8 文本"),
    (r"the JSON body cannot be read: (?P<v>.*)", "请求的 JSON 无法读取：{v}"),
    # the console's own refusals
    (r"forbidden: this needs one of the roles (?P<v>.*)", "无权限：需要以下角色之一：{v}"),
    (r"forbidden: no console page for your roles", "无权限：您的角色没有可用的页面"),
    (r"the dashboard needs the (?P<v>.*) role", "无权限：实时监控需要保卫处、主管领导、审计或管理员角色"),
    (r"no action (?P<v>.*)", "没有操作 {v}"),
    (r"no change (?P<v>.*)", "没有修改项 {v}"),
    (r"Not Found", "页面不存在"),
    (r"Method Not Allowed", "不支持此操作"),
    # one student, one student number (office.people, the people import, the results import)
    (r"student number " + _Q + r" is already registered to (?P<w>.+)", "学号 {v} 已登记给 {w}"),
    (r"duplicate student number " + _Q + r": already registered to (?P<w>.+)", "学号 {v} 重复：已登记给 {w}"),
    (r"duplicate student number " + _Q + r": same as line (?P<n>\d+)", "学号 {v} 重复：与第{n}行相同"),
    (
        r"(?P<n>\d+) registered people have student number "
        + _Q
        + r": (?P<w>.+); give each their own student number in the registry",
        "有 {n} 人的学号都是 {v}：{w}；请在人员登记中给每人各自的学号",
    ),
    (
        r"line (?P<n>\d+): columns (?P<a>.+) and (?P<b>.+) are both (?P<f>\w+): keep one of them",
        "第{n}行：“{a}”列和“{b}”列是同一项（{f}）：请只保留一列",
    ),
    # office.reports.make_by_hand
    (
        r"a report is made for a day from (?P<a>[\d-]+) to (?P<b>[\d-]+) \(today on the campus\), not (?P<d>-?[\d-]+)",
        "只能为 {a} 至 {b}（本校区今天）之间的日期生成报告，不能为 {d}",
    ),
    # office.incidents.advance; models.base.search_time (the field is the 422's loc)
    (
        r"celsius (?P<v>\S+) is not a plausible body temperature: (?P<a>\S+) to (?P<b>\S+) °C",
        "体温 {v} 不是合理的人体体温：应在 {a}–{b} °C 之间",
    ),
    (r"must lie between (?P<a>[\d-]+) and (?P<b>[\d-]+) UTC", "须在 {a} 至 {b}（UTC）之间"),
]
MESSAGES: list[tuple[re.Pattern[str], str]] = [(re.compile(p + "$"), zh) for p, zh in _ROWS]
