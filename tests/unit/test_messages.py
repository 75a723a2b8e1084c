"""The Chinese catalogue keeps up with the code, and every problem code has its page."""

import ast
import importlib.util
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from api.i18n import CHINESE, ENGLISH, Msg, negotiate, translations
from api.i18n.problem_types import API_TYPES, domain_types, problem_types
from domain.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "api" / "i18n" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
CHINESE_TEXT = re.compile(r"[\u4e00-\u9fff]")


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "update_catalogue", ROOT / "scripts" / "update_catalogue.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_of_the_code_has_a_chinese_translation() -> None:
    with PO.open("rb") as source:
        catalog = read_po(source, locale=CHINESE)
    wanted = [m.id for m in _script().template() if m.id]
    assert wanted
    missing = [msgid for msgid in wanted if msgid not in catalog or not catalog[msgid].string]
    assert not missing, "run python scripts/update_catalogue.py and translate: " + repr(missing)
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, fuzzy
    for msgid in wanted:
        chinese = catalog[msgid].string
        assert _fields(chinese) == _fields(msgid), (msgid, chinese)
        words = re.sub(r"\{[^}]*\}", "", msgid)  # a message of placeholders only
        assert CHINESE_TEXT.search(chinese) or not re.search("[a-z]{3}", words), (msgid, chinese)


def test_the_catalogue_compiles_and_english_is_the_msgid() -> None:
    message = Msg(
        "the period has {days} days; at most {most} are allowed", {"days": 400, "most": 366}
    )
    assert message.render(ENGLISH) == "the period has 400 days; at most 366 are allowed"
    assert message.render(CHINESE) == "统计期间有 400 天，最多允许 366 天"
    assert translations(CHINESE).gettext("The case is closed") == "案件已办结"


def test_every_domain_error_has_an_explanation() -> None:
    def every(base: type[DomainError]) -> list[type[DomainError]]:
        return [c for sub in base.__subclasses__() for c in (sub, *every(sub))]

    codes = {error.code for error in every(DomainError)} - {DomainError.code}
    assert codes <= set(domain_types())
    for problem in problem_types().values():
        assert problem.title and problem.meaning and problem.fix, problem.code
        assert problem.meaning != problem.title, problem.code


def _api_codes() -> set[str]:
    """Every literal code the API raises: ApiProblem(status, code, …) and bad_field(loc, msg,
    code)."""
    codes = set()
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                at = {"ApiProblem": 1, "bad_field": 2, "problem_response": 2}.get(node.func.id)
                if at is not None and len(node.args) > at:
                    argument = node.args[at]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        codes.add(argument.value)
    return codes


def test_every_code_the_api_raises_is_registered() -> None:
    codes = _api_codes()
    assert {"unauthenticated", "unknown_parameter", "stale_version", "unknown_grid"} <= codes
    assert codes <= set(API_TYPES), codes - set(API_TYPES)


@pytest.mark.parametrize(
    ("header", "language"),
    [("zh-CN", CHINESE), ("zh-Hans", CHINESE), ("en-US,zh;q=0.8", ENGLISH), (None, ENGLISH)],
)
def test_negotiation(header: str | None, language: str) -> None:
    assert negotiate(header) == language
