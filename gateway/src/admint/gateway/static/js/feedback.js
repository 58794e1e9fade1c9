// Feedback in plain words: sent, interpreted by the planner, shown as understood, applied only when asked.

import {api, Problem} from "./api.js";
import {announce, fmt, h, Region} from "./dom.js";

export class FeedbackBox {
  constructor(el, id) {
    this.id = id;
    this.entries = [];
    this.el = el;
    const message = h("textarea#feedback-message", {rows: 2, placeholder: "e.g. make beat 1 warmer, shorter hook, " +
                                                   "caption of beat 3: Cold for 24 hours, looks good"});
    this.beat = h("select#feedback-beat", h("option", {value: ""}, "Whole ad"));
    const send = h("button", {type: "submit"}, "Send feedback");
    this.form = h("form.feedback", {"aria-labelledby": "fb-title"},
      h("h2#fb-title", "Feedback"),
      h("div.grid-fb",
        h("div.field", h("label", {for: "feedback-message"}, "What should change?"), message),
        h("div.field", h("label", {for: "feedback-beat"}, "About"), this.beat),
        h("div.field.end", send)));
    this.list = new Region(h("ol.fblist", {"aria-live": "polite"}));
    el.replaceChildren(this.form, this.list.el);
    this.form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!message.value.trim()) { message.focus(); return; }
      send.disabled = true;
      try {
        const body = {message: message.value.trim()};
        if (this.beat.value !== "") body.beat = Number(this.beat.value);
        await api("POST", `/v1/generations/${this.id}/feedback`, body);
        message.value = "";
        announce("Feedback sent: the studio is reading it");
        await this.load();
      } catch (err) {
        announce(err instanceof Problem ? err.message : "Could not send: " + err.message, "error");
      } finally { send.disabled = false; }
    });
  }

  setBeats(count) {
    if (this.beat.options.length === count + 1) return;
    this.beat.replaceChildren(h("option", {value: ""}, "Whole ad"),
      Array.from({length: count}, (_, i) => h("option", {value: i}, `Beat ${i + 1}`)));
  }

  async load() {
    try {
      const page = await api("GET", `/v1/generations/${this.id}/feedback`);
      this.entries = page.items;
      this.render();
    } catch { /* the next event refreshes it */ }
  }

  render() {
    const recent = this.entries.slice(-5).reverse();
    this.list.update(recent.map((e) => [e.id, e.state, e.understood, e.problems.length]), () => recent.map((e) => {
      const canApply = e.state === "interpreted" && e.intent && e.intent.kind !== "unclear" && !e.problems.length;
      const apply = canApply ? h("button", {type: "button"}, "Apply") : null;
      apply?.addEventListener("click", async () => {
        apply.disabled = true;
        try {
          await api("POST", `/v1/generations/${this.id}/feedback/${e.id}/apply`);
          announce("Applying: " + (e.understood || e.message));
          await this.load();
        } catch (err) { announce(err.message, "error"); apply.disabled = false; }
      });
      return h("li.fbentry.f-" + e.state,
        h("p", h("q", e.message), e.beat !== null ? ` (beat ${e.beat + 1})` : ""),
        e.understood ? h("p.understood", h("strong", "Understood: "), e.understood)
          : h("p.note", e.state === "requested" ? "Interpreting…" : fmt.words(e.state)),
        e.problems.map((p) => h("p.error", p.msg)),
        e.error ? h("p.error", e.error) : null,
        h("p.note", fmt.words(e.state) + (e.applied_at ? " · " + fmt.time(e.applied_at) : "")),
        apply);
    }));
  }
}
