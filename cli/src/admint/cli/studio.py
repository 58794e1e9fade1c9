"""`admint generate --interactive`: follow the feed, and at each checkpoint show what there is and ask what to do.

At the moods checkpoint the three boards (their images saved as thumbnails); at the plan checkpoint the beats as a
table; at the storyboard checkpoint every beat's frame (its URL and a saved thumbnail). Then a prompt:

    a                 approve (at moods: pick a board first with `m N`)
    m N               pick mood board N and approve
    c N TEXT          caption of beat N
    d N S [M T …]     duration of beat N to S seconds (and M to T: the total must stay the same)
    f TEXT            feedback in your own words: shows what was understood, then asks whether to apply it
    r N               regenerate beat N's frame (storyboard checkpoint)
    s                 show the checkpoint again
    q                 stop watching (the generation keeps waiting; `admint watch` comes back to it)

Beats are numbered from 1, as shown. Work a command starts (a new take, applied feedback) is followed on the feed
until its beats are ready, then the prompt comes back. Pure of terminal details: `ask` reads a line and the console
prints, so tests drive it with scripted answers.
"""

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from admint.cli.progress import GenerationProgress
from admint.client import ApiClient, ApiError, FeedEvent

HELP = (__doc__ or "").split("\n\n")[2]
THUMBNAIL_SIDE = 256


class StopWatching(Exception):
    """The owner typed q: stop following (the generation keeps waiting)."""


