"""Who sees residents' personal data in clear, and what everyone else sees.

The one rule (the README's "Personal data" section shows it as a table): the roles whose
work needs to reach the resident see it in clear; every other role, and any caller whose
role is not known, sees it masked.

| role | sees |
| --- | --- |
| clerk, worker, supervisor | clear |
| auditor, admin, client | masked: 李*英, 138****5678, ID ***…1234, address cut short |

An erased value (``{"erased": true}``) reads the same for everyone.
"""

from typing import Any

from infra.personal.phones import normalised_or_as_written

CLEAR_ROLES = frozenset({"clerk", "worker", "supervisor"})

# Fields of a person that are not personal data and are shown as they are.
_OPEN_FIELDS = frozenset({"resident_id", "role", "erased"})


def sees_clear(role: str | None) -> bool:
    return role in CLEAR_ROLES


def mask_name(name: str) -> str:
    """李秀英 -> 李*英, 李英 -> 李*, 欧阳秀英 -> 欧**英."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; short numbers keep their last two digits. A phone stored
    as written before intake normalised it (``+86 138-1234-5678``) is normalised first."""
    digits = "".join(c for c in normalised_or_as_written(phone) if c.isdigit())
    if len(digits) >= 8:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_id_number(id_number: str) -> str:
    """Only the last four characters: ``**************1234``."""
    return "*" * max(len(id_number) - 4, 0) + id_number[-4:]


def mask_address(address: str) -> str:
    """The first third, at most six characters: 天胜社区3号楼2单元301 -> 天胜社区****."""
    keep = min(6, len(address) // 3)
    return address[:keep] + "****"


_MASKS = {
    "name": mask_name,
    "phone": mask_phone,
    "id_number": mask_id_number,
    "address": mask_address,
}


def mask_person(person: dict[str, Any]) -> dict[str, Any]:
    """A resident or a party, masked; a field nobody planned for is hidden altogether."""
    masked: dict[str, Any] = {}
    for field, value in person.items():
        if field in _OPEN_FIELDS or value is None:
            masked[field] = value
        elif field in _MASKS and isinstance(value, str):
            masked[field] = _MASKS[field](value)
        else:
            masked[field] = "****"
    return masked


def mask_personal(personal: dict[str, Any]) -> dict[str, Any]:
    """An event's personal part: {resident, parties} or {participants}."""
    masked: dict[str, Any] = {}
    for part, value in personal.items():
        if isinstance(value, dict):
            masked[part] = mask_person(value)
        elif isinstance(value, list):
            masked[part] = [
                mask_person(v) if isinstance(v, dict) else mask_name(str(v)) for v in value
            ]
        else:
            masked[part] = "****" if value is not None else None
    return masked


def person_for(person: dict[str, Any], role: str | None) -> dict[str, Any]:
    return dict(person) if sees_clear(role) else mask_person(person)


def event_data_for(data: dict[str, Any], role: str | None) -> dict[str, Any]:
    """An event's data as this role may read it. Masked readers also lose the intake's
    request hash: with a masked name and phone it would let them guess the rest."""
    if sees_clear(role):
        return data
    shown = dict(data)
    if isinstance(shown.get("personal"), dict):
        shown["personal"] = mask_personal(shown["personal"])
    intake = shown.get("intake")
    if isinstance(intake, dict) and isinstance(intake.get("request_hash"), str):
        shown["intake"] = {**intake, "request_hash": "****"}
    return shown


def resident_part(person: dict[str, Any], resident_id: str | None, role: str | None) -> dict:
    """A case's resident (or one party) as this role may read it, with their resident_id."""
    return {"resident_id": resident_id, **person_for(person, role)}
