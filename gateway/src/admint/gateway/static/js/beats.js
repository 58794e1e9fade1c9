// One card per beat: plan text, then the frame, then a looping preview of its chunks, then its scores.
// Cards keep their size from the first render (the media box has the ad's aspect), so nothing jumps as they fill.

import {fmt, h, Region} from "./dom.js";

/** Everything the page knows about beat i, from the generation view (and live beat.updated events). */
export function beatFacts(view, index) {
  const beat = view.plan?.beats?.[index] || null;
  const card = view.beats.find((c) => c.index === index) || null;
  const frame = card?.frame || view.frames.find((f) => f.beat_index === index)?.image || null;
  const chunks = view.chunks.filter((c) => c.beat_index === index).sort((a, b) => a.chunk_index - b.chunk_index);
  const scores = view.quality.chunks.filter((s) => s.beat_index === index && s.kept && s.overall !== null);
  const overall = scores.length ? scores.reduce((sum, s) => sum + s.overall, 0) / scores.length : null;
  let weakest = null;
  for (const s of scores) {
    for (const [dim, value] of Object.entries(s.dimensions)) {
      if (value !== null && (!weakest || value < weakest[1])) weakest = [dim, value];
    }
  }
  return {beat, card, frame, chunks, scores, overall, weakest};
}

export function beatCount(view) {
  return view.plan?.beats?.length || view.beats.length || 0;
}

export class BeatGrid {
  /** actions(index) → buttons for the card (regenerate at the storyboard checkpoint or after completion). */
  constructor(el, {actions}) {
    this.el = el;
    this.actions = actions;
    this.regions = [];
    this.count = -1;
  }

  render(view) {
    const count = beatCount(view);
    const ratio = view.spec.aspect.replace(":", "x");
    if (count !== this.count) {
      this.count = count;
      this.regions = [];
      this.el.replaceChildren();
      if (!count) {
        this.el.append(h("li.card.skeleton", h("div.media.aspect-" + ratio), h("p.note", "The planner is writing the beats…")));
      }
      for (let i = 0; i < count; i++) {
        const li = h("li.card.beat", {"data-beat": i});
        this.el.append(li);
        this.regions.push(new Region(li));
      }
    }
    for (let i = 0; i < count; i++) this.renderCard(view, i, ratio);
  }

  renderCard(view, i, ratio) {
    const f = beatFacts(view, i);
    const chunk = f.chunks[0] || null;
    const showVideo = chunk && (!f.card || ["video_ready", "rendering"].includes(f.card.state) ||
                                view.status === "completed");
    const buttons = this.actions(view, i, f);
    const sig = {
      beat: f.beat && [f.beat.role, f.beat.caption, f.beat.duration_s, f.beat.camera_movement, f.beat.shot_type],
      state: f.card?.state, take: f.card?.take, reason: f.card?.reason, frame: f.frame?.key,
      chunk: showVideo ? f.chunks.map((c) => c.video.key) : null, score: f.overall && Math.round(f.overall),
      weakest: f.weakest?.[0], buttons: buttons.map((b) => b.textContent + b.disabled),
    };
    this.regions[i].update(sig, () => {
      const media = h("div.media.aspect-" + ratio);
      if (showVideo) {
        // a looping preview of the beat's chunks, one after the other
        const urls = f.chunks.map((c) => c.video.url);
        const video = h("video", {src: urls[0], poster: f.frame?.url, muted: true, loop: urls.length === 1,
                                  autoplay: true, playsInline: true, "aria-label": `Preview of beat ${i + 1}`});
        let at = 0;
        video.addEventListener("ended", () => { at = (at + 1) % urls.length; video.src = urls[at]; video.play().catch(() => {}); });
        media.append(video);
      } else if (f.frame) {
        media.append(h("img", {src: f.frame.url, alt: `Frame of beat ${i + 1}: ${f.beat?.action || f.beat?.role || ""}`}));
      } else {
        media.append(h("span.placeholder", f.card?.state === "failed" ? "frame failed" : "frame coming…"));
      }
      const state = f.card?.state || (view.status === "completed" ? "video_ready" : "planned");
      return [
        h("div.cardhead", h("h3", `Beat ${i + 1}`, f.beat ? h("span.role", " · " + fmt.words(f.beat.role)) : null),
          h("span.badge.b-" + state, fmt.words(state) + (f.card?.take ? ` · take ${f.card.take + 1}` : ""))),
        media,
        f.beat ? h("p.caption", f.beat.caption ? `“${f.beat.caption}”` : h("span.note", "no caption")) : null,
        f.beat ? h("p.meta", `${f.beat.duration_s} s · ${fmt.words(f.beat.shot_type)} · ${fmt.words(f.beat.camera_movement)}`)
          : null,
        f.card?.reason ? h("p.error", f.card.reason) : null,
        h("p.meta.scoreline", "Score ", h("strong", fmt.score(f.overall)),
          f.weakest ? ` · weakest: ${fmt.words(f.weakest[0])} ${Math.round(f.weakest[1])}` : ""),
        h("div.cardactions", buttons),  // always there (empty while rendering): its height is kept
      ];
    });
  }
}
