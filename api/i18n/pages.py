"""The explanation pages of problems, /problems and /problems/{code}: plain HTML, in
Chinese or English, readable without a token (a problem's ``type`` links here)."""

from html import escape

from api.i18n import TAGS, Msg, _, tell
from api.i18n.problem_types import ProblemType

_STYLE = (
    "body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.6}"
    "code{background:#f3f3f3;padding:0 .2em}dt{font-weight:bold;margin-top:1em}"
)


def _page(language: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{TAGS[language]}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def problem_page(problem: ProblemType, language: str, base: str) -> str:
    def say(message: Msg | str) -> str:
        return escape(tell(message, language))

    title = say(Msg(problem.title))
    means, fix = say(_("What it means")), say(_("How to fix it"))
    listed = say(_("All problems the service may answer"))
    body = (
        f"<h1>{title}</h1>"
        f"<p><code>{escape(problem.code)}</code> · HTTP {problem.status}</p>"
        f"<dl><dt>{means}</dt><dd>{say(Msg(problem.meaning))}</dd>"
        f"<dt>{fix}</dt><dd>{say(Msg(problem.fix))}</dd></dl>"
        f'<p><a href="{escape(base)}">{listed}</a></p>'
    )
    return _page(language, title, body)


def index_page(problems: list[ProblemType], language: str, base: str) -> str:
    heading = escape(tell(_("All problems the service may answer"), language))
    items = "".join(
        f'<li><a href="{escape(base)}/{escape(p.code)}"><code>{escape(p.code)}</code></a> '
        f"(HTTP {p.status}): {escape(tell(Msg(p.title), language))}</li>"
        for p in problems
    )
    return _page(language, heading, f"<h1>{heading}</h1><ul>{items}</ul>")
