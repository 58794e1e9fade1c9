// One generation: live view (stage bars, beat cards filling in from SSE, event log, cancel/retry), its checkpoints,
// feedback, and its result. Events update what they carry at once; a debounced GET reconciles everything else.

import {api, enumOf, openapi, Problem} from "./api.js";
import {announce, fmt, h, Region} from "./dom.js";
import {StageBars} from "./bars.js";
import {BeatGrid, beatCount} from "./beats.js";
import {moodsPanel, planPanel, storyboardPanel} from "./checkpoints.js";
import {FeedbackBox} from "./feedback.js";
import {ResultPanel} from "./result.js";
import {Feed} from "./sse.js";

const ACTIVE = new Set(["queued", "planning", "storyboarding", "chunking", "stitching", "exporting", "awaiting_approval"]);
const LOG_LINES = 300;

export function generationView(root, id) {
  let view = null;
  let stopped = false;
  let timer = null;
  let bars = null;
  const title = h("h1#gen-title", "Generation");
  const badge = h("span.badge", "…");
  const feedState = h("span.feedstate", "connecting");
  const cancel = h("button.secondary#cancel", {type: "button", hidden: true}, "Cancel");
  const retry = h("button.secondary#retry", {type: "button", hidden: true}, "Retry");
  const groupLink = h("a#group-link", {hidden: true}, "Compare variants");
  const errorBox = h("p.error#gen-error", {role: "alert"});
  const barsEl = h("div.bars");
  const checkpoint = new Region(h("div.checkpointbox"));
  const beatsEl = h("ul.beats", {"aria-label": "Beats"});
  const feedbackEl = h("section.panel#feedback", {hidden: true});
  const resultEl = h("section.panel#result", {"aria-labelledby": "result-title"});
  const qualityEl = h("section.panel#quality", {hidden: true, "aria-labelledby": "quality-title"});
  const log = h("ol.log#log", {reversed: true});
  root.append(
    h("div.titlebar", h("div", title, h("p.sub", badge, " ", h("code", id), " · feed ", feedState, " ", groupLink)),
      h("div.actions", cancel, retry)),
    errorBox,
    h("section.panel", {"aria-labelledby": "progress-title"}, h("h2#progress-title.sr", "Progress"), barsEl),
    checkpoint.el,
    resultEl,
    h("section.panel", {"aria-labelledby": "beats-title"}, h("h2#beats-title", "Beats"), beatsEl),
    qualityEl,
    feedbackEl,
    h("details.panel.logbox", h("summary", "Event log"), log));

  const grid = new BeatGrid(beatsEl, {actions: beatActions});
  const feedback = new FeedbackBox(feedbackEl, id);
  const result = new ResultPanel(resultEl, qualityEl, id);
  result.rerender = () => view && result.render(view);

  openapi().then((spec) => {
    bars = new StageBars(barsEl, enumOf(spec, "GenerationView", "stage"));
    if (view) bars.render(view);
  });

  const feed = new Feed(`/v1/generations/${id}/events`, {
    onEvent(type, data, seq) {
      addLog(seq, type, data);
      live(type, data);
      soon();
    },
    onState(state, detail) {
      feedState.textContent = state === "reconnecting" ? `reconnecting (${detail})` : state;
      feedState.className = "feedstate " + state;
      if (state === "ended" || state === "error") soon(0);
    },
  });

  function addLog(seq, type, data) {
    const what = data.beat_index !== undefined ? ` beat ${data.beat_index + 1}` : data.stage && data.total !== undefined
      ? ` ${data.stage} ${data.done}/${data.total}` : data.checkpoint ? ` ${data.checkpoint}` : data.item ? ` ${data.item}` : "";
    const state = data.state ? ` → ${data.state}` : data.reason ? ` — ${data.reason}` : "";
    log.prepend(h("li", h("code", String(seq).padStart(4, " ")), " ", type, what, state));
    while (log.children.length > LOG_LINES) log.lastChild.remove();
  }

  /** What an event carries is shown at once; the rest comes from the next GET. */
  function live(type, data) {
    if (!view) return;
    if (type === "stage.progress.v1" && bars) { bars.progressed(data.stage, data.done, data.total); bars.render(view); }
    if (type === "beat.updated.v1") {
      const card = view.beats.find((c) => c.index === data.beat_index);
      const frame = data.frame ? {...(card?.frame || {}), url: data.frame.url, key: data.frame.key || data.frame.url} : card?.frame;
      const next = {index: data.beat_index, state: data.state, take: data.take, ad_version: card?.ad_version || 1,
                    frame: frame || null, reason: data.reason || null};
      view.beats = [...view.beats.filter((c) => c.index !== data.beat_index), next];
      grid.render(view);
    }
    if (type === "feedback.interpreted.v1" || type === "feedback.requested.v1") feedback.load();
  }

  function soon(ms = 350) {
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }

  async function refresh() {
    if (stopped) return;
    try {
      view = await api("GET", `/v1/generations/${id}`);
    } catch (err) {
      if (err instanceof Problem && [401, 404, 410].includes(err.status)) {
        errorBox.textContent = err.message; feed.stop(); return;
      }
      soon(2000); return;  // the gateway may be restarting
    }
    render();
  }

  function render() {
    title.textContent = view.spec.brief.length > 90 ? view.spec.brief.slice(0, 88) + "…" : view.spec.brief;
    document.title = `${fmt.words(view.status)} · admint studio`;
    badge.textContent = fmt.words(view.status) + (view.studio?.checkpoint ? ` at ${view.studio.checkpoint}` : "") +
      (view.rendering_version ? ` · rendering v${view.rendering_version}` : "");
    badge.className = "badge s-" + view.status;
    cancel.hidden = !ACTIVE.has(view.status);
    const versionFailed = result.versions?.items?.at(-1)?.state === "failed";
    retry.hidden = !(view.status === "failed" || versionFailed);
    groupLink.hidden = !view.group_id;
    if (view.group_id) groupLink.href = "#/group/" + view.group_id;
    errorBox.textContent = view.error ? `${fmt.words(view.error.stage)} failed: ${view.error.reason}` : "";
    if (bars) bars.render(view);
    grid.render(view);
    renderCheckpoint();
    const canSteer = view.status === "awaiting_approval" && view.studio?.checkpoint !== "moods" ||
                     view.status === "completed";
    feedbackEl.hidden = !canSteer;
    if (canSteer) { feedback.setBeats(beatCount(view)); feedback.load(); }
    result.render(view);
    if (view.rendering_version) feed.start();  // a new version is rendering: follow it
  }

  function renderCheckpoint() {
    const at = view.status === "awaiting_approval" ? view.studio?.checkpoint : null;
    const sig = at === "plan" ? ["plan", view.plan_rev] : at === "moods" ? ["moods", view.studio.moods.length]
      : at === "storyboard" ? ["storyboard", view.beats.map((c) => c.state)] : [null];
    checkpoint.update(sig, () => {
      const done = () => { soon(0); feed.start(); };
      if (at === "moods") return h("section.panel.checkpoint", moodsPanel(view, {onDone: done}));
      if (at === "plan") return h("section.panel.checkpoint", planPanel(view, {onDone: done}));
      if (at === "storyboard") return storyboardPanel(view, {onDone: done});
      return null;
    });
  }

  function beatActions(v, index, facts) {
    const atBoard = v.status === "awaiting_approval" && v.studio?.checkpoint === "storyboard";
    const after = v.status === "completed" && !v.rendering_version;
    if (!atBoard && !after) return [];
    const busy = ["regenerating", "rendering"].includes(facts.card?.state);
    const regenerate = async (body, control) => {
      control.disabled = true;
      try {
        const accepted = await api("POST", `/v1/generations/${id}/beats/${index}/regenerate`, body);
        announce(accepted.version ? `Beat ${index + 1}: making version ${accepted.version}` :
                 `Beat ${index + 1}: new ${body.what === "frame" ? "frame" : "take"} coming`);
        feed.start(); soon(0);
      } catch (err) { announce(err.message, "error"); control.disabled = false; }
    };
    const make = (label, what) => {
      const b = h("button.secondary.small", {type: "button", disabled: busy, "data-regenerate": `${index}-${what}`},
                  label);
      b.setAttribute("aria-label", `${label}: beat ${index + 1}`);
      b.addEventListener("click", () => regenerate({what}, b));
      return b;
    };
    // every option of POST …/beats/{i}/regenerate: what, feedback applied to this beat at once, a seed
    const whats = after ? ["frame", "video", "both"] : ["frame"];
    const what = h("select", {id: `regen-what-${index}`}, whats.map((w) => h("option", {value: w}, w)));
    const note = h("input", {id: `regen-note-${index}`, type: "text", placeholder: "e.g. darker, slower"});
    const seed = h("input", {id: `regen-seed-${index}`, type: "number", min: 0, placeholder: "new"});
    const go = h("button.small", {type: "submit", disabled: busy}, "Regenerate");
    const form = h("form.regen",
      h("label", {for: what.id}, "What"), what,
      h("label", {for: note.id}, "Feedback"), note,
      h("label", {for: seed.id}, "Seed"), seed, go);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = {what: what.value};
      if (note.value.trim()) body.feedback = note.value.trim();
      if (seed.value !== "") body.seed = Number(seed.value);
      regenerate(body, go);
    });
    const more = h("details.more", h("summary", {"aria-label": `More options: beat ${index + 1}`}, "More options"), form);
    return after ? [make("New frame", "frame"), make("New video", "video"), more]
      : [make("Regenerate frame", "frame"), more];
  }

  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try { await api("POST", `/v1/generations/${id}/cancel`); announce("Cancelling"); } catch (err) { announce(err.message, "error"); }
    finally { cancel.disabled = false; soon(0); }
  });
  retry.addEventListener("click", async () => {
    retry.disabled = true;
    try { await api("POST", `/v1/generations/${id}/retry`); announce("Retrying"); feed.start(); }
    catch (err) { announce(err.message, "error"); } finally { retry.disabled = false; soon(0); }
  });

  refresh();
  feed.start();
  return () => { stopped = true; feed.stop(); clearTimeout(timer); };
}
