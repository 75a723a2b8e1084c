"""The trade's codes by their Chinese names: one vocabulary for the compliance report, the
Open311 catalogue and the workbench's pages, so that a category reads the same everywhere."""

KIND_NAMES = {"resident_request": "居民诉求", "dispute": "矛盾纠纷", "micro_wish": "微心愿"}

CATEGORY_NAMES = {
    "resident_request": {
        "consultation": "咨询",
        "help": "求助",
        "complaint": "投诉",
        "suggestion": "建议",
        "urgent": "紧急",
    },
    "dispute": {"neighbour": "邻里", "family": "家庭", "property": "物业", "other": "其他"},
    "micro_wish": {"goods": "物品", "service": "服务", "other": "其他"},
}
