"""Request bodies and small helpers shared by the integration and end-to-end tests."""

from datetime import UTC, datetime, timedelta
from typing import Any


def moments_ago(minutes: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


RESIDENT = {"name": "李秀英", "phone": "13812345678", "address": "天胜社区3号楼2单元301"}


def intake(kind: str = "resident_request", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "category": {"resident_request": "help", "dispute": "neighbour", "micro_wish": "goods"}[
            kind
        ],
        "channel": "hotline",
        "title": "楼道灯坏了",
        "description": "3号楼2单元楼道灯不亮，老人夜间上下楼不便",
        "grid_id": "tiansheng-01",
        "resident": dict(RESIDENT),
    }
    if kind == "dispute":
        body["parties"] = [
            {"name": "李秀英", "role": "applicant"},
            {"name": "王强", "role": "respondent"},
        ]
    body.update(overrides)
    return body


def visit_body(**overrides: Any) -> dict[str, Any]:
    return {"visited_at": moments_ago(), "duration_minutes": 30, "notes": "上门查看", **overrides}
