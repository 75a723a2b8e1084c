"""Every word the workbench shows, in Simplified Chinese: the codes' names and the errors.

Kinds and categories are named once, in domain/names.py (the report and Open311 use the
same words). A refusal the workbench has no wording of its own for is told as the API tells
it in Chinese: the problem's title from the Babel catalogue (api/i18n).
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.i18n import CHINESE, Msg, tell
from domain.names import CATEGORY_NAMES, KIND_NAMES

KINDS, CATEGORIES = KIND_NAMES, CATEGORY_NAMES  # as the templates name them

CHANNELS = {
    "window": "窗口",
    "hotline": "热线电话",
    "wechat": "微信",
    "grid_patrol": "网格巡查",
    "online": "网上",
    "api": "系统对接",
}

STATUSES = {
    "received": "待派单",
    "assigned": "已派单",
    "in_progress": "办理中",
    "claimed": "已认领",
    "fulfilled": "已实现",
    "suspended": "已挂起",
    "closed": "已办结",
    "rated": "已评价",
}

ROLES = {
    "clerk": "受理员",
    "worker": "网格员",
    "supervisor": "督办人",
    "auditor": "审计员",
    "admin": "管理员",
    "client": "对接系统",
    "claimant": "志愿认领人",
    "system": "系统",
    "resident": "居民",
}

LEVELS = {"grid": "网格", "community": "社区", "street": "街道"}

RESOLUTIONS = {
    "resolved": "已解决",
    "referred": "已转办",
    "unresolvable": "无法解决",
    "duplicate": "重复件",
    "withdrawn": "居民撤回",
}

# The call-back's other two answers (回访: contacted by the handler? solved?).
SOLVED = {"solved": "已解决", "partly_solved": "部分解决", "not_solved": "未解决"}
CONTACTED = {"true": "已联系", "false": "未联系"}

CONTACT_CHANNELS = {"phone": "电话", "message": "短信或微信", "visit": "上门", "other": "其他"}

# The light (红黄灯) in words as well as colour, so it does not rest on colour alone.
LIGHTS = {"green": "绿灯 · 时间充裕", "yellow": "黄灯 · 即将到期", "red": "红灯 · 已超期"}

# The case page's forms, by the name in their URL, in the order work goes.
ACTIONS = {
    "sign": "签收",
    "send_back": "退回",
    "contact": "联系居民",
    "visit": "记录走访",
    "mediation": "记录调解",
    "claim": "认领心愿",
    "fulfil": "心愿已实现",
    "close": "办结",
    "suspend": "挂起",
    "resume": "恢复办理",
    "escalate": "上报",
    "urge": "催办",
    "extend": "批准延期",
    "reassign": "转派",
    "rate": "回访评价",
    "reopen": "发回重办",
}

RATINGS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    "unreachable": "联系不上",
    "refused": "拒绝评价",
}

MEDIATION_OUTCOMES = {
    "agreement": "达成协议",
    "no_agreement": "未达成协议",
    "adjourned": "择期再调",
}

CLAIMANT_TYPES = {
    "party_member": "党员",
    "volunteer": "志愿者",
    "organisation": "爱心单位",
    "worker": "社工",
}

EVENTS = {
    "Received": "受理",
    "Assigned": "派单",
    "Reassigned": "转派",
    "Visited": "上门走访",
    "Escalated": "上报",
    "Suspended": "挂起",
    "Resumed": "恢复办理",
    "Extended": "延期",
    "DeadlineRecounted": "重算期限",
    "Closed": "办结",
    "Rated": "回访评价",
    "Reopened": "发回重办",
    "MediationHeld": "调解",
    "Claimed": "认领",
    "ClaimReleased": "取消认领",
    "Fulfilled": "心愿实现",
    "DuplicateLinked": "关联重复件",
    "DuplicateUnlinked": "取消重复件关联",
    "RatingLinkIssued": "发出评价链接",
    "SignedFor": "签收",
    "SentBack": "退回",
    "Contacted": "联系居民",
    "Urged": "催办",
    "Supervised": "督办",
    "PubliclyNoted": "通报",
}

# The fields of an event's data the timeline shows, with their names; others stay out.
EVENT_FIELDS = {
    "title": "标题",
    "category": "类别",
    "assignee_name": "承办人",
    "previous_assignee_name": "原承办人",
    "note": "备注",
    "reason": "原因",
    "level": "层级",
    "notes": "情况",
    "outcome": "结果",
    "duration_minutes": "时长（分钟）",
    "resolution": "办结方式",
    "summary": "办结说明",
    "rating": "评价",
    "comment": "意见",
    "claimant": "认领人",
    "claimant_type": "认领人类型",
    "photo_url": "照片链接",
    "duplicate_of": "原件",
    "duplicate": "重复件",
    "message": "催办内容",
    "channel": "渠道",
    "solved": "解决情况",
}

# The domain's rules and the API's own refusals, by their stable codes.
ERRORS = {
    "case_closed": "此事项已办结，只能回访评价或发回重办。",
    "case_not_closed": "此事项尚未办结。",
    "already_rated": "此次办结已评价过。",
    "no_assignee": "此事项还没有承办人，请先派单。",
    "already_assigned": "此事项已有承办人。",
    "same_assignee": "此事项已由该网格员承办。",
    "no_claimant": "此心愿还没有人认领。",
    "already_claimed": "此心愿已被认领。",
    "already_fulfilled": "此心愿已实现。",
    "not_the_claimant": "只有认领此心愿的人（或督办人）才能这样做。",
    "release_after_fulfilment": "此心愿已实现，不能再取消认领。",
    "wish_not_fulfilled": "心愿尚未实现，不能以“已解决”办结。",
    "no_mediated_agreement": "纠纷还没有达成协议的调解记录，不能以“已解决”办结。",
    "case_suspended": "此事项已挂起，请先恢复办理。",
    "not_suspended": "此事项没有挂起。",
    "escalation_not_upward": "只能向上一级上报。",
    "occurred_out_of_order": "时间早于此事项的上一条记录，请检查时间。",
    "occurred_in_future": "时间不能晚于现在。",
    "not_applicable_to_kind": "此操作不适用于这类事项。",
    "dispute_needs_two_parties": "矛盾纠纷至少需要两方当事人。",
    "unknown_category": "类别与事项类型不符。",
    "invalid_value": "所选的值无效。",
    "duplicate_of_required": "重复件须填写原件编号。",
    "duplicate_of_not_applicable": "只有以“重复件”办结时才填写原件编号。",
    "duplicate_of_itself": "不能把事项标为它自己的重复件。",
    "unknown_original": "找不到该原件。",
    "original_is_duplicate": "该原件本身是重复件，请填写最初的原件。",
    "concurrent_modification": "此事项正被他人修改，请稍后再提交一次。",
    "stale_version": "此事项刚被他人修改过，请刷新后再操作。",
    "idempotency_key_reused": "这张表单已提交过其他内容，请刷新页面后重新填写。",
    "outside_area": "此网格不在您的辖区内。",
    "unknown_grid": "没有这个网格。",
    "unknown_user": "没有这个人员。",
    "wrong_role": "只能派给网格员或督办人。",
    "forbidden": "您的岗位不能进行此操作。",
    "not_the_assignee": "只有此事项的承办人才能这样做。",
    "already_signed": "此事项已签收。",
    "send_back_after_signing": "已签收的事项不能退回，请督办人转派。",
    "extension_after_deadline": "已过办理期限，不能再延期；延期须在期限前批准。",
    "extension_not_later": "新的期限须晚于现在的期限。",
    "extension_too_far": "新的期限太远了，最多两年。",
    "one_new_deadline": "新的期限和延长的工作日，请填写其中一项（只填一项）。",
    "answers_without_callback": "联系不上或拒绝评价时，不填写“是否联系”和“解决情况”。",
    "csrf": "表单已过期或来源不明，请刷新页面后重新提交。",
    "bad_token": "令牌无效、已停用或已过期，请向管理员索取新令牌。",
}
UNKNOWN_ERROR = "操作未能完成，请稍后重试。"

# Pydantic's error types, for a field that does not validate.
FIELD_ERRORS = {
    "missing": "请填写此项。",
    "invalid_url": "请填写以 http:// 或 https:// 开头的网址。",
    "string_too_short": "请填写此项。",
    "string_too_long": "内容太长了，最多 {max_length} 个字。",
    "string_pattern_mismatch": "格式不对。",
    "int_parsing": "请填写数字。",
    "int_type": "请填写数字。",
    "greater_than_equal": "不能小于 {ge}。",
    "less_than_equal": "不能大于 {le}。",
    "datetime_parsing": "请填写日期和时间。",
    "datetime_from_date_parsing": "请填写日期和时间。",
    "enum": "请从列表中选择。",
    "literal_error": "请从列表中选择。",
    "too_short": "至少需要 {min_length} 项。",
    "uuid_parsing": "编号格式不对。",
    # The API's own validators (api/requests.py, api/date_windows.py).
    "outside_window": "时间超出可填写的范围（不能晚于现在）。",
    "unwanted_character": "含有不能保存的特殊字符。",
}
FIELD_VALUE_ERRORS = {
    "digits": "电话号码至少要有 5 位数字。",
    "outside the accepted window": "时间超出可填写的范围（不能晚于现在）。",
    "control character": "含有不能保存的特殊字符。",
}


def rule_message(code: str, told: Msg | str | None = None) -> str:
    """A refusal in plain Chinese: the workbench's words for ``code``, else what the API's
    problem details say (``told``: its title or field message; a str is an English msgid,
    a domain error's title) in Chinese, from the catalogue."""
    if code in ERRORS:
        return ERRORS[code]
    if told is None:
        return UNKNOWN_ERROR
    return tell(told if isinstance(told, Msg) else Msg(told), CHINESE)


def field_message(error: dict[str, Any], field: str = "") -> str:
    """One pydantic error in plain Chinese; ``field``: the form's name for the field."""
    if field.endswith("phone") and error["type"] in (
        "string_pattern_mismatch",
        "value_error",
        "invalid_phone",
    ):
        return "电话号码格式不对：手机号 11 位，固定电话带区号，可带 +86、空格或短横线。"
    if field == "duplicate_of" and error["type"] == "uuid_parsing":
        return "请填写原件的事项编号。"
    if field == "new_due_at" and error["type"] == "outside_window":
        return "新的期限最晚为两年之后。"
    if error["type"] in ERRORS:  # a validator of the API's own (api.i18n.validation.invalid)
        return ERRORS[error["type"]]
    told = (error.get("ctx") or {}).get("message")
    if isinstance(told, Msg) and error["type"] not in FIELD_ERRORS:
        return tell(told, CHINESE)  # as the API's problem details tell it in Chinese
    if error["type"] == "value_error":
        text = str(error.get("msg", ""))
        for clue, message in FIELD_VALUE_ERRORS.items():
            if clue in text:
                return message
        return "填写的内容无效。"
    template = FIELD_ERRORS.get(error["type"], "填写的内容无效。")
    return template.format(**(error.get("ctx") or {}))


WEEKDAYS = "一二三四五六日"


def moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A moment as people in China write it: 2026年3月5日 星期四 14:30."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return (
        f"{local.year}年{local.month}月{local.day}日 星期{WEEKDAYS[local.weekday()]} {local:%H:%M}"
    )


