"""Failure classes every handler and adapter speaks: they decide retry vs. fail."""

import functools
from typing import Any


class AdmintError(Exception):
    """Base of our own errors."""


class TransientError(AdmintError):
    """May succeed later (timeouts, 429, 5xx, a server restarting): the message is nak'ed with backoff."""


class PermanentError(AdmintError):
    """Will fail again (4xx, invalid output, unplannable brief): the generation fails with this reason."""

    def __init__(self, reason: str, *, detail: str | None = None, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.retryable = retryable

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (a failure in a render process reaches the service with its detail)."""
        return (functools.partial(type(self), detail=self.detail, retryable=self.retryable), (self.reason,))


class TransientProviderError(TransientError):
    """An AI provider answered with something worth retrying."""


class PermanentProviderError(PermanentError):
    """An AI provider refused the request for good."""
