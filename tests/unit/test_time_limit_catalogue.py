"""The time-limit catalogue is a file the administrator edits; a broken one stops the start."""

import json
from pathlib import Path
from typing import Any

import pytest

from domain.time_limits import TimeLimit, Unit
from domain.vocabulary import CATEGORIES, Kind
from infra.settings import Settings
from infra.time_limit_catalogue import SHIPPED_FILE, CatalogueError, load_time_limits


def shipped() -> dict[str, Any]:
    return json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))


def written(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "limits.json"
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_holds_the_published_defaults() -> None:
    limits = load_time_limits()

    assert limits[(Kind.RESIDENT_REQUEST, "consultation")] == TimeLimit(3, Unit.WORKING_DAYS)
    assert limits[(Kind.RESIDENT_REQUEST, "help")] == TimeLimit(3, Unit.WORKING_DAYS)
    assert limits[(Kind.RESIDENT_REQUEST, "complaint")] == TimeLimit(13, Unit.WORKING_DAYS)
    assert limits[(Kind.RESIDENT_REQUEST, "suggestion")] == TimeLimit(13, Unit.WORKING_DAYS)
    assert limits[(Kind.RESIDENT_REQUEST, "urgent")] == TimeLimit(24, Unit.HOURS)
    for category in ("neighbour", "family", "property", "other"):
        assert limits[(Kind.DISPUTE, category)] == TimeLimit(30, Unit.CALENDAR_DAYS)
    for category in ("goods", "service", "other"):
        assert limits[(Kind.MICRO_WISH, category)] == TimeLimit(30, Unit.CALENDAR_DAYS)
    assert set(limits) == {(k, c.value) for k, cs in CATEGORIES.items() for c in cs}


def test_the_setting_defaults_to_the_shipped_file_and_takes_an_edited_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().time_limits_file == SHIPPED_FILE
    catalogue = shipped()
    catalogue["resident_request"]["help"] = {"amount": 2, "unit": "working_days"}
    monkeypatch.setenv("CASEWORK_TIME_LIMITS_FILE", str(written(tmp_path, catalogue)))

    limits = load_time_limits(Settings().time_limits_file)

    assert limits[(Kind.RESIDENT_REQUEST, "help")] == TimeLimit(2, Unit.WORKING_DAYS)


def edited(change: Any) -> dict[str, Any]:
    catalogue = shipped()
    change(catalogue)
    return catalogue


BROKEN = {
    "amount zero": (
        edited(lambda c: c["dispute"]["family"].update(amount=0)),
        "dispute.family.amount: Input should be greater than 0 (got 0)",
    ),
    "negative amount": (
        edited(lambda c: c["resident_request"]["help"].update(amount=-3)),
        "resident_request.help.amount: Input should be greater than 0 (got -3)",
    ),
    "amount as text": (
        edited(lambda c: c["resident_request"]["urgent"].update(amount="24")),
        'resident_request.urgent.amount: Input should be a valid integer (got "24")',
    ),
    "fractional amount": (
        edited(lambda c: c["micro_wish"]["goods"].update(amount=1.5)),
        "micro_wish.goods.amount: Input should be a valid integer (got 1.5)",
    ),
    "unknown unit": (
        edited(lambda c: c["micro_wish"]["goods"].update(unit="weeks")),
        "micro_wish.goods.unit: Input should be 'working_days', 'calendar_days' or 'hours' "
        '(got "weeks")',
    ),
    "missing unit": (
        edited(lambda c: c["dispute"]["other"].pop("unit")),
        "dispute.other.unit: Field required",
    ),
    "missing category": (
        edited(lambda c: c["resident_request"].pop("complaint")),
        "resident_request.complaint: missing",
    ),
    "misspelt category": (
        edited(lambda c: c["dispute"].update(neighbor={"amount": 30, "unit": "calendar_days"})),
        "dispute.neighbor: unknown (expected one of: neighbour, family, property, other)",
    ),
    "missing kind": (
        edited(lambda c: c.pop("micro_wish")),
        "micro_wish: missing",
    ),
    "unknown kind": (
        edited(lambda c: c.update(petition={})),
        "petition: unknown (expected one of: resident_request, dispute, micro_wish)",
    ),
    "not JSON": ('{"resident_request": {', "not valid JSON: Expecting"),
}


@pytest.mark.parametrize(("content", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_catalogue_is_refused_in_one_line_naming_file_and_entry(
    tmp_path: Path, content: Any, message: str
) -> None:
    path = written(tmp_path, content)

    with pytest.raises(CatalogueError) as raised:
        load_time_limits(path)

    text = str(raised.value)
    assert text.startswith(f"time-limit catalogue {path}: ")
    assert message in text
    assert "\n" not in text


def test_a_missing_catalogue_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"time-limit catalogue .*nowhere\.json: cannot be"):
        load_time_limits(tmp_path / "nowhere.json")
