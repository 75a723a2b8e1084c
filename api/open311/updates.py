"""The feed of status changes (FixMyStreet's ``servicerequestupdates``): one update per change
of a request's status, told in a fixed Chinese phrase, never in anyone's own words but the
handler's closure summary (which the request itself shows as ``status_notes``)."""

from typing import Any

from domain.vocabulary import Status

CLOSED = frozenset({Status.CLOSED.value, Status.RATED.value})

# What a client's user reads for the status a case has come to.
PHRASES = {
    Status.RECEIVED.value: "待派单",
    Status.ASSIGNED.value: "已派单，待网格员办理",
    Status.IN_PROGRESS.value: "正在办理",
    Status.CLAIMED.value: "已有人认领",
    Status.FULFILLED.value: "已完成，待办结",
    Status.SUSPENDED.value: "暂停办理",
    Status.CLOSED.value: "已办结",
    Status.RATED.value: "已回访评价",
}


def description(previous: str, status: str, note: str | None) -> str:
    phrase = PHRASES[status]
    if previous in CLOSED and status not in CLOSED:
        phrase = f"重新办理：{phrase}"
    elif previous == Status.SUSPENDED.value:
        phrase = f"恢复办理：{phrase}"
    return f"{phrase}：{note}" if note else phrase


def update_out(change: dict[str, Any], updated_datetime: str) -> dict[str, Any]:
    return {
        "update_id": str(change["position"]),
        "service_request_id": str(change["case_id"]),
        "status": "closed" if change["status"] in CLOSED else "open",
        "updated_datetime": updated_datetime,
        "description": description(change["previous_status"], change["status"], change["note"]),
        "media_url": "",
        # FixMyStreet's extension: the back end's own status, for clients that map it.
        "external_status_code": change["status"],
    }
