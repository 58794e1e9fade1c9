"""The planner's feedback port: a message about a plan → what it asks for (never applied by the interpreter).

Its own module, free of the plan rules and their caption layout, so the handlers can name the port without
importing an implementation (offline rules: feedback.py; a model: openai_planner.py; both: fallback.py).
"""

from typing import Protocol

from admint.contracts.common import FrameSize
from admint.contracts.feedback import FeedbackIntent
from admint.contracts.plan import Plan


class FeedbackInterpreter(Protocol):
    name: str

    async def interpret_feedback(
        self, plan: Plan, message: str, beat: int | None = None, *, size: FrameSize | None = None
    ) -> FeedbackIntent: ...
