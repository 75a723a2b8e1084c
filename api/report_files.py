"""The compliance report as files supervisors take into their monthly reports: CSV and XLSX."""

import csv
import io
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


def wanted_format(format_: Format | None, accept: str | None) -> Format:
    """``format=`` if given, else the first file type the Accept header asks for."""
    if format_ is not None:
        return format_
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media == CSV_TYPE:
            return Format.CSV
        if media == XLSX_TYPE:
            return Format.XLSX
    return Format.JSON


# Every column of a report row, with its Chinese heading, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("group", "代码"),
    ("name", "名称"),
    ("received", "受理数"),
    ("closed", "办结数"),
    ("closed_on_time", "按时办结数"),
    ("overdue_open", "逾期未办结数"),
    ("on_time_rate", "按时办结率"),
    ("closure_rate", "办结率"),
    ("satisfaction_rate", "满意率"),
    ("reopen_rate", "重办率"),
    ("handling_hours_p50", "办理时长中位数（工作小时）"),
    ("handling_hours_p90", "办理时长90分位（工作小时）"),
    ("visit_count", "走访次数"),
    ("visit_minutes", "走访时长（分钟）"),
    ("ratings_valid", "有效评价数"),
    ("ratings_satisfied", "满意及基本满意数"),
    ("reopened", "重办数"),
    ("valid_callbacks", "有效回访数"),
    ("callbacks_contacted", "已联系数"),
    ("callbacks_solved", "已解决数"),
    ("callbacks_partly_solved", "部分解决数"),
    ("response_rate", "响应率"),
    ("resolution_rate", "解决率"),
    ("composite_score", "综合得分"),
    ("signed_for", "签收数"),
    ("signed_on_time", "按时签收数"),
    ("signed_on_time_rate", "签收及时率"),
    ("assigned", "派单数"),
    ("sent_back", "退回数"),
    ("send_back_rate", "回退率"),
    ("urged", "催办数"),
    ("supervised", "督办数"),
    ("publicly_noted", "通报数"),
)
RATES = {
    "on_time_rate",
    "closure_rate",
    "satisfaction_rate",
    "reopen_rate",
    "response_rate",
    "resolution_rate",
    "signed_on_time_rate",
    "send_back_rate",
}

GROUPING_NAMES = {
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "category": "类别",
    "worker": "社工",
}

TOTAL_LABEL = "合计"


def file_name(report: dict[str, Any], extension: str) -> tuple[str, str]:
    """An ASCII name and a Chinese one for Content-Disposition."""
    period = f"{report['from']}_{report['to']}"
    return (
        f"compliance_{period}_{report['group_by']}.{extension}",
        f"合规报表_{period}_{GROUPING_NAMES[report['group_by']]}.{extension}",
    )


def content_disposition(report: dict[str, Any], extension: str) -> str:
    return attachment(*file_name(report, extension))


def _lines(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [*report["rows"], {**report["totals"], "group": TOTAL_LABEL, "name": ""}]


def csv_bytes(headings: Sequence[str], lines: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Chinese); None as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    for line in lines:
        writer.writerow(["" if value is None else value for value in line])
    return out.getvalue().encode("utf-8-sig")


def attachment(ascii_name: str, chinese_name: str) -> str:
    """Content-Disposition with an ASCII name and a Chinese one."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"


def to_csv(report: dict[str, Any]) -> bytes:
    """One line per row, then the totals; rates as fractions, empty where there is none."""
    return csv_bytes(
        [heading for _, heading in COLUMNS],
        ([line[key] for key, _ in COLUMNS] for line in _lines(report)),
    )


def to_xlsx(reports: Sequence[dict[str, Any]]) -> bytes:
    """One sheet per report (grouping), in the order given; rates as fractions shown as
    percentages."""
    book = Workbook()
    book.remove(book.active)
    for report in reports:
        sheet = add_sheet(
            book,
            GROUPING_NAMES[report["group_by"]],
            [heading for _, heading in COLUMNS],
            ([line[key] for key, _ in COLUMNS] for line in _lines(report)),
        )
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        number_formats(sheet, [key for key, _ in COLUMNS], NUMBER_FORMATS)
        sheet.freeze_panes = "C2"
    first = reports[0]
    return workbook_bytes(book, f"合规报表 {first['from']} 至 {first['to']}")


def add_sheet(
    book: Workbook, title: str, headings: Sequence[str], lines: Iterable[Sequence[Any]]
) -> Any:
    """A sheet with bold headings, columns wide enough for them, and these lines."""
    sheet = book.create_sheet(title)
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(list(line))
    for index, heading in enumerate(headings, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(heading) * 2 + 2)
    return sheet


# Rates (fractions) shown as percentages, scores with two decimals.
NUMBER_FORMATS = {**dict.fromkeys(RATES, "0.00%"), "composite_score": "0.00"}


def number_formats(sheet: Any, keys: Sequence[str], formats: dict[str, str]) -> None:
    """Give the cells below the headings of each column its key's number format."""
    for index, key in enumerate(keys, start=1):
        if key in formats:
            letter = get_column_letter(index)
            for (cell,) in sheet[f"{letter}2:{letter}{max(sheet.max_row, 2)}"]:
                cell.number_format = formats[key]


def workbook_bytes(book: Workbook, title: str) -> bytes:
    book.properties.title = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LEAGUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "名次"),
    ("group", "代码"),
    ("name", "名称"),
    ("composite_score", "综合得分"),
    ("response_rate", "响应率"),
    ("resolution_rate", "解决率"),
    ("satisfaction_rate", "满意率"),
    ("valid_callbacks", "有效回访数"),
    ("callbacks_contacted", "已联系数"),
    ("callbacks_solved", "已解决数"),
    ("callbacks_partly_solved", "部分解决数"),
    ("ratings_satisfied", "满意及基本满意数"),
    ("closed", "办结数"),
    ("on_time_rate", "按时办结率"),
    ("reopened", "重办数"),
)
LEAGUE_GROUPINGS = {"grid": "网格", "worker": "社工"}


