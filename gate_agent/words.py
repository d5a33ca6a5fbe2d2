"""The gate's own words, Chinese first with English beside: headlines, faults and the gate screen's
states. A decision's reason and next step are looked up in ``gatecore.reasons``; everything else the
terminal, the guard console and the gate screen show is here, once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from gate_agent.errors import GateError, RefusedEventError
from gate_agent.ports import Fault
from gatecore.messages import Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus, looks_fahrenheit
from gatecore.words import SYMPTOM_WORDS as CORE_SYMPTOMS

# symbol (terminal only), Chinese, English
VERDICT_WORDS: dict[Verdict, tuple[str, str, str]] = {
    Verdict.ALLOW: ("✔", "通行", "ALLOW"),
    Verdict.DENY: ("✘", "禁止", "DENY"),
    Verdict.REMEASURE: ("⟳", "请重新测温", "REMEASURE"),
    Verdict.REFER: ("?", "人工核验", "REFER"),
}
HEADLINE: dict[Verdict, str] = {v: f"{s} {zh} {en}" for v, (s, zh, en) in VERDICT_WORDS.items()}

FAULT_TEXT: dict[Fault, tuple[str, str]] = {
    Fault.THERMOMETER_UNPLUGGED: (
        "测温仪故障，请手动测温并录入",
        "Thermometer fault: measure by hand and type it in",
    ),
    Fault.THERMOMETER_SILENT: (
        "测温仪无响应，请手动测温并录入",
        "Thermometer not responding: measure by hand and type it in",
    ),
    Fault.THERMOMETER_GARBAGE: (
        "测温仪数据错误，请检查连接线并手动测温",
        "Thermometer sends damaged data: check the cable, measure by hand",
    ),
    Fault.THERMOMETER_STUCK: (
        "测温仪读数不变，请检查测温仪或手动测温",
        "Thermometer reading stuck: check it or measure by hand",
    ),
    Fault.THERMOMETER_FAHRENHEIT: (
        "测温仪读数疑为华氏度（°F），请将其设为摄氏度（°C）并手动测温",
        "Thermometer seems to send °F: set it to °C, measure by hand",
    ),
    Fault.CAMERA_NO_SIGNAL: ("摄像头无信号，请人工核验出入证", "Camera has no signal: check passes by hand"),
    Fault.CAMERA_FROZEN: ("摄像头画面冻结，请人工核验出入证", "Camera image frozen: check passes by hand"),
    Fault.LINK_DOWN: ("网络中断，本机离线判定", "Network down: the gate decides offline"),
}

# the gate screen's states besides a verdict
IDLE = ("请出示通行码", "Show your pass")
# while the gate waits for a reading after a scan (ports.Display.ask_to_measure)
MEASURE = ("请测温", "Please measure your temperature")
MEASURE_HOW = ("请将额头对准测温仪", "Hold your forehead up to the thermometer")
OFFLINE = ("离线，本地判定", "Offline, deciding locally")
NOT_RUNNING = ("闸机程序未运行", "Gate program not running")
NOT_RUNNING_ACTION = ("请人工核验出入证，并联系管理员", "Check passes by hand and call the administrator")
DECIDED = ("判定", "decided")
TEMPERATURE = ("体温", "Temp")
NEXT = ("下一步", "Next")  # the guard's next step
OFFLINE_MARK = "[离线 OFFLINE]"  # on a terminal line decided at the gate
NEXT_SCAN = ("下一次扫码", "next scan")
# the core's words (central says them too), capitalised as the screen's buttons and menus show them
SYMPTOM_WORDS: dict[str, tuple[str, str]] = {
    k: (zh, en.capitalize()) for k, (zh, en) in CORE_SYMPTOMS.items()
}
CANCEL = ("取消", "Cancel")  # the screen's button that withdraws a symptom mark
HOLDER = ("持证人", "Holder")
HOUSEHOLD = ("户", "Household")
RECOVERED = ("已恢复", "Recovered")

# the next step of a refusal the gate decided offline, where the reason's own words say the offices
# were notified: nobody is until the link returns, so the guard phones
OFFLINE_ACTION: dict[Reason, tuple[str, str]] = {
    Reason.FEVER: (
        "引导至留观室，并电话通知保卫处（网络恢复后系统再通知防控办）",
        "Escort to the isolation observation room; phone the security office (offices learn when the link returns)",
    ),
    Reason.SYMPTOMS: (
        "引导至医务值班室，并电话通知保卫处（网络恢复后系统再通知防控办）",
        "Escort to the medical duty room; phone the security office (offices learn when the link returns)",
    ),
}

# the next step of a re-measure whose reading looks like degrees Fahrenheit (98.6): aiming at the
# forehead again would only read 98.6 again
FAHRENHEIT_ACTION = (
    "测温仪疑设为华氏度（°F）：请手动测温并录入，并将测温仪改为摄氏度（°C）",
    "The thermometer seems set to °F: measure by hand and type it in; set it to °C",
)


def gate_next_step(reason: Reason, temperature: Temperature, *, offline: bool) -> tuple[str, str] | None:
    """The gate's own next step where the reason's would mislead (None: the reason's): a re-measure of
    a sensor reading that looks like °F (``FAHRENHEIT_ACTION``); offline, ``OFFLINE_ACTION``."""
    celsius = temperature.celsius
    if reason is Reason.TEMP_IMPLAUSIBLE and temperature.status is SensorStatus.OK and celsius is not None:
        if looks_fahrenheit(celsius):
            return FAHRENHEIT_ACTION
    return OFFLINE_ACTION.get(reason) if offline else None


# the guard's key console: the reasons a guard overrides for (the last one asks for the guard's words)
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("医护人员紧急出诊", "medical emergency"),
    ("经保卫处电话确认", "confirmed by the security office by phone"),
    ("设备故障人工核验", "device fault, checked by hand"),
    ("其他", "other"),
)
CONSOLE_KEYS: tuple[tuple[str, str, str], ...] = (  # key, Chinese, English
    ("a", "放行", "allow"),
    ("d", "禁止", "deny"),
    ("t", "手动体温", "temperature"),
    ("c", "咳嗽等症状", "symptoms"),
    ("s", "手动输码", "type a code"),
    ("q", "退出", "quit"),
)
# its title, prompts and notes ({values} filled in by the console)
CONSOLE: dict[str, tuple[str, str]] = {
    "title": ("campusgate 值守台", "guard console"),
    "temperature_prompt": ("体温", "Temperature °C: "),
    "temperature_prompt_waiting": (
        "体温（0 撤销 {celsius} °C）",
        "Temperature °C (0 withdraws {celsius} °C): ",
    ),
    "temperature_used": ("下一次扫码使用体温 {celsius} °C", "next scan uses {celsius} °C"),
    "temperature_withdrawn": ("手动体温已撤销", "typed temperature withdrawn"),
    "temperature_bad": ("体温无效（{low:.0f}-{high:.0f} °C）", "not a temperature ({low:.0f}-{high:.0f} °C)"),
    "code_prompt": ("输入出入码", "Type the code: "),
    "not_submitted": ("未能提交：{why_zh}", "not submitted: {why_en}"),
    # why, in the guard's words (the details go to the log): what was typed, or the gate's own store
    "words_unusable": (
        "说明中有无法发送的字符或过长，请重新输入",
        "the explanation holds a character that cannot be sent, or is too long: type it again",
    ),
    "store_failed": (
        "本机存储故障，未记录；请人工核验并联系管理员",
        "the gate's store failed, nothing was recorded: check by hand and call the administrator",
    ),
    "submitted": ("已提交", "submitted"),
    # the line console (stdin a pipe or a file): each answer after "ok: " or "refused: "
    "line_help": (
        "值守命令：体温（如 36.8）用于下一次扫码；scan <码> 手动输码；quit 退出",
        "console: a temperature (e.g. 36.8) for the next scan, 'scan <qr text>' for a code by hand, 'quit'",
    ),
    "line_stored": ("已提交，事件 {event_id}", "scan stored as event {event_id}"),
    "line_bad": (
        "{text} 既不是体温（{low:.0f}-{high:.0f} °C）也不是命令",
        "{text} is neither a temperature ({low:.0f}-{high:.0f} °C) nor a command",
    ),
    "choose_symptom": ("选择症状（Esc 取消）", "choose a symptom (Esc cancels)"),
    "cancelled": ("已取消", "cancelled"),
    "symptom_marked": ("下一次扫码标记：{zh}", "next scan marked: {en}"),
    "withdraw_symptoms": ("撤销标记", "withdraw the mark"),
    "symptoms_withdrawn": ("症状标记已撤销", "symptom mark withdrawn"),
    "nothing_to_override": ("没有可更改的判定", "no decision to override"),
    "choose_reason": ("{verdict}：选择原因（Esc 取消）", "choose a reason (Esc cancels)"),
    # which decision an override changes: the last scan's, perhaps long gone from the screen
    "override_of": ("更改 {at} 的判定：{zh}", "changes the decision at {at}: {en}"),
    "override_of_scan": ("更改 {at} 的扫码", "changes the scan at {at}"),
    "explain_prompt": ("说明", "Explain: "),
    "override_submitted": ("已提交人工{verdict}", "override submitted"),
}


def decided_line(at: datetime, zone: tzinfo | None = None) -> str:
    """When a decision was made, in the campus's time ``zone`` (None: the device's): "08:12:05 判定
    decided"."""
    return f"{at.astimezone(zone):%H:%M:%S} {DECIDED[0]} {DECIDED[1]}"


