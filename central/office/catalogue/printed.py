"""The words of paper (pass cards, the daily report in PDF and CSV) and of the phone page's rules.

Each entry is (zh, en); paper prints the Chinese first with the English beside it (``both``). A word
a page says too is the page's entry (``WORDS``), and codes (pass kinds, incident states, symptoms,
report kinds) are ``CODES``'; a reason's words are ``gatecore.reasons``'. None is repeated here.
"""

from __future__ import annotations

from typing import Any

from central.office.catalogue.codes import Words
from central.office.catalogue.words import WORDS

# the campus's rules on the resident's phone page ({values} filled in by ``fill``)
PHONE_RULES: dict[str, Words] = {
    "fever": ("体温 {threshold}℃ 及以上不得入校", "{threshold} °C or more: no entry"),
    "household": ("每户每天只限一人出入", "one person per household a day"),
    "hours": ("开放时间 {hours}", "open {hours}"),
    "all_day": ("全天开放", "open all day"),
    "allowed": ("允许通行：{kinds}", "allowed: {kinds}"),
    "no_kinds": WORDS["none"],
}

CARD: dict[str, Words] = {
    "title": ("校园出入证", "Campus Pass"),
    "campus": WORDS["campus"],
    "household": WORDS["household"],
    "name": WORDS["name"],
    "kind": ("类别", "Kind"),
    "valid": ("有效期", "Valid"),
    "serial": ("编号", "Serial"),
}

# the daily report: row labels, then the words inside values ({names} are filled in by ``both``)
REPORT: dict[str, Words] = {
    "report": ("报告", "Report"),
    "daily": ("日报告", "Daily report"),
    "zero": ("零报告", "Zero report"),
    "version": WORDS["version"],
    "period": ("统计时段", "Period"),
    "made_at": WORDS["made_at"],
    "made_by": WORDS["made_by"],  # the user who made a version by hand or filed the correction
    "entries": ("进校人次", "Entries"),
    "exits": ("出校人次", "Exits"),
    "fevers": ("发热人数", "People with fever"),
    "incidents": ("发热及症状事件", "Fever and symptom incidents"),  # each fever or symptom scan opens one
    "overrides": ("人工放行/禁行", "Guard overrides"),
    "identity_refusals": ("身份核验拒绝", "Refused on identity"),
    "exits_lapsed": ("许可失效放行离校", "Let out, permission lapsed"),
    "symptom_referrals": ("咳嗽等症状转医务室", "Sent to medical duty (symptoms)"),
    "closed_management_refusals": ("封闭管理拒绝离校", "Exits refused (closed management)"),
    "offline_decisions": ("离线判定", "Offline decisions"),
    "conflicts": WORDS["conflicts"],
    "gates_offline": ("离线门岗", "Gates offline"),
    "gate_offline": ("离线门岗", "Gate offline"),
    "sequence_gaps": ("序号缺口", "Sequence gaps"),
    "sequence_gap": ("序号缺口", "Sequence gap"),
    "gate": WORDS["gate_post"],
    "case": WORDS["fever"],
    "symptom_case": WORDS["symptoms"],  # symptoms marked at a normal reading
    "cases": ("发热/症状病例", "Fever/symptom cases"),
    "refused": ("拒绝", "Refused"),
    "note": ("更正说明", "Correction note"),
    "signed": ("审签", "Signed off"),
    "item": ("项目", "Item"),
    "value": ("数值", "Value"),
    # inside values
    "version_n": ("第{n}版", "version {n}"),
    "corrects": ("更正第{id}号报告", "corrects report #{id}"),
    "to": ("至", "to"),
    "zone": ("{zone} 时间", "time"),
    "late": ("迟报：系统停机后补报", "late: made after central was down"),
    "so_far": (
        "时段未结束：只统计至 {at}，到时另报完整报告",
        "period still running: counted up to {at}; the whole report follows when due",
    ),
    "incidents_detail": (
        "未结 {open}，超一小时未报 {overdue}",
        "open {open}, unreported after 1 h {overdue}",
    ),
    "offline_for": ("离线 {minutes} 分钟，{outages} 次", "offline {minutes} min, {outages} outage(s)"),
    "offline_at_least": (
        "离线至少 {minutes} 分钟，{outages} 次",
        "offline at least {minutes} min, {outages} outage(s)",
    ),
    "offline_decided": ("离线判定 {n} 条", "{n} offline decision(s)"),
    "numbered_back": ("序号倒退至 {first}（曾到 {last}）", "numbered back to {first} after {last}"),
    "never_received": ("序号 {span} 未收到", "seqs {span} never received"),
    "in": ("进校", "in"),
    "out": ("出校", "out"),
    "refusals": ("拒绝", "refused"),
    "scans": ("扫码", "scans"),
    "reported": WORDS["reported"],
    "unreported": ("未上报", "not reported"),
    "unregistered": WORDS["unregistered"],
    "none": WORDS["none"],
    "unsigned": WORDS["unsigned"],
    # the paper form's signature lines
    "reported_by": ("填报人", "Reported by"),
    "reviewed_by": ("审核人", "Reviewed by"),
    "date": ("日期", "Date"),
}


def fill(words: Words, **values: Any) -> Words:
    """(zh, en) with ``values`` filled into each."""
    return words[0].format(**values), words[1].format(**values)


def both(words: Words, sep: str = " ", **values: Any) -> str:
    """'中文 English' with ``values`` filled into both (a sentence reads better apart: ``sep=" / "``)."""
    zh, en = words
    return f"{zh.format(**values)}{sep}{en.format(**values)}"
