"""Who may call what: the API token, the pages' session cookie, CSRF and body-size limits.

One ASGI middleware in front of everything so no route can forget a check:

- With ``PROMOCAST_API_TOKEN`` set, everything but ``/health``, the login page and static files
  needs ``Authorization: Bearer <token>`` or the session cookie the login page sets (an HMAC of
  the token, HttpOnly, SameSite=Strict). API calls get 401, pages a redirect to the login.
- Changing requests (POST, PUT, PATCH, DELETE) from a browser must prove they come from our own
  pages: a cross-site ``Origin`` or ``Sec-Fetch-Site`` is refused, and a request carrying
  cookies needs the ``X-CSRF-Token`` header equal to the ``promocast_csrf`` cookie (double
  submit). Scripts and API clients (no cookies, no Origin) and bearer-token calls pass.
- Bodies are capped while they stream: uploads at ``max_upload_mb``, anything else at 2 MB.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import quote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "promocast_session"
CSRF_COOKIE = "promocast_csrf"
CSRF_HEADER = "x-csrf-token"
OPEN_PATHS = ("/health", "/login", "/static/")
UPLOAD_PATHS = ("/api/ingest",)
JSON_LIMIT = 2 * 1024 * 1024
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def session_value(token: str) -> str:
    """The session cookie for ``token``: proves the token was typed without storing it."""
    return hmac.new(token.encode(), b"promocast-session", hashlib.sha256).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
        return {}
    return {k: m.value for k, m in jar.items()}


async def _send_json(send: Send, status: int, body: dict,
                     extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": payload})


class BodyTooLarge(Exception):
    """The request body passed its limit while streaming."""


class SecurityMiddleware:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_upload_mb: int) -> None:
        self.app = app
        self.token = token.strip() if token and token.strip() else None
        self.max_upload = max_upload_mb * 1024 * 1024

    def _authorised(self, headers: dict[str, str], cookies: dict[str, str]) -> bool:
        if self.token is None:
            return True
        return self._bearer_ok(headers) or hmac.compare_digest(
            cookies.get(SESSION_COOKIE, ""), session_value(self.token))

    def _bearer_ok(self, headers: dict[str, str]) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return bool(self.token) and scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        headers = _headers(scope)
        cookies = _cookies(headers)
        if method in UNSAFE and not self._bearer_ok(headers):
            refusal = self._csrf_refusal(headers, cookies)
            if refusal:
                await _send_json(send, 403, {"error": refusal})
                return
        if not path.startswith(OPEN_PATHS) and not self._authorised(headers, cookies):
            if path.startswith("/api/") or path in ("/openapi.json", "/docs", "/redoc"):
                await _send_json(send, 401, {"error": "missing or wrong API token: send "
                                             "Authorization: Bearer <PROMOCAST_API_TOKEN>"},
                                 [(b"www-authenticate", b"Bearer")])
            else:
                target = quote(path, safe="/")
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", f"/login?next={target}".encode())]})
                await send({"type": "http.response.body", "body": b""})
            return
        limit = self.max_upload if path.startswith(UPLOAD_PATHS) else JSON_LIMIT
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _send_json(send, 413, {"error": _too_large(limit)})
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html")
                           for k, v in message["headers"])
                if html and CSRF_COOKIE not in cookies:  # pages only: API clients stay cookie-free
                    message["headers"].append((b"set-cookie", (
                        f"{CSRF_COOKIE}={new_csrf_token()}; Path=/; SameSite=Strict").encode()))
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, {"error": _too_large(limit)})

    @staticmethod
    def _csrf_refusal(headers: dict[str, str], cookies: dict[str, str]) -> str | None:
        origin = headers.get("origin")
        if origin and urlsplit(origin).netloc != headers.get("host", ""):
            return "cross-site request refused"
        if headers.get("sec-fetch-site") == "cross-site":
            return "cross-site request refused"
        if cookies:
            expected = cookies.get(CSRF_COOKIE, "")
            given = headers.get(CSRF_HEADER, "")
            if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
                return ("missing or wrong CSRF token: reload the page and try again "
                        "(API clients: send no cookies, or a bearer token)")
        return None


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"frame-ancestors 'none'; connect-src 'self'"),
]


def _too_large(limit: int) -> str:
    return (f"request body over the limit of {limit // (1024 * 1024)} MB "
            "(PROMOCAST_MAX_UPLOAD_MB sets the upload limit)")
