"""Security headers on every response, and a Content-Security-Policy for the web page.

The page loads only its own scripts and styles (no inline script or style: an injected `<script>` cannot run),
talks only to this gateway, shows frames and plays videos from the object store's presigned links, and may not
be framed by another site. API responses get the defensive basics: no MIME sniffing, no referrer, no framing.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def page_policy(media_origins: list[str]) -> str:
    """The web page's CSP; `media_origins` are where presigned frames and videos come from (the object store)."""
    media = " ".join(["'self'", "data:", "blob:", *media_origins])
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {media}", f"media-src {media}",
        "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class SecurityHeadersMiddleware:
    """Adds BASE_HEADERS to every response and the page CSP to the static web page (`/ui`)."""

    def __init__(self, app: ASGIApp, media_origins: list[str], page_prefix: str = "/ui") -> None:
        self.app = app
        self.page_prefix = page_prefix
        self.page_csp = page_policy(media_origins).encode()
        self.api_csp = b"default-src 'none'; frame-ancestors 'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = self.page_csp if str(scope.get("path", "")).startswith(self.page_prefix) else None

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(BASE_HEADERS)]
                headers += list(BASE_HEADERS)
                if csp is not None:
                    headers.append((b"content-security-policy", csp))
                elif not any(h[0].lower() == b"content-security-policy" for h in headers):
                    content_type = dict(headers).get(b"content-type", b"")
                    if not content_type.startswith(b"text/html"):  # /docs pages bring their own needs
                        headers.append((b"content-security-policy", self.api_csp))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
