"""The languages problems are told in: English in the code, Chinese from a gettext catalogue.

Messages are written in plain English where they arise, wrapped in ``_()`` (a message with
parameters, rendered later in the caller's language) or ``N_()`` (a constant marked for the
catalogue). The zh_CN catalogue, ``locale/zh_CN/LC_MESSAGES/messages.po``, ships as package
data and is compiled in memory by Babel at first use: an editable and a normal install read
the same file, and no compiled .mo can fall behind its .po.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from gettext import NullTranslations
from importlib.resources import files
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES = (ENGLISH, CHINESE)
# The Content-Language (BCP 47) of each.
TAGS = {ENGLISH: "en", CHINESE: "zh-CN"}
DOMAIN = "messages"


def N_(msgid: str) -> str:
    """Marks a constant for the catalogue; translate it later with ``Msg(constant)``."""
    return msgid


@dataclass(frozen=True, eq=False)
class Msg:
    """A message to be told in the caller's language: an English msgid and its parameters.

    Parameters are filled in with ``str.format``; a parameter that is itself a ``Msg`` is
    rendered in the same language."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        text = translations(language).gettext(self.msgid)
        if not self.params:
            return text
        return text.format(
            **{
                name: value.render(language) if isinstance(value, Msg) else value
                for name, value in self.params.items()
            }
        )

    def __str__(self) -> str:
        return self.render(ENGLISH)


def _(msgid: str, **params: Any) -> Msg:
    return Msg(msgid, params)


def tell(message: Any, language: str) -> str:
    """A message in ``language``: a ``Msg`` is translated, anything else is shown as it is."""
    return message.render(language) if isinstance(message, Msg) else str(message)


@cache
def translations(language: str) -> NullTranslations:
    if language == ENGLISH:
        return NullTranslations()  # the msgids are the English text
    po = files(__name__) / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(accept_language: str | None, default: str = ENGLISH) -> str:
    """The language to answer in, from an Accept-Language header (RFC 9110 §12.5.4).

    Any Chinese (zh, zh-CN, zh-Hans, zh-TW…) reads the Simplified Chinese catalogue, any
    English the English text; other languages are passed over for the next preference."""
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _sep, parameters = part.partition(";")
        weight = 1.0
        name, _sep, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        if tag.strip() and weight > 0:
            ranked.append((-weight, order, tag.strip().lower()))
    for _weight, _order, tag in sorted(ranked):
        primary = tag.split("-", 1)[0]
        if primary == "zh":
            return CHINESE
        if primary == "en":
            return ENGLISH
        if primary == "*":
            return default
    return default


def language_param(lang: str | None) -> str | None:
    """``?lang=zh-CN`` (or zh, en…) as a language of ours; None when it names none."""
    if not lang:
        return None
    chosen = negotiate(lang, default="")
    return chosen or None