def time_left(hours: float | None, working_days: int | None) -> str:
    """How long until the deadline, in the unit the limit is counted in."""
    if hours is None:
        return ""
    if working_days is not None:
        if working_days > 0:
            return f"还剩 {working_days} 个工作日"
        if working_days == 0:
            return "今天到期" if hours >= 0 else "已超期"
        return f"已超期 {-working_days} 个工作日"
    if hours >= 0:
        return f"还剩 {hours:.0f} 小时" if hours >= 1 else f"还剩 {hours * 60:.0f} 分钟"
    return f"已超期 {-hours:.0f} 小时"


VALUE_NAMES = {
    "resolution": RESOLUTIONS,
    "channel": {**CHANNELS, **CONTACT_CHANNELS},  # intake's and contact's: no code in both
    "solved": SOLVED,
    "outcome": MEDIATION_OUTCOMES,  # a visit's outcome is free text: shown as it is
    "rating": RATINGS,
    "claimant_type": CLAIMANT_TYPES,
    "level": LEVELS,
}


def value_label(field: str, value: Any, kind: str | None = None) -> Any:
    """An event's value as the timeline shows it: codes by their Chinese names."""
    if field == "category" and kind:
        return CATEGORIES.get(kind, {}).get(value, value)
    names = VALUE_NAMES.get(field)
    if names is not None and isinstance(value, str):
        return names.get(value, value)
    return value


