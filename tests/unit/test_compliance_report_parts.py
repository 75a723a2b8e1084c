"""The pure parts of the compliance report: working time, the period, names, the files."""

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from api.report_files import Format, to_csv, to_xlsx, wanted_format
from api.routes.reports import report_weights
from infra.calendar import ChineseWorkingCalendar
from infra.settings import Settings
from projections.compliance.assessment import worker_row
from projections.compliance.report import Period, Weights, callback_rates, category_name
from projections.compliance.working_time import working_seconds

ZONE = ZoneInfo("Asia/Shanghai")
CALENDAR = ChineseWorkingCalendar()


def hours(start: datetime, end: datetime, calendar: object = CALENDAR) -> float:
    return working_seconds(start, end, calendar, ZONE) / 3600  # type: ignore[arg-type]


def at(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


def test_working_hours_skip_national_day_and_count_the_make_up_saturday() -> None:
    # Wed 2026-09-30 noon to Fri 2026-10-09 noon: Oct 1-7 are off, Oct 8 works whole.
    assert hours(at(9, 30, 12), at(10, 9, 12)) == 12 + 24 + 12
    # Sat 2026-10-10 is a make-up working day; Sun 2026-10-11 is not.
    assert hours(at(10, 10), at(10, 11)) == 24
    assert hours(at(10, 11), at(10, 12)) == 0
    # Mid-Autumn Festival, Fri 2026-09-25, is off.
    assert hours(at(9, 24, 18), at(9, 28, 6)) == 6 + 6


def test_working_hours_are_counted_on_local_days_whatever_the_zone_of_the_moments() -> None:
    # 2026-10-09 16:00 UTC is Sat 2026-10-10 00:00 in Shanghai: the make-up day, whole.
    start = datetime(2026, 10, 9, 16, tzinfo=UTC)
    assert hours(start, start.replace(day=10)) == 24


def test_no_working_time_in_an_empty_or_reversed_span() -> None:
    assert hours(at(10, 9, 12), at(10, 9, 12)) == 0
    assert hours(at(10, 9, 12), at(10, 9, 8)) == 0


class UnknownYears:
    def is_working_day(self, day: date) -> bool | None:
        return None


def test_a_day_of_a_year_the_calendar_does_not_know_counts_if_it_is_a_weekday() -> None:
    # Fri 2027-01-01 to Mon 2027-01-04 06:00: Friday counts, the weekend does not.
    assert hours(at(1, 1, year=2027), at(1, 4, 6, year=2027), UnknownYears()) == 24 + 6


def test_the_period_runs_from_midnight_of_from_to_midnight_after_to() -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 31), ZONE)
    assert period.start == at(10, 1)
    assert period.end == at(11, 1)
    assert period.start.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_category_names_are_kind_and_category_in_chinese() -> None:
    assert category_name("dispute.other") == "矛盾纠纷·其他"
    assert category_name("resident_request.urgent") == "居民诉求·紧急"
    assert category_name("micro_wish.goods") == "微心愿·物品"
    assert category_name("dispute.urgent") is None
    assert category_name("nothing") is None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("format_", "accept", "wanted"),
    [
        (None, None, Format.JSON),
        (None, "application/json", Format.JSON),
        (None, "text/csv", Format.CSV),
        (None, "text/csv; charset=utf-8", Format.CSV),
        (None, f"{XLSX}, application/json;q=0.5", Format.XLSX),
        (None, "text/csv;q=0, application/json", Format.JSON),
        (Format.CSV, XLSX, Format.CSV),
    ],
)
def test_the_format_comes_from_the_parameter_else_from_accept(
    format_: Format | None, accept: str | None, wanted: Format
) -> None:
    assert wanted_format(format_, accept) == wanted


def figures(group: str | None, name: str, received: int) -> dict[str, object]:
    return {
        "group": group,
        "name": name,
        "received": received,
        "closed": 2,
        "closed_on_time": 1,
        "overdue_open": 1,
        "on_time_rate": 1 / 3,
        "closure_rate": 2 / received,
        "satisfaction_rate": None,
        "reopen_rate": 0.0,
        "handling_hours_p50": 12.5,
        "handling_hours_p90": 30.25,
        "visit_count": 3,
        "visit_minutes": 90,
        "ratings_valid": 0,
        "ratings_satisfied": 0,
        "reopened": 0,
        "valid_callbacks": 0,
        "callbacks_contacted": 0,
        "callbacks_solved": 0,
        "callbacks_partly_solved": 0,
        "response_rate": None,
        "resolution_rate": None,
        "composite_score": None,
        "signed_for": 2,
        "signed_on_time": 1,
        "signed_on_time_rate": 0.5,
        "assigned": 3,
        "sent_back": 0,
        "send_back_rate": 0.0,
        "urged": 0,
        "supervised": 0,
        "publicly_noted": 0,
    }


