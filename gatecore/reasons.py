"""Verdicts and reason codes: the stable vocabulary that displays, logs and reports share.

A decision carries a code; the words shown to people are looked up here, Chinese first.
The codes are documented in docs/reasons.md; never rename one (reports count them).
"""

from __future__ import annotations

from gatecore.codes import Reason, ReasonInfo, Verdict  # noqa: F401  (their home is codes.py)

_A, _D, _M, _R = Verdict.ALLOW, Verdict.DENY, Verdict.REMEASURE, Verdict.REFER
_CALL_OFFICE_ZH, _CALL_OFFICE_EN = "请联系保卫处", "Contact the security office"

REASONS: dict[Reason, ReasonInfo] = {
    Reason.OK: ReasonInfo(_A, 900, "准予通行", "Allowed through", "放行", "Let the person pass"),
    Reason.OK_COMMUTER: ReasonInfo(
        _A, 900, "准予通行（上班人员）", "Allowed (commuter)", "放行", "Let the person pass"
    ),
    Reason.OK_OVERRIDE: ReasonInfo(
        _A, 900, "值守人员放行", "Allowed by guard override", "已记录", "Override logged"
    ),
    Reason.OK_EXIT_LAPSED: ReasonInfo(
        _A,
        900,
        "准予离开（通行许可已失效，已告知保卫处）",
        "Allowed out (permission lapsed; office told)",
        "放行，已记录",
        "Let the person out; it is logged",
    ),
    Reason.FEVER: ReasonInfo(
        _D,
        20,
        "体温异常，禁止通行",
        "Fever: not allowed through",
        "引导至留观室，已通知保卫处和防控办",
        "Escort to the isolation observation room; offices notified",
    ),
    Reason.SYMPTOMS: ReasonInfo(
        _D,
        23,
        "咳嗽等症状，暂停通行",
        "Cough or other symptoms: not allowed through",
        "引导至医务值班室，已通知保卫处和防控办",
        "Escort to the medical duty room; offices notified",
    ),
    Reason.TEMP_MISSING: ReasonInfo(
        _M,
        21,
        "未测到体温，请重新测温",
        "No temperature reading: measure again",
        "重新测温或手动测温录入",
        "Measure again, or measure by hand and type it in",
    ),
    Reason.TEMP_IMPLAUSIBLE: ReasonInfo(
        _M,
        22,
        "体温读数异常，请重新测温",
        "Implausible reading: measure again",
        "对准额头重新测温",
        "Aim at the forehead and measure again",
    ),
    Reason.QR_FOREIGN: ReasonInfo(
        _D,
        1,
        "不是本校出入证",
        "Not a campus pass",
        "请出示本校出入证",
        "Ask for the campus pass QR code",
    ),
    Reason.TOKEN_BAD_VERSION: ReasonInfo(
        _D, 2, "出入证版本不支持", "Unsupported pass version", _CALL_OFFICE_ZH, _CALL_OFFICE_EN
    ),
    Reason.TOKEN_TRUNCATED: ReasonInfo(
        _D,
        3,
        "出入证二维码不完整",
        "Pass QR code damaged or incomplete",
        "请重新出示或补办出入证",
        "Scan again or have the pass re-issued",
    ),
    Reason.TOKEN_UNKNOWN_KEY: ReasonInfo(
        _D,
        4,
        "出入证签发密钥未知",
        "Pass signed with an unknown key",
        _CALL_OFFICE_ZH,
        _CALL_OFFICE_EN,
    ),
    Reason.TOKEN_BAD_SIGNATURE: ReasonInfo(
        _D,
        5,
        "出入证无效（签名错误）",
        "Invalid pass (forged or altered)",
        "禁止通行，核验身份并上报保卫处",
        "Refuse, check identity and report to the office",
    ),
    Reason.PASS_EXPIRED: ReasonInfo(
        _D,
        7,
        "出入证已过期",
        "Pass expired",
        "请到保卫处补办；手机码请刷新",
        "Re-issue at the office; refresh a phone code",
    ),
    Reason.PASS_NOT_YET_VALID: ReasonInfo(
        _D, 8, "出入证尚未生效", "Pass not yet valid", "核对有效期", "Check the validity dates"
    ),
    Reason.PASS_REVOKED: ReasonInfo(
        _D, 6, "出入证已注销", "Pass revoked", "禁止通行，收回出入证", "Refuse and keep the card"
    ),
    Reason.PASS_UNKNOWN: ReasonInfo(
        _D, 9, "出入证未登记", "Pass not registered", _CALL_OFFICE_ZH, _CALL_OFFICE_EN
    ),
    Reason.PERSON_INACTIVE: ReasonInfo(
        _D, 10, "持证人已停用", "Holder deactivated", _CALL_OFFICE_ZH, _CALL_OFFICE_EN
    ),
    Reason.WRONG_CAMPUS: ReasonInfo(
        _D,
        11,
        "非本校区出入证",
        "Pass is for another campus",
        "请从所属校区出入",
        "Use a gate of the pass's campus",
    ),
    Reason.KEY_PERSON: ReasonInfo(
        _D,
        30,
        "健康监测期内，暂不能通行",
        "Under health monitoring: not yet allowed",
        "劝返并通知防控办",
        "Turn back and notify the prevention office",
    ),
    Reason.GATE_CLOSED: ReasonInfo(
        _D, 40, "此门已封闭", "This gate is closed", "请走主校门", "Direct to the main gate"
    ),
    Reason.OUTSIDE_HOURS: ReasonInfo(
        _D,
        41,
        "不在开放时间",
        "Outside opening hours",
        "请在开放时间通行",
        "Come back within opening hours",
    ),
    Reason.CATEGORY_NOT_ALLOWED: ReasonInfo(
        _D,
        50,
        "本校区暂不允许此类人员进入",
        "This category may not enter this campus now",
        _CALL_OFFICE_ZH,
        _CALL_OFFICE_EN,
    ),
    Reason.STAFF_NOT_APPROVED: ReasonInfo(
        _D,
        60,
        "教职工未获进校审批",
        "Staff entry not approved for today",
        "需书记或院长审批",
        "Needs approval by the Party Secretary or President",
    ),
    Reason.STUDENT_NOT_IN_BATCH: ReasonInfo(
        _D,
        61,
        "学生不得提前返校",
        "Students may not return early",
        "按返校批次返校",
        "Return with an approved batch on its dates",
    ),
    Reason.VISITOR_OUTSIDE_WINDOW: ReasonInfo(
        _D,
        62,
        "不在访客预约时段",
        "Outside the approved visit window",
        "核对预约时间",
        "Check the booked visit time",
    ),
    Reason.VISITOR_PASS_USED: ReasonInfo(
        _D,
        63,
        "访客通行证已使用",
        "One-time visitor pass already used",
        "重新预约",
        "Book a new visit",
    ),
    Reason.CONTRACTOR_NOT_APPROVED: ReasonInfo(
        _D,
        64,
        "校外合作人员未获审批",
        "Contractor not approved for today",
        _CALL_OFFICE_ZH,
        _CALL_OFFICE_EN,
    ),
    Reason.VEHICLE_NOT_REGISTERED: ReasonInfo(
        _D, 65, "车辆未登记备案", "Vehicle not registered", "禁止入校", "Refuse entry"
    ),
    Reason.CLOSED_MANAGEMENT: ReasonInfo(
        _D,
        66,
        "封闭管理期间，未经批准不得离校",
        "Closed management: leaving needs an approval",
        "核验离校审批，或联系保卫处",
        "Check for an exit approval, or call the security office",
    ),
    Reason.NAT_OVERDUE: ReasonInfo(
        _R,
        15,
        "无近期核酸阴性结果，请人工核验",
        "No recent negative nucleic-acid test: check by hand",
        "查验核酸阴性证明后人工放行并登记",
        "Check a negative test result, then override and log it",
    ),
    Reason.HOUSEHOLD_DAY_USED: ReasonInfo(
        _D,
        70,
        "本户今日已有人出入",
        "Household's daily pass already used today",
        "告知今日由哪位家庭成员出入",
        "Tell them which member holds today's slot",
    ),
    Reason.OVERRIDE_DENY: ReasonInfo(
        _D, 80, "值守人员禁止通行", "Refused by guard", "已记录", "Override logged"
    ),
    Reason.UNKNOWN_GATE: ReasonInfo(
        _R, 12, "门岗未登记", "Gate not registered", _CALL_OFFICE_ZH, _CALL_OFFICE_EN
    ),
    Reason.EVENT_REFUSED: ReasonInfo(
        _R,
        16,  # never beside another reason: the event itself could not be read
        "扫码信息无法处理，请人工核验",
        "Scan message refused: check by hand",
        "人工核验并联系保卫处",
        "Check identity by hand and call the security office",
    ),
    Reason.OFFLINE_NO_CONFIG: ReasonInfo(
        _R,
        13,
        "离线且无配置，请人工核验",
        "Offline without configuration: check by hand",
        "人工核验并登记",
        "Check identity by hand and log it",
    ),
    Reason.OFFLINE_UNVERIFIED: ReasonInfo(
        _R,
        14,
        "离线无法核验审批，请人工核验",
        "Offline: approval cannot be checked, check by hand",
        "核验审批单后人工放行并登记",
        "Check the approval paper, then override and log it",
    ),
    Reason.DECISION_ERROR: ReasonInfo(
        _R,
        15,
        "系统暂时无法判定，请人工核验",
        "The system could not decide: check by hand",
        "人工核验并登记，通知保卫处",
        "Check by hand, log it and tell the office",
    ),
    Reason.GATE_RESTARTED: ReasonInfo(
        _R,
        16,
        "闸机重启，此次扫码未作判定",
        "The gate restarted before deciding this scan",
        "请重新扫码",
        "Ask the person to scan again",
    ),
}


