"""Answers in the spec's JSON or XML, and its errors: ``[{code, description}]``."""

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import Request
from fastapi.responses import JSONResponse, Response

PREFIX = "/open311/v2"

# The spec's element names: a list's element, and each item's.
ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "updates": ("service_request_updates", "request_update"),
    "errors": ("errors", "error"),
}
ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def wants_xml(request: Request) -> bool:
    path = request.url.path
    return path.endswith(".xml") or request.query_params.get("format") == "xml"


def _fill(parent: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if inner is not None:
                _fill(SubElement(parent, key), inner)
    elif isinstance(value, list):
        for inner in value:
            _fill(SubElement(parent, ITEMS.get(parent.tag, "item")), inner)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    else:
        parent.text = str(value)


def to_xml(kind: str, body: Any) -> bytes:
    """``kind``: one of ROOTS for a list, else the root element of one object."""
    if kind in ROOTS:
        root_tag, item_tag = ROOTS[kind]
        root = Element(root_tag)
        for item in body:
            _fill(SubElement(root, item_tag), item)
    else:
        root = Element(kind)
        _fill(root, body)
    written: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return written


def answer(request: Request, kind: str, body: Any, status: int = 200) -> Response:
    if wants_xml(request):
        return Response(to_xml(kind, body), status, media_type="text/xml; charset=utf-8")
    return JSONResponse(body, status)


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def error_answer(request: Request, status: int, description: str) -> Response:
    return answer(request, "errors", [{"code": status, "description": description}], status)


def spec_status(status: int) -> int:
    """The spec knows 400, 403 and 404 (a failure of the service stays a 5xx)."""
    if status in (401, 403):
        return 403
    if status == 404 or status >= 500:
        return status
    return 400
