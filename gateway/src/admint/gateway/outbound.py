"""URLs clients give us to call (webhooks): checked with the SSRF rules when they are registered."""

from admint.core.netguard import UnsafeUrl, parse_target, vetted
from admint.gateway.problems import ProblemError
from admint.gateway.state import Gateway


def url_problem(detail: str, field: str = "url") -> ProblemError:
    return ProblemError(422, detail, title="Request validation failed", kind="validation",
                        errors=[{"loc": ["body", field], "pointer": f"/{field}", "msg": detail,
                                 "type": "unsafe_url"}])


async def check_webhook_url(gw: Gateway, url: str, field: str = "url") -> str:
    """http(s), no credentials, and (unless allowed for development) public addresses only. The notifier checks
    again at every attempt, against the addresses the name resolves to then."""
    try:
        if gw.settings.webhook_allow_private:
            parse_target(url)
        else:
            await vetted(url, allow_private=False)
    except UnsafeUrl as exc:
        raise url_problem(f"{field}: {exc}", field) from None
    return url