def report(group_by: str) -> dict[str, object]:
    return {
        "from": date(2026, 10, 1),
        "to": date(2026, 10, 31),
        "group_by": group_by,
        "rows": [figures("tiansheng-01", "天胜社区第一网格", 4)],
        "totals": figures(None, "合计", 4),
    }


def test_the_csv_has_a_bom_chinese_headings_the_rows_and_the_totals() -> None:
    data = to_csv(report("grid"))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:4] == ["代码", "名称", "受理数", "办结数"]
    assert lines[1][:3] == ["tiansheng-01", "天胜社区第一网格", "4"]
    assert lines[1][8] == ""  # no satisfaction rate without valid ratings
    assert lines[2][:3] == ["合计", "", "4"]
    assert len(lines) == 3


def test_the_workbook_has_one_sheet_per_grouping_in_the_order_given() -> None:
    data = to_xlsx([report("grid"), report("street"), report("worker")])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["网格", "街道", "社工"]
    sheet = book["网格"]
    assert sheet["A1"].value == "代码"
    assert sheet["C2"].value == 4
    assert sheet["G2"].value == pytest.approx(1 / 3)
    assert sheet["G2"].number_format == "0.00%"
    assert sheet["A3"].value == "合计"


def test_the_weights_of_the_composite_score_come_from_the_settings() -> None:
    settings = Settings(
        database_url="postgresql://unused",
        weight_response=0.2,
        weight_resolution=0.4,
        weight_satisfaction=0.4,
        weight_partly_solved=0.5,
        weight_basically_satisfied=0.9,
    )
    counts = {
        "ratings_valid": 10,
        "ratings_satisfied": 8,  # 5 satisfied, 3 basically satisfied
        "ratings_basic": 3,
        "callbacks_contact_answered": 8,
        "callbacks_contacted": 6,
        "callbacks_solve_answered": 8,
        "callbacks_solved": 4,
        "callbacks_partly": 2,
    }

    rates = callback_rates(counts, report_weights(settings))

    assert rates["response_rate"] == pytest.approx(6 / 8)
    assert rates["resolution_rate"] == pytest.approx((4 + 2 * 0.5) / 8)
    assert rates["satisfaction_rate"] == pytest.approx((5 + 3 * 0.9) / 10)
    # 100 × (0.2 × 0.75 + 0.4 × 0.625 + 0.4 × 0.77) = 15 + 25 + 30.8
    assert rates["composite_score"] == pytest.approx(70.8)
    # Without the defaults' weights for partly solved and basically satisfied (0 and 1):
    defaults = callback_rates(counts, Weights())
    assert defaults["resolution_rate"] == pytest.approx(0.5)
    assert defaults["satisfaction_rate"] == pytest.approx(0.8)
    assert (
        callback_rates({**counts, "callbacks_solve_answered": 0}, Weights())["composite_score"]
        is None
    )


def test_the_assessments_floor_and_weights_come_from_the_settings() -> None:
    rules = Settings(
        _env_file=None,
        assessment_floor=0.75,
        assessment_weight_grid_time=0.4,
        assessment_weight_residents=0.4,
        assessment_weight_community=0.1,
        assessment_weight_street=0.1,
    ).assessment_rules
    at = datetime(2026, 8, 31, 18, 0, tzinfo=UTC)
    scores = {("w", "community"): (90, "s1", at), ("w", "street"): (60, "s2", at)}
    facts = {"visit_count": 4, "visit_minutes": 5040, "valid_callbacks": 5, "composite_score": 80}

    row = worker_row("w", "王芳", facts, scores, 10080, rules)

    # share 0.5 under the floor 0.75: 100 × 0.5 / 0.75 = 66.67;
    # total = 0.4 × 66.67 + 0.4 × 80 + 0.1 × 90 + 0.1 × 60 = 26.67 + 32 + 9 + 6 = 73.67
    assert (row["grid_time_share"], row["meets_floor"]) == (0.5, False)
    assert row["grid_time_score"] == pytest.approx(200 / 3)
    assert row["total"] == pytest.approx(0.4 * 200 / 3 + 32 + 9 + 6)
    assert worker_row("w", None, {}, {}, 10080, rules)["total"] is None