# The resident's rating page (/r/<token>): the call-back's three questions, in order.
RATING_QUESTIONS = (
    {
        "name": "contacted",
        "text": "承办的工作人员联系过您吗？",
        "options": {"yes": "联系过", "no": "没有联系过"},
    },
    {
        "name": "solved",
        "text": "您反映的问题解决了吗？",
        "options": {"solved": "已解决", "partly_solved": "部分解决", "not_solved": "未解决"},
    },
    {
        "name": "rating",
        "text": "您对办理结果满意吗？",
        "options": {
            "satisfied": "满意",
            "basically_satisfied": "基本满意",
            "dissatisfied": "不满意",
        },
    },
)
RATING_DONE = ("感谢您的评价", "您的回访意见已记录。")
RATING_REDO = "您反映的问题未解决，事项已发回重新办理，工作人员会再与您联系。"

# Why a rating link is refused: (HTTP status, heading, what the resident reads).
LINK_INVALID = (
    404,
    "链接无效",
    "此评价链接无效，请核对短信中的链接是否完整。如有疑问，请联系社区。",
)
LINK_REFUSALS = {
    "unknown_rating_link": LINK_INVALID,
    "rating_link_used": (410, "已经评价过", "此链接已经提交过评价，感谢您的反馈。"),
    "already_rated": (410, "已经评价过", "此事项的办理结果已经评价过，感谢您的反馈。"),
    "rating_link_expired": (
        410,
        "链接已过期",
        "此评价链接已超过有效期。如需评价，请联系社区工作人员。",
    ),
    "rating_link_outdated": (
        410,
        "链接已失效",
        "此事项后来又重新办理过，这个链接已失效。再次办结后会请您评价。",
    ),
    "case_not_closed": (409, "暂不能评价", "此事项正在重新办理，办结后再请您评价。"),
    "csrf": (403, "请求被拒绝", "页面已过期或来源不明，请重新打开评价链接后再提交。"),
}
