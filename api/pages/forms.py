"""From a posted form to the API's request models, and from their errors to the form's fields.

Browsers send every field as text, empty ones as ""; the API's models want absent fields
for what was not given, and moments with a zone (a datetime-local field has none: it is the
clerk's wall clock, Asia/Shanghai's).
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import FormData

from api.pages import messages
from api.requests import (
    Claim,
    Close,
    Contact,
    Escalate,
    Extend,
    Fulfil,
    HoldMediation,
    Intake,
    Rate,
    Reassign,
    Reopen,
    Resume,
    SendBack,
    SignFor,
    Suspend,
    Urge,
    Visit,
)

PARTY_ROWS = 4  # rows of parties on the intake form; a dispute needs two

# The case page's forms by the name in their URL (/app/cases/{id}/<name>), each the API's
# request model of its command.
FIELD_MODELS: dict[str, type[BaseModel]] = {
    "sign": SignFor,
    "send_back": SendBack,
    "contact": Contact,
    "visit": Visit,
    "mediation": HoldMediation,
    "claim": Claim,
    "fulfil": Fulfil,
    "suspend": Suspend,
    "resume": Resume,
    "close": Close,
    "escalate": Escalate,
    "urge": Urge,
    "extend": Extend,
    "reassign": Reassign,
    "rate": Rate,
    "reopen": Reopen,
}
MOMENTS = ("visited_at", "held_at", "fulfilled_at", "contacted_at", "new_due_at")

_intake = TypeAdapter(Intake)


class FormInvalid(Exception):
    """{field name on the form: message in Chinese}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in ("", None)}


def _moment(value: str, zone: ZoneInfo) -> Any:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the model names what is wrong
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _errors(error: ValidationError, field_of: Any) -> FormInvalid:
    found: dict[str, str] = {}
    for item in error.errors():
        field = field_of(item["loc"])
        found.setdefault(field, messages.field_message(dict(item), field))
    return FormInvalid(found)


def intake(form: FormData) -> Any:
    """The intake form as the API's Intake (one of its three kinds)."""
    kind, _, category = _text(form, "kind_category").partition("/")
    parties = []
    for row in range(PARTY_ROWS):
        party = _given(
            name=_text(form, f"party_{row}_name"),
            phone=_text(form, f"party_{row}_phone"),
            role=_text(form, f"party_{row}_role"),
        )
        if party:
            parties.append(party)
    body: dict[str, Any] = _given(
        kind=kind,
        category=category,
        channel=_text(form, "channel"),
        title=_text(form, "title"),
        description=_text(form, "description"),
        grid_id=_text(form, "grid_id"),
    )
    body["resident"] = _given(
        name=_text(form, "resident_name"),
        phone=_text(form, "resident_phone"),
        address=_text(form, "resident_address"),
    )
    if kind == "dispute":
        body["parties"] = parties
    if not kind:
        raise FormInvalid({"kind_category": messages.FIELD_ERRORS["missing"]})

    def field_of(loc: tuple[Any, ...]) -> str:
        loc = loc[1:] if loc and loc[0] == kind else loc  # the union's tag
        if loc[:1] == ("resident",) and len(loc) > 1:
            return f"resident_{loc[1]}"
        if loc[:1] == ("parties",):
            return f"party_{loc[1]}_{loc[2]}" if len(loc) > 2 else "parties"
        if loc[:1] in (("kind",), ("category",)):
            return "kind_category"
        return str(loc[0]) if loc else "form"

    try:
        return _intake.validate_python(body)
    except ValidationError as error:
        raise _errors(error, field_of) from None


def field_command(
    name: str, form: FormData, zone: ZoneInfo, given: dict[str, Any] | None = None
) -> BaseModel:
    """One of the case page's short forms as the API's request model; ``given``: fields the
    page fills in itself (an extension's approver is the supervisor who approves it)."""
    return model_form(FIELD_MODELS[name], form, zone, given)


def model_form(
    model: type[BaseModel], form: FormData, zone: ZoneInfo, given: dict[str, Any] | None = None
) -> BaseModel:
    """A form whose fields are the request model's own, as that model."""
    body: dict[str, Any] = dict(given or {})
    for field in model.model_fields:
        if field == "occurred_at" or field in body:
            continue
        value = _text(form, field)
        if field in MOMENTS and value:
            body[field] = _moment(value, zone)
        elif field == "participants":
            # One per line, or separated as people write lists: 、，,
            names = [p.strip() for p in value.replace("、", "\n").replace("，", "\n").split("\n")]
            body[field] = [p for p in (n.strip(",") for n in names) if p]
        elif value:
            body[field] = value
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise _errors(error, lambda loc: str(loc[0]) if loc else "form") from None