def league_disposition(table: dict[str, Any]) -> str:
    return attachment(
        f"league_{table['month']}_{table['group_by']}.xlsx",
        f"红黑榜_{table['month']}_{LEAGUE_GROUPINGS[table['group_by']]}.xlsx",
    )


def league_xlsx(table: dict[str, Any]) -> bytes:
    """Sheets 红榜, 黑榜 and 排名 (every ranked group); rates as percentages."""
    book = Workbook()
    book.remove(book.active)
    for title, key in (("红榜", "red"), ("黑榜", "black"), ("排名", "rows")):
        sheet = add_sheet(
            book,
            title,
            [heading for _, heading in LEAGUE_COLUMNS],
            ([line[k] for k, _ in LEAGUE_COLUMNS] for line in table[key]),
        )
        number_formats(sheet, [key for key, _ in LEAGUE_COLUMNS], NUMBER_FORMATS)
        sheet.freeze_panes = "D2"
    grouping = LEAGUE_GROUPINGS[table["group_by"]]
    return workbook_bytes(book, f"红黑榜 {table['month']} {grouping}")


ASSESSMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("worker", "社工代码"),
    ("name", "姓名"),
    ("visit_count", "走访次数"),
    ("visit_minutes", "走访时长（分钟）"),
    ("working_minutes", "工作时长（分钟）"),
    ("grid_time_share", "在格时间占比"),
    ("meets_floor", "达到下限"),
    ("grid_time_score", "在格得分"),
    ("valid_callbacks", "有效回访数"),
    ("response_rate", "响应率"),
    ("resolution_rate", "解决率"),
    ("satisfaction_rate", "满意率"),
    ("residents_score", "群众评价得分"),
    ("community_score", "社区评分"),
    ("street_score", "街道评分"),
    ("total", "总分"),
)
ASSESSMENT_FORMATS = {
    **NUMBER_FORMATS,
    "grid_time_share": "0.00%",
    **dict.fromkeys(("grid_time_score", "residents_score", "total"), "0.00"),
}


def assessment_disposition(table: dict[str, Any]) -> str:
    return attachment(f"assessment_{table['month']}.xlsx", f"3456考核_{table['month']}.xlsx")


def assessment_xlsx(table: dict[str, Any]) -> bytes:
    """One sheet 3456考核, a worker per line; shares as percentages, 达到下限 as 是/否."""
    book = Workbook()
    book.remove(book.active)

    def cell(key: str, value: Any) -> Any:
        if key == "meets_floor" and value is not None:
            return "是" if value else "否"
        return value

    sheet = add_sheet(
        book,
        "3456考核",
        [heading for _, heading in ASSESSMENT_COLUMNS],
        ([cell(k, row[k]) for k, _ in ASSESSMENT_COLUMNS] for row in table["rows"]),
    )
    number_formats(sheet, [key for key, _ in ASSESSMENT_COLUMNS], ASSESSMENT_FORMATS)
    sheet.freeze_panes = "C2"
    return workbook_bytes(book, f"3456考核 {table['month']}")
