// Result: the player with a version switcher, downloads of every rendition and the poster, costs by stage,
// quality per beat and overall.

import {api} from "./api.js";
import {announce, fmt, h, Region} from "./dom.js";
import {beatCount, beatFacts} from "./beats.js";

const DIMENSIONS_SHOWN = 12;

export class ResultPanel {
  /** `el` holds the player, downloads and costs; `qualityEl` (below the beats) the scores. */
  constructor(el, qualityEl, id) {
    this.id = id;
    this.el = el;
    this.qualityEl = qualityEl;
    this.version = null;  // null: the newest completed
    this.versions = null;
    this.player = h("video#player", {controls: true, playsInline: true, preload: "metadata", hidden: true,
                                     "aria-label": "The finished ad"});
    // the player's place is kept from the start (same size), so nothing below moves when the ad arrives
    this.waiting = h("div.playerwait", h("p", "Your ad will play here when it is ready."));
    this.playerKey = null;
    this.switcher = new Region(h("div.versions"));
    this.downloads = new Region(h("div.downloads", h("p.note", "Downloads appear when the ad is ready.")));
    this.costs = new Region(h("div.costs", h("p.note", "—")));
    this.quality = new Region(h("div.quality"));
    el.replaceChildren(
      h("h2#result-title", "Your ad"),
      h("div.resultgrid",
        h("div.playerbox", this.player, this.waiting, this.switcher.el),
        h("div.sidecol", h("h3", "Downloads"), this.downloads.el, h("h3", "Costs by stage"), this.costs.el)));
    qualityEl.replaceChildren(h("h2#quality-title", "Quality"), this.quality.el);
  }

  async render(view) {
    this.renderCosts(view, this.versions?.items || []);
    const finished = view.status === "completed" || view.latest_version > 1;
    this.qualityEl.hidden = !finished;
    // while the owner still steers (checkpoints not all approved) the beats matter, not an empty player
    const steering = view.studio && view.studio.approved.length < view.studio.checkpoints.length;
    this.el.hidden = !finished && !!steering && !["failed", "cancelled", "expired"].includes(view.status);
    if (!finished) {
      const why = ["failed", "cancelled", "expired"].includes(view.status) ? `No video: the generation ${view.status}.`
        : "Your ad will play here when it is ready.";
      this.waiting.firstChild.textContent = why;
      return;
    }
    try { this.versions = await api("GET", `/v1/generations/${this.id}/versions`); } catch { /* keep the last */ }
    const items = this.versions?.items || [];
    const done = items.filter((v) => v.state === "completed");
    const newest = done.length ? done[done.length - 1].number : 1;
    const chosen = this.version && done.some((v) => v.number === this.version) ? this.version : newest;
    const entry = items.find((v) => v.number === chosen);
    this.renderSwitcher(items, chosen);
    await this.renderPlayer(chosen);
    this.renderDownloads(view, entry, chosen);
    this.renderCosts(view, items);
    this.renderQuality(view);
  }

  renderSwitcher(items, chosen) {
    this.switcher.update([items.map((v) => [v.number, v.state]), chosen], () => {
      if (items.length <= 1) return h("p.note", "Version 1");
      const select = h("select#version", items.map((v) => h("option", {value: v.number, selected: v.number === chosen,
        disabled: v.state !== "completed"}, `v${v.number} · ${v.state}${v.reason ? " · " + v.reason : ""}`)));
      select.addEventListener("change", () => { this.version = Number(select.value); this.rerender(); });
      return h("div.field", h("label", {for: "version"}, "Version"), select);
    });
  }

  async renderPlayer(version) {
    if (this.playerKey === version) return;
    try {
      const link = await api("GET", `/v1/generations/${this.id}/video?redirect=false&version=${version}`);
      this.player.src = link.url;
      this.player.dataset.version = String(version);  // which version plays (tests and styles can tell)
      this.player.hidden = false;
      this.waiting.hidden = true;
      this.playerKey = version;
    } catch (err) {
      this.player.removeAttribute("src");
    }
  }

