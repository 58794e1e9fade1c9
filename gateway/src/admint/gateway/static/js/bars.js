// Stage bars: one per stage of the API's stage list (OpenAPI enum), filled from the status and stage.progress events.

import {fmt, h} from "./dom.js";

export class StageBars {
  constructor(el, stages) {
    this.el = el;
    this.stages = stages;
    this.progress = {};
    this.rows = {};
    el.replaceChildren();
    for (const stage of stages) {
      const fill = h("div.fill");
      const track = h("div.track", {role: "progressbar", "aria-label": fmt.words(stage), "aria-valuemin": 0,
                                    "aria-valuemax": 100, "aria-valuenow": 0}, fill);
      const count = h("span.count", "");
      const row = h("div.bar", h("span.name", fmt.words(stage)), track, count);
      this.rows[stage] = {row, fill, track, count};
      el.append(row);
    }
  }

  /** From a stage.progress.v1 event. */
  progressed(stage, done, total) {
    this.progress[stage] = {done, total};
  }

  /** Where the generation is: index of the stage at work (stages before it are done). */
  position(view) {
    const last = this.stages.length;
    if (view.status === "completed") return {at: last};
    if (view.stage) return {at: this.stages.indexOf(view.stage), failed: view.status === "failed"};
    if (view.status === "awaiting_approval") {
      const after = view.studio?.checkpoint === "storyboard" ? "storyboard" : "planning";
      return {at: this.stages.indexOf(after) + 1, waiting: true};
    }
    if (view.status === "queued") return {at: 0};
    return {at: -1, stopped: true};  // cancelled, expired: leave the bars as they are
  }

  render(view) {
    const pos = this.position(view);
    if (pos.stopped) return;
    this.stages.forEach((stage, i) => {
      const {row, fill, track, count} = this.rows[stage];
      let pct = 0, text = "", cls = "";
      if (i < pos.at) { pct = 100; text = "✓"; cls = "done"; }
      else if (i === pos.at) {
        const p = this.progress[stage] || this.fromView(view, stage);
        pct = p && p.total ? Math.min(100, 100 * p.done / p.total) : 6;
        text = pos.failed ? "failed" : pos.waiting ? "waiting for you" : p && p.total ? `${p.done}/${p.total}` : "…";
        cls = pos.failed ? "failed" : pos.waiting ? "waiting" : "active";
      }
      fill.style.width = pct + "%";
      track.setAttribute("aria-valuenow", String(Math.round(pct)));
      count.textContent = text;
      row.className = "bar " + cls;
    });
  }

  fromView(view, stage) {
    const beats = view.plan?.beats?.length;
    if (stage === "storyboard" && beats) return {done: view.frames.length, total: beats};
    return null;
  }
}
