"""The time limit of every category of every kind of case, read from a JSON file.

The limits are the administrator's to set, so they are data, not code: the file that
ships beside this module holds the published defaults, and CASEWORK_TIME_LIMITS_FILE
points at an edited copy. The file is checked whole at start: a limit missing for one
category would only show up as a refused intake weeks later, so any fault stops the
service with one line naming the file and the entry.

    {"resident_request": {"consultation": {"amount": 3, "unit": "working_days"}, ...},
     "dispute": {...}, "micro_wish": {...}}
"""

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.time_limits import TimeLimit, TimeLimits, Unit
from domain.vocabulary import CATEGORIES, Kind

SHIPPED_FILE = Path(__file__).with_name("time_limits.json")


class CatalogueError(Exception):
    """The time-limit catalogue cannot be used; the message is one line."""


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Strict: "3" or 3.5 or true is a mistake in the file, not a number to coerce.
    amount: Annotated[int, Field(gt=0, strict=True)]
    unit: Unit


def load_time_limits(path: Path = SHIPPED_FILE) -> TimeLimits:
    """Every kind's every category with its limit, or a CatalogueError."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogueError(f"time-limit catalogue {path}: cannot be read: {error}") from None
    except ValueError as error:
        raise CatalogueError(f"time-limit catalogue {path}: not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"time-limit catalogue {path}: expected an object of kinds")
    catalogue: TimeLimits = {}
    for kind, categories in CATEGORIES.items():
        entries = raw.get(kind.value)
        if not isinstance(entries, dict):
            raise CatalogueError(
                f"time-limit catalogue {path}: {kind}: missing (expected an object of its "
                f"categories: {', '.join(categories)})"
            )
        for category in categories:
            entry = entries.get(category.value)
            if entry is None:
                raise CatalogueError(f"time-limit catalogue {path}: {kind}.{category}: missing")
            catalogue[(kind, category.value)] = _limit(path, f"{kind}.{category}", entry)
        _refuse_unknown(path, kind.value, entries, [c.value for c in categories])
    _refuse_unknown(path, "", raw, [k.value for k in Kind])
    return catalogue


def _limit(path: Path, where: str, entry: object) -> TimeLimit:
    try:
        limit = Limit.model_validate(entry)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in (where, *first["loc"]))
        raise CatalogueError(
            f"time-limit catalogue {path}: {field}: {first['msg']} "
            f"(got {json.dumps(first['input'], ensure_ascii=False)})"
        ) from None
    return TimeLimit(limit.amount, limit.unit)


def _refuse_unknown(path: Path, where: str, entries: dict, known: list[str]) -> None:
    # A misspelt category would otherwise be ignored while the real one stays missing.
    for name in entries:
        if name not in known:
            prefix = f"{where}.{name}" if where else name
            raise CatalogueError(
                f"time-limit catalogue {path}: {prefix}: unknown (expected one of: "
                f"{', '.join(known)})"
            )
