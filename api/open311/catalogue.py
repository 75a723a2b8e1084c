"""The services of Open311: each kind and category of the catalogue is one service code."""

from typing import Any

from domain.names import CATEGORY_NAMES, KIND_NAMES

# kind.category, e.g. resident_request.help: the code says what POST /cases says.
SERVICES: dict[str, tuple[str, str]] = {
    f"{kind}.{category}": (kind, category)
    for kind, categories in CATEGORY_NAMES.items()
    for category in categories
}


def service_name(code: str) -> str:
    kind, category = SERVICES[code]
    return f"{KIND_NAMES[kind]}·{CATEGORY_NAMES[kind][category]}"


def services() -> list[dict[str, Any]]:
    return [
        {
            "service_code": code,
            "service_name": service_name(code),
            "description": None,
            "metadata": True,  # every service has its grid as an attribute (attribute[grid_id])
            "type": "realtime",
            "keywords": None,
            "group": KIND_NAMES[kind],
        }
        for code, (kind, _category) in SERVICES.items()
    ]


GRID = {
    "variable": True,
    "code": "grid_id",
    "datatype": "string",
    # Not needed when the address or the point maps to a grid (infra/places.py).
    "required": False,
    "datatype_description": "网格编号，例如 tiansheng-01；不填时按地址或经纬度确定网格",
    "order": 1,
    "description": "事项所在的网格",
}
OTHER_PARTY = {
    "variable": True,
    "code": "other_party",
    "datatype": "string",
    "required": True,
    "datatype_description": "姓名",
    "order": 2,
    "description": "纠纷的另一方当事人",
}


def definition(code: str) -> dict[str, Any]:
    kind, _category = SERVICES[code]
    attributes = [GRID, OTHER_PARTY] if kind == "dispute" else [GRID]
    return {"service_code": code, "attributes": attributes}
