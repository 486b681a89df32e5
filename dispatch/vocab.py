"""The domain's vocabularies: codes in English, labels in Chinese for what users read."""

from __future__ import annotations

# Dispute categories (矛盾纠纷类别), with the mix seen in the sources' yearly figures.
CATEGORIES: dict[str, str] = {
    "neighbour": "邻里纠纷",
    "family": "家庭纠纷",
    "marriage": "婚姻纠纷",
    "property": "物业纠纷",
    "labour": "劳动争议/欠薪",
    "debt": "债务纠纷",
    "traffic": "交通事故纠纷",
    "construction": "工程款纠纷",
    "land": "土地纠纷",
    "finance": "金融纠纷",
    "medical": "医疗纠纷",
    "consumer": "消费纠纷",
    "other": "其他纠纷",
}

UNIT_TYPES: dict[str, str] = {
    "grid_worker": "网格员",
    "mediator": "人民调解员",
    "community_police": "社区民警",
    "auxiliary_police": "辅警",
    "lawyer": "律师",
    "judge": "法官",
    "procurator": "检察官",
    "psychologist": "心理咨询师",
}

# Languages and dialects a mediator may speak (老乡调解员).
LANGUAGES: dict[str, str] = {
    "mandarin": "普通话",
    "uyghur": "维吾尔语",
    "kazakh": "哈萨克语",
    "mongolian": "蒙古语",
    "henan": "河南话",
    "shandong": "山东话",
    "hebei": "河北话",
    "sichuan": "四川话",
    "gansu": "甘肃话",
}

CHANNELS: dict[str, str] = {
    "hotline": "12345热线",
    "walk_in": "来访窗口",
    "grid_report": "网格员上报",
    "app": "一码通办/APP",
    "referral": "法院/公安移送",
}

UNIT_STATUSES: dict[str, str] = {
    "available": "空闲",
    "assigned": "已派单",
    "en_route": "在途",
    "on_scene": "到场处置",
    "off_duty": "下班",
}

SHIFTS: dict[str, str] = {
    "day": "白班",
    "night": "夜班",
    "24h": "24小时值守",
    "on_call": "随叫随到",
}

INCIDENT_STATES: dict[str, str] = {
    "registered": "已受理",
    "located": "已定位",
    "assigned": "已分派",
    "acknowledged": "已签收",
    "on_scene": "已到场",
    "mediating": "调解中",
    "escalated": "已上报",
    "resolved": "已办结",
    "followed_up": "已回访",
    "closed": "已归档",
}
OPEN_STATES = ("registered", "located", "assigned", "acknowledged", "on_scene", "mediating",
               "escalated")
# 办结 (then 回访, filed): every state after the open ones; reopening leaves them.
DONE_STATES = tuple(s for s in INCIDENT_STATES if s not in OPEN_STATES)
# Each state as the 12345 exchange reports it back (dispatch.webhooks.exchange_body): the
# platform's 工单 state code and name (受理 10, 派发 20, 签收 21, 办理 30, 上报 31, 办结 40 …).
EXCHANGE_STATES: dict[str, tuple[str, str]] = {
    "registered": ("10", "已受理"), "located": ("10", "已受理"),
    "assigned": ("20", "已派发"), "acknowledged": ("21", "已签收"),
    "on_scene": ("30", "办理中"), "mediating": ("30", "办理中"),
    "escalated": ("31", "已上报"), "resolved": ("40", "已办结"),
    "followed_up": ("50", "已回访"), "closed": ("60", "已归档"),
}


def sql_list(names: tuple[str, ...] | frozenset[str]) -> str:
    """``('a','b')`` for SQL text built from these vocabularies (never from user input)."""
    return "(" + ",".join(f"'{n}'" for n in (sorted(names) if isinstance(names, frozenset)
                                               else names)) + ")"

OUTCOMES: dict[str, str] = {
    "mediated": "调解成功",
    "litigation": "转诉讼",
    "arbitration": "转仲裁",
    "withdrawn": "撤回",
    "failed": "调解不成",
}

# How two cases are linked: 确认重复, 关联, 合并 (this one closes into the other).
LINK_KINDS: dict[str, str] = {"duplicate": "重复", "related": "关联", "merged": "合并"}

# How a follow-up visit (回访) was made.
FOLLOWUP_METHODS: dict[str, str] = {"phone": "电话", "visit": "上门", "sms": "短信"}

PRIORITIES: dict[int, str] = {1: "紧急", 2: "较急", 3: "一般", 4: "轻微"}
# The API's names for the stored priority numbers.
PRIORITY_CODES: dict[str, int] = {"urgent": 1, "high": 2, "normal": 3, "low": 4}

DIFFICULTIES: dict[str, str] = {"simple": "简易", "normal": "一般", "complex": "疑难复杂"}
