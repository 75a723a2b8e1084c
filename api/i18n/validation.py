"""Pydantic's validation errors told plainly: by the error's type, with what a valid value
looks like, never an enum's repr or a regular expression."""

import re
from typing import Any

from pydantic_core import PydanticCustomError

from api.i18n import N_, Msg, _

EXAMPLE_MOMENT = "2026-03-01T09:30:00+08:00"

# What a field with a pattern looks like, by the field's name: the pattern itself says
# nothing to a person at a counter.
FORMS: dict[str, str] = {
    "phone": N_("digits, optionally starting with +86, spaces and - allowed, e.g. 13812345678"),
    "id_number": N_("18 characters: 17 digits, then a digit or X"),
    "grid_id": N_("letters, digits, -, _ and ., e.g. tiansheng-01"),
    "community_id": N_("letters, digits, -, _ and ., e.g. tiansheng"),
    "street_id": N_("letters, digits, -, _ and ., e.g. wenmiao"),
    "month": N_("a month of the years 2000 to 2100 as YYYY-MM, e.g. 2026-10"),
}

_QUOTED = re.compile(r"'([^']*)'")


def invalid(kind: str, message: Msg) -> PydanticCustomError:
    """A validator's own error: ``kind`` becomes the error's type; the message is told in
    the caller's language (pydantic itself shows it in English)."""
    return PydanticCustomError(kind, "{message}", {"message": message})


def _choices(expected: str) -> str:
    """The plain codes out of pydantic's 'expected' text: ``'a', 'b' or 'c'`` and
    ``<Level.STREET: 'street'>`` both give their quoted values."""
    return ", ".join(_QUOTED.findall(expected)) or expected


def _field(loc: list[Any]) -> str:
    names = [part for part in loc if isinstance(part, str)]
    return names[-1] if names else ""


def _pattern_message(loc: list[Any]) -> Msg:
    form = FORMS.get(_field(loc))
    if form is None:
        return _("is not in the expected form")
    return _("is not in the expected form: {form}", form=Msg(form))


# A broken bound: its message, and the key of the bound ({n}) in the error's context.
BOUNDS: dict[str, tuple[str, str]] = {
    "string_too_long": (N_("too long: give at most {n} characters"), "max_length"),
    "too_short": (N_("too few: give at least {n} items"), "min_length"),
    "too_long": (N_("too many: give at most {n} items"), "max_length"),
    "greater_than_equal": (N_("must be {n} or more"), "ge"),
    "greater_than": (N_("must be more than {n}"), "gt"),
    "less_than_equal": (N_("must be {n} or less"), "le"),
    "less_than": (N_("must be less than {n}"), "lt"),
}


def message(error: dict[str, Any]) -> Msg:
    """The plain message of one pydantic error (``RequestValidationError.errors()``)."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, list(error["loc"])
    if isinstance(ctx.get("message"), Msg):
        return ctx["message"]
    if kind == "missing":
        return _("required: this field is missing")
    if kind == "extra_forbidden":
        return _("unknown field: remove it (check its spelling)")
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("must not be empty")
        return _("too short: give at least {n} characters", n=ctx.get("min_length"))
    if kind in BOUNDS:
        text, bound = BOUNDS[kind]
        return Msg(text, {"n": ctx.get(bound)})
    if kind == "string_pattern_mismatch":
        return _pattern_message(loc)
    if kind in ("string_type", "string_unicode"):
        return _("must be text in quotes")
    if kind in ("literal_error", "enum"):
        return _("must be one of: {choices}", choices=_choices(str(ctx.get("expected", ""))))
    if kind == "union_tag_invalid":
        return _(
            "{field} must be one of: {choices}",
            field=ctx.get("discriminator", "").strip("'"),
            choices=_choices(str(ctx.get("expected_tags", ""))),
        )
    if kind == "union_tag_not_found":
        return _("{field} is missing", field=str(ctx.get("discriminator", "")).strip("'"))
    if kind in ("uuid_parsing", "uuid_type", "uuid_version"):
        return _("must be an id (a UUID), e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6")
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("must be a whole number, e.g. 30")
    if kind in ("float_parsing", "float_type"):
        return _("must be a number, e.g. 2.5")
    if kind in ("bool_parsing", "bool_type"):
        return _("must be true or false")
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return _(
            "must be a date and time with its timezone, e.g. {example}", example=EXAMPLE_MOMENT
        )
    if kind == "timezone_aware":
        return _("needs its timezone, e.g. {example}", example=EXAMPLE_MOMENT)
    if kind.startswith("date_"):
        return _("must be a day, e.g. 2026-03-01")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("must be an object (name-value pairs in JSON)")
    if kind == "list_type":
        return _("must be a list (a JSON array)")
    if kind == "json_invalid":
        return _("the body is not valid JSON")
    if kind == "json_type":
        return _("the body must be JSON")
    return _("is not a valid value")