def say(key: str, sep: str = " ", **values: object) -> str:
    """A console phrase from the catalogue (``CONSOLE``), Chinese first and English beside."""
    zh, en = CONSOLE[key]
    return f"{zh.format(**values)}{sep}{en.format(**values)}"


def not_submitted(exc: GateError) -> tuple[str, str]:
    """Why a scan or override typed at the gate was not stored, Chinese and English, in the guard's
    words: never the exception's text (a field name, a file path, an sqlite message)."""
    why_zh, why_en = CONSOLE["words_unusable" if isinstance(exc, RefusedEventError) else "store_failed"]
    zh, en = CONSOLE["not_submitted"]
    return zh.format(why_zh=why_zh), en.format(why_en=why_en)


def temperature_line(celsius: float) -> str:
    """A reading as the terminal, the guard console and the gate screen label it: "体温 Temp: 36.6 °C"."""
    return f"{TEMPERATURE[0]} {TEMPERATURE[1]}: {celsius:.1f} °C"


def marked_words(symptoms: tuple[str, ...]) -> tuple[str, str]:
    """The symptoms a guard marked, Chinese and English: ("咳嗽、其他症状", "Cough, Other symptoms")."""
    return "、".join(SYMPTOM_WORDS[s][0] for s in symptoms), ", ".join(SYMPTOM_WORDS[s][1] for s in symptoms)


def day_holder_words(
    reason: Reason, detail: Mapping[str, Any], zone: tzinfo | None = None
) -> tuple[str, str] | None:
    """Who holds the household's day, and since when, for a household refusal (None otherwise):
    ("今日已由 梁*敏 于 08:12 使用", "Used today by 梁*敏 at 08:12"); the time in the campus's ``zone``
    (None: the device's), the zone whose calendar the household day follows."""
    name = detail.get("day_holder")
    # the detail names the holder whenever the day was taken, also when a stronger reason is shown
    # (a key person, symptoms): then the line would answer a question nobody asked
    if reason is not Reason.HOUSEHOLD_DAY_USED or not name:
        return None
    at = _time(detail.get("day_holder_at"), zone)
    if at is None:
        return f"今日已由 {name} 使用", f"Used today by {name}"
    return f"今日已由 {name} 于 {at} 使用", f"Used today by {name} at {at}"


def _time(value: Any, zone: tzinfo | None) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return f"{datetime.fromisoformat(value).astimezone(zone):%H:%M}"
    except ValueError:
        return None  # a detail from an older central: the name alone still helps