# who the person is comes before anything else (docs/rules.md, rule 11): shown first whatever else refuses
IDENTITY = frozenset(
    {
        Reason.QR_FOREIGN,
        Reason.TOKEN_BAD_VERSION,
        Reason.TOKEN_TRUNCATED,
        Reason.TOKEN_UNKNOWN_KEY,
        Reason.TOKEN_BAD_SIGNATURE,
        Reason.PASS_EXPIRED,
        Reason.PASS_NOT_YET_VALID,
        Reason.PASS_REVOKED,
        Reason.PASS_UNKNOWN,
        Reason.PERSON_INACTIVE,
        Reason.WRONG_CAMPUS,
    }
)


def most_useful(reasons: list[Reason] | tuple[Reason, ...]) -> Reason:
    """The one reason to show a person when several rules refuse (lowest priority number)."""
    return min(reasons, key=lambda r: (REASONS[r].priority, r.value))


def reasons_markdown() -> str:
    """docs/reasons.md, generated from REASONS so the table and the code cannot drift."""
    lines = [
        "# Reason codes",
        "",
        "Generated by `campusgate reasons` from `gatecore/reasons.py`; a test keeps this file in step.",
        "A decision carries one code to show and keeps every code that applied. Identity codes (priority",
        "1-11: forged, expired, revoked, unregistered, deactivated, wrong campus) outrank every other;",
        "otherwise the shown code is the lowest priority number among the reasons of the strongest",
        "verdict (deny > refer > remeasure). Going out, entry permissions that lapsed while inside",
        "(the pass's validity, staff or contractor approval, vehicle registration, visit window,",
        "category) do not refuse:",
        "the person is let out with `ok_exit_lapsed` and the lapsed codes in the decision's detail.",
        "A guard's override shows `ok_override` or `override_deny` before the codes it overrode. Two",
        "answers are given without the campus's rules: a scan at an unregistered gate (`unknown_gate`)",
        "and one central failed to decide (`decision_error`) are `refer` whatever else applied; a fever",
        "or symptoms still raise their alert and are kept among the codes.",
        "Reports count these codes; they never change meaning.",
        "",
        "| code | verdict | priority | 中文 | English | guard: 下一步 | guard: next step |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for reason in Reason:
        i = REASONS[reason]
        lines.append(
            f"| `{reason.value}` | {i.verdict.value} | {i.priority} | {i.zh} | {i.en} | {i.action_zh} | {i.action_en} |"
        )
    return "\n".join(lines) + "\n"
