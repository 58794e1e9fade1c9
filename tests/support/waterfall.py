"""Render one trace as a waterfall PNG (a test artifact to look at): one bar per span, indented by depth,
coloured by service, in start order."""

from collections.abc import Callable
from pathlib import Path

from tests.support.otlp import ReceivedSpan


def depths(spans: list[ReceivedSpan]) -> dict[str, int]:
    by_id = {s.span_id: s for s in spans}
    found: dict[str, int] = {}

    def depth(span: ReceivedSpan) -> int:
        if span.span_id not in found:
            parent = by_id.get(span.parent_id or "")
            found[span.span_id] = 0 if parent is None else depth(parent) + 1
        return found[span.span_id]

    for s in spans:
        depth(s)
    return found


def is_db(span: ReceivedSpan) -> bool:
    return "db.system" in span.attributes or "db.system.name" in span.attributes


def render(spans: list[ReceivedSpan], out: Path, title: str, hide: Callable[[ReceivedSpan], bool] = is_db) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    level = depths(spans)
    shown = sorted((s for s in spans if not hide(s)), key=lambda s: s.start_ns)
    t0 = min(s.start_ns for s in spans)
    services = sorted({s.service for s in shown})
    palette = plt.get_cmap("tab10")
    colour = {svc: palette(i % 10) for i, svc in enumerate(services)}
    height = max(4.0, 0.16 * len(shown) + 1.5)
    fig, ax = plt.subplots(figsize=(16, height))
    for row, s in enumerate(shown):
        start = (s.start_ns - t0) / 1e9
        ax.barh(row, max(s.seconds, 0.002), left=start, color=colour[s.service], height=0.8)
        ax.text(start, row, "  " * min(level[s.span_id], 40) + s.name[:70], va="center", fontsize=5.5)
    ax.set_ylim(len(shown), -1)
    ax.set_yticks([])
    ax.set_xlabel("seconds since the gateway received the POST")
    hidden = len(spans) - len(shown)
    ax.set_title(f"{title}: {len(spans)} spans from {len({s.service for s in spans})} services"
                 + (f" ({hidden} MongoDB spans not drawn)" if hidden else ""))
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colour[s]) for s in services], labels=services,
              loc="lower right", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
