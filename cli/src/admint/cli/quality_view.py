"""Quality scores in `admint status`: the ad's overall score, its master's dimensions, chunk scores and re-renders."""

from typing import Any

from admint.cli.groups import DIMENSION_COLUMNS


def dimension_line(dimensions: dict[str, Any]) -> str:
    return " · ".join(f"{DIMENSION_COLUMNS.get(k, k)} {v:.0f}" for k, v in dimensions.items() if v is not None)


def quality_rows(view: dict[str, Any]) -> list[tuple[str, str]]:
    quality = view.get("quality") or {}
    rows: list[tuple[str, str]] = []
    master = quality.get("master")
    if master:
        overall = master.get("overall")
        rows.append(("quality", (f"{overall:.1f}" if overall is not None else "not scored: " + str(master.get("error")))
                     + (f" · {master['integrated_lufs']:.1f} LUFS" if master.get("integrated_lufs") is not None
                        else "")))
        rows.append(("dimensions", dimension_line(master.get("dimensions") or {})))
    chunks = [c for c in quality.get("chunks", []) if c.get("kept")]
    scored = [c["overall"] for c in chunks if c.get("overall") is not None]
    if scored:
        retakes = sum(1 for c in quality.get("chunks", []) if c.get("take"))
        rows.append(("chunk scores", f"{min(scored):.0f}–{max(scored):.0f} over {len(scored)} chunks"
                                     + (f" · {retakes} re-rendered below {quality.get('threshold'):g}"
                                        if retakes and quality.get("threshold") is not None else "")))
    for rendition in quality.get("renditions", []):
        if rendition.get("overall") is not None:
            rows.append((f"  {rendition['aspect']}", f"{rendition['overall']:.1f}"))
    if quality.get("pending") and view.get("status") == "completed":
        rows.append(("scoring", f"{len(quality['pending'])} video(s) still to score"))
    return rows
