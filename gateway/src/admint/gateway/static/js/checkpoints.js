// Checkpoints of an interactive generation: pick a mood board, edit and approve the plan, approve the storyboard.

import {api, enumOf, openapi, Problem} from "./api.js";
import {announce, fmt, h, uid} from "./dom.js";
import {clearErrors, showErrors} from "./fielderrors.js";

async function approve(id, checkpoint, extra = {}) {
  const accepted = await api("POST", `/v1/generations/${id}/approve`, {checkpoint, ...extra});
  announce(`${fmt.words(checkpoint)} approved`);
  return accepted;
}

function failed(err, where) {
  announce(err instanceof Problem ? err.message : "Could not reach the gateway: " + err.message, "error");
  if (where) where.textContent = err.message;
}

export function moodsPanel(view, {onDone}) {
  const id = view.id;
  const form = h("form.moods", {"aria-labelledby": "moods-title"});
  const boards = h("div.boards");
  for (const board of view.studio.moods) {
    const radio = h("input", {type: "radio", name: "mood", value: board.index, id: uid("mood"),
                              checked: board.chosen || board.index === 1, required: true});
    boards.append(h("label.board", {for: radio.id},
      h("span.boardhead", radio, h("strong", ` Board ${board.index}: ${board.name}`)),
      h("span.images", board.images.map((img, n) =>
        h("img", {src: img.url, alt: `${board.name}, look ${n + 1}`}))),
      h("span.swatches", {"aria-hidden": "true"}, board.style.palette.map((c) => {
        const sw = h("span.swatch"); sw.style.background = c; return sw;
      })),
      h("span.note", `${board.style.mood} · music: ${board.music.mood}, ${board.music.tempo_bpm} bpm`)));
  }
  const status = h("p.note", {"aria-live": "polite"});
  const button = h("button", {type: "submit"}, "Use this mood");
  form.append(h("h2#moods-title", "Pick a mood"),
    h("p.note", "Three looks from your brief. The one you pick drives every frame and the music."),
    h("fieldset.plain", h("legend.sr", "Mood boards"), boards), h("div.actions", button), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const chosen = Number(new FormData(form).get("mood"));
    button.disabled = true;
    try { await approve(id, "moods", {mood: chosen}); onDone(); } catch (err) { failed(err, status); }
    finally { button.disabled = false; }
  });
  return form;
}

/** The plan as an editable table (caption, duration, camera move); PATCH …/plan, the API's 422s at their cells. */
export function planPanel(view, {onDone}) {
  const id = view.id;
  const form = h("form.plan", {novalidate: true, "aria-labelledby": "plan-title"});
  const body = h("tbody");
  const rows = [];
  const status = h("p.note", {"aria-live": "polite"});
  const save = h("button.secondary", {type: "button"}, "Save changes");
  const ok = h("button", {type: "submit"}, "Approve plan");
  form.append(h("h2#plan-title", "Review the plan"),
    h("p.note", "Edit captions, lengths and camera moves, then approve. Beat lengths must add up to the ad's length."),
    h("div.form-error", {role: "alert"}),
    h("div.tablewrap", h("table.plantable",
      h("caption.sr", "Beats of the plan"),
      h("thead", h("tr", ["Beat", "What happens", "Caption", "Length (s)", "Camera"].map((t) => h("th", {scope: "col"}, t)))),
      body)),
    h("div.actions", save, ok), status);
  openapi().then((spec) => {
    const durations = enumOf(spec, "BeatEdit", "duration_s");
    const moves = enumOf(spec, "BeatEdit", "camera_movement");
    for (const beat of view.plan.beats) {
      const n = beat.index + 1;
      const caption = h("input", {type: "text", value: beat.caption, id: uid("cap"), "aria-label": `Caption of beat ${n}`,
                                  "data-field": `beat.${beat.index}.caption`});
      const duration = h("select", {id: uid("dur"), "aria-label": `Length of beat ${n}`,
                                    "data-field": `beat.${beat.index}.duration_s`},
        durations.map((d) => h("option", {value: d, selected: d === beat.duration_s}, String(d))));
      const camera = h("select", {id: uid("cam"), "aria-label": `Camera move of beat ${n}`,
                                  "data-field": `beat.${beat.index}.camera_movement`},
        moves.map((m) => h("option", {value: m, selected: m === beat.camera_movement}, fmt.words(m))));
      rows.push({beat, caption, duration, camera});
      body.append(h("tr", h("th", {scope: "row"}, `${n} · ${fmt.words(beat.role)}`), h("td.action", beat.action),
        h("td.field", caption), h("td.field", duration), h("td.field", camera)));
    }
  });

  function edits() {
    const out = [];
    for (const {beat, caption, duration, camera} of rows) {
      const edit = {index: beat.index};
      if (caption.value !== beat.caption) edit.caption = caption.value;
      if (Number(duration.value) !== beat.duration_s) edit.duration_s = Number(duration.value);
      if (camera.value !== beat.camera_movement) edit.camera_movement = camera.value;
      if (Object.keys(edit).length > 1) out.push(edit);
    }
    return out;
  }

  async function saveEdits() {
    clearErrors(form);
    const list = edits();
    if (!list.length) return true;
    try {
      const updated = await api("PATCH", `/v1/generations/${id}/plan`, {beats: list});
      for (const row of rows) row.beat = updated.plan.beats[row.beat.index];
      status.textContent = `Saved (plan revision ${updated.plan_rev}).`;
      announce("Plan saved");
      return true;
    } catch (err) {
      if (!(err instanceof Problem)) { failed(err, status); return false; }
      // pointers are into the patch body: /beats/<k>/<field> is the k-th edit; map it to that beat's cell
      showErrors(form, err, {fieldFor: (path) => {
        const m = path.match(/^beats\.(\d+)(?:\.(\w+))?$/);
        if (!m || !list[Number(m[1])]) return null;
        const beat = list[Number(m[1])].index;
        const fieldName = m[2] || Object.keys(list[Number(m[1])]).find((k) => k !== "index");
        return form.querySelector(`[data-field="beat.${beat}.${fieldName}"]`);
      }});
      return false;
    }
  }

  save.addEventListener("click", () => { saveEdits(); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    ok.disabled = true;
    try {
      if (await saveEdits()) { await approve(id, "plan"); onDone(); }
    } catch (err) { failed(err, status); } finally { ok.disabled = false; }
  });
  return form;
}

export function storyboardPanel(view, {onDone}) {
  const status = h("p.note", {"aria-live": "polite"});
  const button = h("button", {type: "button"}, "Approve storyboard");
  const busy = view.beats.some((c) => c.state === "regenerating");
  button.disabled = busy;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await approve(view.id, "storyboard"); onDone(); } catch (err) { failed(err, status); button.disabled = false; }
  });
  return h("section.panel.checkpoint", {"aria-labelledby": "sb-title"},
    h("h2#sb-title", "Review the storyboard"),
    h("p.note", "One frame per beat, below. Regenerate any frame, or tell the studio what to change in the feedback " +
      "box; approve when every frame is right and the video is rendered."),
    h("div.actions", button, busy ? h("span.note", " (a frame is being regenerated)") : null), status);
}
