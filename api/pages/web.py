"""What every page shares: templates, the signed-in user, CSRF, security headers, errors."""

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.datastructures import FormData
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from api.access import Access, Action
from api.dependencies import ServicesDep
from api.pages import actions, messages
from api.requests import CaseCommand
from api.routes.notifications import reader_of
from infra.sessions import Session
from projections.notifications import inbox

HERE = Path(__file__).parent
SESSION_COOKIE = "cw_session"
SIGN_IN_COOKIE = "cw_signin"  # the sign-in form's double-submit CSRF value, before a session

# No inline script or style anywhere, nothing from another origin, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
env.globals["m"] = messages


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    services = request.app.state.services
    zone = services.settings.zone
    page = env.get_template(template).render(
        request=request,
        moment=lambda value: messages.moment(value, zone),
        bell_unread=bell_unread(services, context.get("signed")),
        **context,
    )
    return HTMLResponse(page, status_code=status_code)


def bell_unread(services: Any, signed: "Signed | None") -> int | None:
    """The bell's figure, drawn with the page (its script keeps it live)."""
    if signed is None or not signed.may(Action.NOTIFICATIONS):
        return None
    with services.pool.connection() as conn:
        return inbox.unread_count(conn, reader_of(services, signed.access))


class PageError(Exception):
    """Ends a page with an error page (404, 403) in Chinese."""

    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class SignInNeeded(Exception):
    pass


def not_found() -> PageError:
    # The same answer for a case that does not exist and one out of reach (as the API).
    return PageError(404, "找不到此事项", "此事项不存在，或不在您的辖区内。")


def forbidden() -> PageError:
    return PageError(403, "无权访问", messages.rule_message("forbidden"))


class Signed:
    """The signed-in user of a page: their session, access and the role's pages."""

    def __init__(self, session: Session, access: Access):
        self.session = session
        self.access = access
        self.user = session.user

    def may(self, action: Action | type[CaseCommand] | str) -> bool:
        return actions.may(self.user, action)

    def require(self, action: Action | type[CaseCommand] | str) -> None:
        if not self.may(action):
            raise forbidden()


def signed_in(request: Request, services: ServicesDep) -> Signed:
    session_id = request.cookies.get(SESSION_COOKIE)
    session = actions.session_of(services, session_id) if session_id else None
    if session is None:
        raise SignInNeeded
    return Signed(session, actions.access_of(services, session.user))


SignedDep = Annotated[Signed, Depends(signed_in)]


def same_origin(request: Request) -> bool:
    """A form posted from another site is refused whatever it carries."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # an older browser: the CSRF token alone decides
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


async def form_of(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(form_of)]


def csrf_ok(request: Request, form: FormData, expected: str | None) -> bool:
    """The form's csrf field is the value expected (its cookie's, or the session's), and
    it was posted from one of our own pages."""
    sent = form.get("csrf")
    return bool(
        expected
        and isinstance(sent, str)
        and hmac.compare_digest(sent, expected)
        and same_origin(request)
    )


def check_csrf(request: Request, form: FormData, expected: str | None) -> None:
    if not csrf_ok(request, form, expected):
        raise PageError(403, "请求被拒绝", messages.rule_message("csrf"))


def new_sign_in_value() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(
    request: Request, response: Response, name: str, value: str, path: str = "/app"
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=path,
    )


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        path = request.url.path
        # /r/: a resident's rating page, whose address (its link's token) same-origin keeps
        # from other sites (no-referrer would make browsers send "Origin: null" on its form).
        if path == "/app" or path.startswith(("/app/", "/r/")):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
            if response.headers.get("content-type", "").startswith("text/html"):
                response.headers["Cache-Control"] = "no-store"  # pages hold personal data
        return response


def install(app: FastAPI) -> None:
    """The pages' static files, error pages and headers (routes: api.pages.routes)."""
    app.mount("/app/static", StaticFiles(directory=HERE / "static"), name="app-static")
    app.add_middleware(SecurityHeaders)

    async def page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        return render(
            request,
            "error.html",
            status_code=error.status,
            title=error.title,
            detail=error.detail,
            signed=None,
        )

    async def sign_in_needed(request: Request, _error: Exception) -> Response:
        return RedirectResponse("/app/login", status_code=303)

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(SignInNeeded, sign_in_needed)
