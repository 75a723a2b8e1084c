"""A filtered case list as a file: CSV or XLSX, Chinese headings, times in the service's zone."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from api.report_files import add_sheet, attachment, csv_bytes, workbook_bytes

# Every column of the export, with its Chinese heading, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "案件编号"),
    ("kind", "类型"),
    ("category", "类别"),
    ("channel", "渠道"),
    ("title", "标题"),
    ("grid_id", "网格"),
    ("level", "办理层级"),
    ("status", "状态"),
    ("assignee", "承办人"),
    ("first_contact", "首问责任人"),
    ("received_at", "受理时间"),
    ("due_at", "办理期限"),
    ("due_at_provisional", "期限待定"),
    ("overdue", "是否逾期"),
    ("closed_at", "办结时间"),
    ("closed_on_time", "按时办结"),
    ("resolution", "办结方式"),
    ("rating", "评价"),
    ("reopen_count", "重办次数"),
    ("visit_count", "走访次数"),
    ("light", "红黄灯"),
    ("signed_for_at", "签收时间"),
    ("first_contacted_at", "首次联系时间"),
    ("supervised_by_level", "督办层级"),
    ("publicly_noted", "已通报"),
)


def _cell(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def _lines(rows: Sequence[dict[str, Any]], zone: ZoneInfo) -> list[list[Any]]:
    return [[_cell(row[key], zone) for key, _ in COLUMNS] for row in rows]


def headings() -> list[str]:
    return [heading for _, heading in COLUMNS]


def to_csv(rows: Sequence[dict[str, Any]], zone: ZoneInfo) -> bytes:
    return csv_bytes(headings(), _lines(rows, zone))


def to_xlsx(rows: Sequence[dict[str, Any]], zone: ZoneInfo) -> bytes:
    book = Workbook()
    book.remove(book.active)
    sheet = add_sheet(book, "案件列表", headings(), _lines(rows, zone))
    sheet.freeze_panes = "B2"
    return workbook_bytes(book, "案件列表")


def content_disposition(today: str, extension: str) -> str:
    return attachment(f"cases_{today}.{extension}", f"案件列表_{today}.{extension}")
