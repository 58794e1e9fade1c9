"""Planner failures that must end the generation rather than trigger the offline fallback."""

from admint.core.errors import PermanentProviderError


class BriefRejected(PermanentProviderError):
    """The brief cannot be planned (no content) or the model refused it: no planner should try again."""
