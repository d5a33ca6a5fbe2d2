"""The words of pages that speak both languages whatever the visitor chose (the live dashboard, the
fever banner, the resident's phone page, a refusal) and of a few lines outside the pages (the CSRF
refusal, the demo's terminal): key -> (zh, en), ``{names}`` filled in where they are said."""

from __future__ import annotations

from central.office.catalogue.codes import Words

PAGES: dict[str, Words] = {
    # the live dashboard
    "live_gates": ("校园门岗实时监控", "Live gates"),
    "console": ("控制台", "Console"),
    "fever_alert": ("体温异常告警", "Fever alert"),
    "gates_now": ("门岗状态", "Gates"),
    "gate_post": ("门岗", "Gate"),
    "gate_status": ("状态", "State"),
    "offline_from": ("离线起", "Offline since"),
    "camera": ("摄像头", "Camera"),
    "thermometer": ("测温仪", "Thermometer"),
    "outbox": ("待发", "Outbox"),
    "last_event": ("最后事件", "Last event"),
    "config_version": ("配置版本", "Config version"),
    "no_config": ("无配置", "no config"),
    "conflicts": ("离线冲突", "Offline conflicts"),
    "today": ("今日", "today"),
    "never_received": ("未收到序号", "never received"),
    "seq_back": ("序号倒退", "numbered back"),
    "live_feed": ("实时记录", "Live feed"),
    "entries_per_hour": ("今日每小时进校", "Entries per hour per gate"),
    "refusals_by_reason": ("今日拒绝原因", "Refusals by reason"),
    "offline_since": ("离线自", "offline since {at}"),
    "offline_since_earlier": ("离线，最晚自 {at}", "offline since {at} or earlier"),  # said apart: " · "
    "central": ("中心", "central"),
    "none": ("无", "none"),
    # the fever banner (every watcher's page and the dashboard)
    "reported": ("已上报", "reported"),
    "report_by": ("须在 {at} 前上报", "report by {at}"),
    "enable_sound": ("开启提示音", "Enable sound"),
    "sound_on": ("提示音已开启", "Sound on"),
    "unacknowledged": ("{n} 条未确认", "unacknowledged"),
    "fold": ("收起", "Fold"),
    "show_all": ("全部 {n} 条", "Show all"),
    # the resident's phone page
    "phone_pass": ("通行码", "Phone pass"),
    "phone_not_yet": ("通行码尚未生效", "Your phone pass is not valid yet"),
    "phone_begins": ("自 {day} 起有效，届时打开本页即可", "Valid from {day}: open this page then"),
    "phone_none": ("无有效通行码", "No valid phone pass"),
    "ask_office": ("请联系保卫处", "Ask the security office"),
    "campus_phone_pass": ("校园通行码", "Campus phone pass"),
    "phone_refresh": ("每 30 秒自动刷新，截图无效", "Refreshes every 30 s; screenshots stop working"),
    "household_today": ("今日本户", "Your household today"),
    "today_free": ("今日尚未使用，可以出入", "not used yet today: you may go out"),
    "today_mine": (
        "今日由您本人使用（{at} {gate}），可以返回",
        "used by you today ({at} {gate}): you may come back",
    ),
    "today_used": ("今日已由 {by} 于 {at} 从{gate}使用", "used today by {by} at {at}, {gate}"),
    "valid_through_day": ("通行证有效期至 {day}（含当天）", "pass valid through {day}"),
    "valid_until_day": ("通行证有效期至 {day}", "pass valid until {day}"),
    "campus_rules": ("本校区现行规定", "The campus's rules now"),
    "phone_expired": ("通行码已失效", "Pass no longer valid"),
    "code_until": ("有效至 {at}", "Valid until {at}"),
    # a refusal page, a form that changed nothing, the policy page
    "not_found": ("未找到", "Not found"),
    "cannot_do": ("无法完成", "Cannot do this"),
    "back_home": ("返回首页", "Back to the start page"),
    "nothing_changed": ("没有变化", "nothing changed"),
    "policy_sent_at_once": (
        "保存后立即下发到本校区所有闸机。",
        "Once saved, every gate of the campus gets it at once.",
    ),
    # the import pages: the columns a results file names its person and result by (the Chinese ones are
    # the importer's own headers, filled in: central.office.nucleic.HEADERS)
    "nucleic_columns": (
        "{student_no} 或 {name} + {id_last4}, {sampled}, {result}",
        "(student_no, or name + id_last4; sampled; result)",
    ),
    # outside the pages: a form posted without its page's token (central.api.csrf, said apart " / "),
    # and the demo's line for an arrival the gate showed no decision for in time
    "form_expired": (
        "表单已过期或并非来自本控制台，请刷新页面后重试",
        "the form has expired or did not come from this console; reload the page",
    ),
    "no_decision": ("未及时显示判定", "no decision shown in time"),
}