@dataclass
class Studio:
    client: ApiClient
    generation_id: str
    ask: Callable[[str], str]
    console: Console
    frames_dir: Path
    state: GenerationProgress = field(default_factory=GenerationProgress)
    plan: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    waiting_for: set[int] = field(default_factory=set)
    """Beats whose new take the prompt waits for."""
    feedback_id: str | None = None
    """Feedback whose interpretation the prompt waits for."""
    saved: list[Path] = field(default_factory=list)

    # ---------------------------------------------------------------------------------------------- the loop

    def run(self) -> GenerationProgress:
        """Follow the generation to its end, stopping at each checkpoint for the owner."""
        for event in self.client.follow(self.generation_id):
            self.state.apply(event.type, event.data)
            self.on_event(event)
        return self.state

    def on_event(self, event: FeedEvent) -> None:
        data = event.data
        if event.type in ("checkpoint.reached.v1", "plan.changed.v1") and data.get("plan"):
            self.plan = data["plan"]
        if event.type == "checkpoint.reached.v1":
            self.checkpoint = data["checkpoint"]
            self.show_checkpoint(data)
            self.prompt()
        elif event.type == "feedback.interpreted.v1" and data.get("feedback_id") == self.feedback_id:
            self.feedback_id = None
            self.interpreted(data)
        elif event.type == "beat.updated.v1" and data.get("beat_index") in self.waiting_for:
            if data.get("state") in ("frame_ready", "failed"):
                self.beat_ready(data)
        elif event.type == "checkpoint.approved.v1":
            self.console.print(f"[green]✓ {data['checkpoint']} approved[/]")
        elif event.type == "generation.expired.v1":
            self.console.print(f"[red]expired:[/] {escape(str(data.get('reason', '')))}")

    # ------------------------------------------------------------------------------------------------- showing

    def show_checkpoint(self, data: dict[str, Any]) -> None:
        name = data["checkpoint"]
        self.console.rule(f"[bold]{name} checkpoint[/] · waits until {str(data.get('deadline', ''))[:16]}")
        if name == "moods":
            self.show_moods(data.get("moods") or [])
        elif name == "plan":
            self.console.print(plan_table(self.plan))
        else:
            self.show_frames(data.get("frames") or [])

    def show_moods(self, boards: list[dict[str, Any]]) -> None:
        """Each board: its look in words, then its four images (saved thumbnails) — one line each, never wrapped,
        so a path can be copied."""
        for board in boards:
            style, music = board["style"], board["music"]
            self.console.print(f"[bold]board {board['index']}[/] {escape(board['name'])} · "
                               f"{' '.join(style['palette'])} · {style.get('mood', '')} · music {music['mood']} "
                               f"{music['tempo_bpm']} bpm")
            for k, image in enumerate(board["images"]):
                path = self.save(image["url"], f"mood-{board['index']}-{k + 1}")
                self.console.print(f"  image {k + 1}: {path}", soft_wrap=True, highlight=False)

    def show_frames(self, frames: list[dict[str, Any]]) -> None:
        """Each frame: beat, take and caption, its link, and the saved thumbnail."""
        beats = self.plan.get("beats") or []
        for frame in frames:
            index = frame["beat_index"]
            path = self.save(frame["url"], f"beat-{index + 1}-take-{frame.get('take', 0)}")
            caption = beats[index].get("caption", "") if index < len(beats) else ""
            self.console.print(f"[bold]beat {index + 1}[/] take {frame.get('take', 0)} · “{escape(caption)}”")
            self.console.print(f"  url: {frame['url']}", soft_wrap=True, highlight=False)
            self.console.print(f"  thumbnail: {path}", soft_wrap=True, highlight=False)

    def save(self, url: str, name: str) -> Path:
        """Download an image and save a small JPEG thumbnail of it; the path (or the full image without Pillow)."""
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        data = self.client.fetch(url)
        path = self.frames_dir / f"{name}.jpg"
        try:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                image.convert("RGB").save(path, "JPEG", quality=85)
        except (ImportError, OSError):
            path = path.with_suffix(".png")
            path.write_bytes(data)
        self.saved.append(path)
        return path

    # ------------------------------------------------------------------------------------------------ the prompt

    def prompt(self) -> None:
        """Ask until a command sets work going (the feed goes on) or approves."""
        while self.checkpoint is not None and not self.waiting_for and self.feedback_id is None:
            line = self.ask(f"{self.checkpoint}> ").strip()
            if not line:
                continue
            try:
                self.command(line)
            except ApiError as exc:
                self.console.print(f"[red]{exc.title} ({exc.status}):[/] {escape(exc.detail)}")
            except ValueError as exc:
                self.console.print(f"[red]{escape(str(exc))}[/] — ? for help")

    def command(self, line: str) -> None:
        verb, _, rest = line.partition(" ")
        gid = self.generation_id
        if verb in ("?", "h", "help"):
            self.console.print(HELP)
        elif verb == "q":
            raise StopWatching
        elif verb == "s":
            self.console.print(plan_table(self.plan))
        elif verb == "a":
            if self.checkpoint == "moods":
                raise ValueError("pick a mood board: m N")
            self.approved(self.client.approve(gid, self.checkpoint or ""))
        elif verb == "m":
            self.approved(self.client.approve(gid, "moods", mood=beat_number(rest, 3) + 1))
        elif verb == "c":
            number, _, text = rest.partition(" ")
            self.edited(self.client.edit_plan(gid, {"beats": [{"index": beat_number(number, self.beats()),
                                                                 "caption": text.strip()}]}))
        elif verb == "d":
            pairs = rest.split()
            if not pairs or len(pairs) % 2:
                raise ValueError("d N SECONDS [M SECONDS …]")
            edits = [{"index": beat_number(pairs[i], self.beats()), "duration_s": int(pairs[i + 1])}
                     for i in range(0, len(pairs), 2)]
            self.edited(self.client.edit_plan(gid, {"beats": edits}))
        elif verb == "f":
            if not rest.strip():
                raise ValueError("f YOUR FEEDBACK")
            self.feedback_id = self.client.feedback(gid, rest.strip())["feedback_id"]
            self.console.print("[dim]interpreting…[/]")
        elif verb == "r":
            beat = beat_number(rest, self.beats())
            taken = self.client.regenerate(gid, beat, "frame")
            self.waiting_for = set(taken.get("beats") or [beat])
            self.console.print(f"[dim]rendering a new take of beat {beat + 1}…[/]")
        else:
            raise ValueError(f"unknown command {verb!r}")

    def beats(self) -> int:
        return len(self.plan.get("beats") or [])

    def approved(self, answer: dict[str, Any]) -> None:
        """The prompt ends: the next checkpoint (shown when it arrives on the feed) or the work goes on."""
        self.checkpoint = None
        self.console.print(f"[green]approved[/] — {answer.get('status', '')}")

    def edited(self, answer: dict[str, Any]) -> None:
        self.plan = answer["plan"]
        redo = answer.get("redo") or {}
        self.console.print(plan_table(self.plan))
        if redo:
            self.console.print("renders again: " + ", ".join(f"beat {int(b) + 1} ({r})" for b, r in redo.items()))
        if self.checkpoint == "storyboard":
            self.waiting_for = {int(b) for b, r in redo.items() if r == "frame"}

    def interpreted(self, data: dict[str, Any]) -> None:
        intent = data.get("intent") or {}
        self.console.print(f"[bold]understood:[/] {escape(str(intent.get('understood', '')))}")
        problems = data.get("problems") or []
        for problem in problems:
            self.console.print(f"[red]cannot apply:[/] {escape(str(problem.get('msg', '')))}")
        if intent.get("kind") == "unclear" or problems:
            self.prompt()
            return
        if self.ask("apply it? [y/n] ").strip().lower() not in ("y", "yes"):
            self.prompt()
            return
        answer = self.client.apply_feedback(self.generation_id, data["feedback_id"])
        if intent.get("kind") == "approve":
            self.approved(answer)
            return
        fresh = self.client.generation(self.generation_id)
        self.plan = fresh.plan or self.plan
        self.waiting_for = set(answer.get("beats") or [])
        if self.waiting_for:
            beats = ", ".join(str(b + 1) for b in sorted(self.waiting_for))
            self.console.print(f"[dim]rendering beat(s) {beats} again…[/]")
        else:
            self.console.print(plan_table(self.plan))
            self.prompt()

    def beat_ready(self, data: dict[str, Any]) -> None:
        index = data["beat_index"]
        self.waiting_for.discard(index)
        if data.get("state") == "failed":
            self.console.print(f"[red]beat {index + 1} failed:[/] {escape(str(data.get('reason', '')))}")
        elif data.get("frame"):
            self.show_frames([data["frame"]])
        if not self.waiting_for:
            self.prompt()


def beat_number(text: str, count: int) -> int:
    """A beat as the owner names it (1-based) → its index; ValueError when there is no such beat."""
    match = re.fullmatch(r"\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= max(count, 1):
        raise ValueError(f"name a beat from 1 to {count}")
    return int(match.group(1)) - 1


def plan_table(plan: dict[str, Any]) -> Table:
    table = Table("beat", "role", "what happens", "caption", "s", "camera", title=plan.get("archetype", ""))
    for beat in plan.get("beats") or []:
        table.add_row(str(beat["index"] + 1), beat.get("role", ""), escape(str(beat.get("action", ""))[:60]),
                      escape(beat.get("caption", "")), str(beat.get("duration_s", "")),
                      beat.get("camera_movement", ""))
    if plan.get("call_to_action"):
        table.caption = f"call to action: {plan['call_to_action']}"
    return table


def run_studio(studio: Studio) -> GenerationProgress | None:
    """Run the studio; None when the owner stopped watching."""
    with contextlib.suppress(StopWatching):
        return studio.run()
    return None
