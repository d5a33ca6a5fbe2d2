"""The core's words beside the reasons (gatecore/reasons.py): what a guard can mark at the gate, and
what is wrong with a campus policy, Chinese first. Gate and central both read them from here."""

from __future__ import annotations

# what a guard can mark at the gate (gatecore.messages.SYMPTOMS, seed 003: 发烧咳嗽者)
SYMPTOM_WORDS: dict[str, tuple[str, str]] = {
    "cough": ("咳嗽", "cough"),
    "other": ("其他症状", "other symptoms"),
}

# the policy fields a problem names in Chinese
POLICY_FIELDS: dict[str, str] = {
    "fever_threshold": "发热阈值",
    "plausible_min": "合理体温下限",
    "plausible_max": "合理体温上限",
    "opens": "开放时间",
    "closes": "关闭时间",
}

# what is wrong with a campus policy: (中文, English) templates, filled by str.format
POLICY_PROBLEMS: dict[str, tuple[str, str]] = {
    "kinds_list": ("允许的人员类别须为列表，取值为：{every}", "allowed_kinds must be a list of: {every}"),
    "groups_list": (
        '封闭管理分组须为分组代码的列表，如 ["student"]',
        'closed_groups must be a list of group codes, e.g. ["student"]',
    ),
    "local_time": (
        "{field_zh}须为当地时间 时:分（如 07:00），不带时区",
        "{field} must be a local time HH:MM, e.g. 07:00",
    ),
    "quota_bool": ("一户一人规则须为 true 或 false", "{field} must be true or false"),
    "number": ("{field_zh}须为数字（摄氏度）", "{field} must be a number (°C)"),
    "fever_range": (
        "发热阈值须在 {lo}–{hi} °C 之间（现为 {value}）",
        "fever threshold must be within {lo}–{hi} °C (got {value})",
    ),
    "plausible_range": (
        "合理体温范围须在 {lo}–{hi} °C 之内且下限小于上限（现为 {low}–{high}）",
        "plausible range must lie within {lo}–{hi} °C with min < max (got {low}–{high})",
    ),
    "fever_inside": ("发热阈值须在合理体温范围之内", "fever threshold must lie inside the plausible range"),
    "timezone": (
        "时区“{name}”不在 IANA 时区库中（例如 {example}）",
        "time zone {name!r} is not in the IANA database (e.g. {example})",
    ),
    "hours_both": ("开放与关闭时间须同时填写或同时留空", "give both opening and closing times, or neither"),
    "hours_differ": ("开放时间与关闭时间不能相同", "opening and closing times must differ"),
    "kinds_empty": ("至少允许一类人员", "allow at least one category"),
    "group_codes": (
        "封闭管理分组须为小写字母、数字或下划线（如 student、logistics），不能用 {bad}",
        "closed_groups: {bad} are not group codes (lower-case letters, digits, _)",
    ),
    "nat_interval": (
        "核酸检测周期须为 0（不检测）至 {most} 小时",
        "nat_interval_hours must be 0 (off) to {most}",
    ),
    "nat_age": (
        "闸机核酸时效须留空（不查验）或为 1 至 {most} 小时",
        "nat_max_age_hours must be empty (off) or 1 to {most}",
    ),
}


def policy_problem(field: str, key: str, **values: object) -> tuple[str, str, str]:
    """One problem of a campus policy as (field, 中文, English), its words filled in."""
    zh, en = POLICY_PROBLEMS[key]
    values = {"field": field, "field_zh": POLICY_FIELDS.get(field, field)} | values
    return field, zh.format(**values), en.format(**values)