  renderDownloads(view, entry, version) {
    const renditions = version > 1 && entry ? entry.renditions : view.renditions;
    const poster = version > 1 && entry?.poster ? entry.poster : view.poster;
    this.downloads.update([version, renditions.map((r) => r.aspect), !!poster], () => h("ul.plain",
      renditions.map((r) => {
        const button = h("button.secondary", {type: "button", "data-rendition": r.aspect},
          `Download ${r.aspect} (${r.size.width}×${r.size.height}, MP4)`);
        button.addEventListener("click", async () => {
          try {
            const link = await api("GET", `/v1/generations/${this.id}/video?redirect=false&download=true` +
              `&version=${version}&rendition=${encodeURIComponent(r.aspect)}`);
            const a = h("a", {href: link.url, download: ""});
            document.body.append(a); a.click(); a.remove();
          } catch (err) { announce(err.message, "error"); }
        });
        return h("li", button);
      }),
      poster ? h("li", h("a.button.secondary", {href: poster.url, target: "_blank", rel: "noopener"}, "Poster (JPG)"))
        : null));
  }

  renderCosts(view, versions) {
    const c = view.costs;
    this.costs.update([c.total_usd, c.by_stage, versions.map((v) => v.cost_usd)], () => [
      h("table.small",
        h("caption.sr", "Costs by stage"),
        h("thead", h("tr", h("th", {scope: "col"}, "Stage"), h("th.num", {scope: "col"}, "USD"))),
        h("tbody", c.by_stage.map((s) => h("tr", h("td", fmt.words(s.stage)), h("td.num", fmt.usd(s.usd))))),
        h("tfoot", h("tr", h("th", {scope: "row"}, "Total"), h("td.num", fmt.usd(c.total_usd))))),
      versions.length > 1 ? h("p.note", versions.map((v) => `v${v.number}: ${fmt.usd(v.cost_usd)}`).join(" · ")) : null,
    ]);
  }

  renderQuality(view) {
    const q = view.quality;
    const master = q.master;
    const beats = Array.from({length: beatCount(view)}, (_, i) => beatFacts(view, i));
    this.quality.update([q.overall, master?.overall, beats.map((b) => b.overall && Math.round(b.overall)), q.pending],
      () => {
        const dims = master ? Object.entries(master.dimensions).filter(([, v]) => v !== null).slice(0, DIMENSIONS_SHOWN)
          : [];
        return [
          h("p.overall", "Overall ", h("strong.big", fmt.score(q.overall ?? master?.overall)), " / 100",
            q.pending.length ? h("span.note", ` (still scoring: ${q.pending.join(", ")})`) : null,
            master?.integrated_lufs !== null && master?.integrated_lufs !== undefined
              ? h("span.note", ` · loudness ${master.integrated_lufs.toFixed(1)} LUFS`) : null),
          h("div.qualitygrid",
            h("table.small",
              h("caption", "The ad, by dimension"),
              h("thead", h("tr", h("th", {scope: "col"}, "Dimension"), h("th.num", {scope: "col"}, "Score"))),
              h("tbody", dims.map(([d, v]) => h("tr", h("td", fmt.words(d)), h("td.num", fmt.score(v)))))),
            h("table.small",
              h("caption", "Each beat"),
              h("thead", h("tr", h("th", {scope: "col"}, "Beat"), h("th.num", {scope: "col"}, "Score"),
                h("th", {scope: "col"}, "Weakest"))),
              h("tbody", beats.map((b, i) => h("tr", h("td", `Beat ${i + 1}`), h("td.num", fmt.score(b.overall)),
                h("td", b.weakest ? `${fmt.words(b.weakest[0])} ${Math.round(b.weakest[1])}` : "—")))))),
        ];
      });
  }
}
