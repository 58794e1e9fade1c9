"""admint event contracts: the only language the services share.

Pydantic models only, no I/O. Every event is versioned by its `type` literal; see DESIGN.md §3.
"""

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event
from admint.contracts.subjects import subject_filter, subject_for

__all__ = ["ArtifactRef", "Event", "subject_filter", "subject_for"]
