// New ad: every option of POST /v1/generations (and /v1/generation-groups for variants), with the API's own
// validation errors shown beside their fields. The choices come from the OpenAPI document.

import {api, enumOf, openapi, Problem, propOf} from "./api.js";
import {announce, fmt, h, uid} from "./dom.js";
import {clearErrors, showErrors} from "./fielderrors.js";

const EXAMPLE = "An ad for a reusable steel water bottle that keeps drinks cold for 24 hours, " +
  "for hikers who hate warm water.";

function field(label, control, {hint, path, wide} = {}) {
  control.id ||= uid("f");
  if (path) control.dataset.field = path;
  const hintEl = hint ? h("p.hint", {id: control.id + "-hint"}, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div.field" + (wide ? ".wide" : ""), h("label", {for: control.id}, label), control, hintEl);
}

function choices(name, values, {type = "checkbox", checked = [], path} = {}) {
  const box = h("fieldset.choices", {"data-field": path || name},
    h("legend", name));
  for (const value of values) {
    const id = uid("c");
    box.append(h("label.inline", {for: id},
      h("input", {id, type, name: path || name, value, checked: checked.includes(value)}), " ", fmt.words(value)));
  }
  return box;
}

export function newAdView(root) {
  const form = h("form#new-ad.panel", {novalidate: true, "aria-labelledby": "new-title"});
  root.append(h("div.titlebar", h("h1#new-title", "New ad")), form);
  form.append(h("p.note", "Loading the options…"));
  openapi().then((spec) => build(spec)).catch((err) => form.replaceChildren(h("p.error", err.message)));

  function build(spec) {
    const S = "GenerationCreate";
    const aspects = enumOf(spec, S, "aspect");
    const duration = propOf(spec, S, "duration_s");
    const creativity = propOf(spec, S, "creativity");
    const brief = h("textarea#brief", {name: "brief", rows: 4, required: true}, EXAMPLE);
    const dur = h("input#duration", {type: "number", name: "duration_s", value: duration.default ?? 30,
                                     min: duration.minimum, max: duration.maximum, step: 5, inputmode: "numeric"});
    const aspect = h("select#aspect", {name: "aspect"}, aspects.map((a) => h("option", {value: a}, a)));
    const framework = h("select#framework", {name: "framework"}, h("option", {value: ""}, "Planner decides"),
      enumOf(spec, S, "framework").map((f) => h("option", {value: f}, f)));
    const creat = h("input#creativity", {type: "range", name: "creativity", min: creativity.minimum ?? 0,
                                         max: creativity.maximum ?? 1, step: 0.05, value: creativity.default ?? 0.5});
    const creatOut = h("output", {for: "creativity"}, String(creat.value));
    creat.addEventListener("input", () => { creatOut.textContent = creat.value; });
    const seed = h("input#seed", {type: "number", name: "seed", min: 0, placeholder: "random", inputmode: "numeric"});
    const tKind = h("select#transition", {name: "transition_kind"}, h("option", {value: ""}, "Default"),
      enumOf(spec, "TransitionIn", "kind").map((k) => h("option", {value: k}, k)));
    const tDur = h("input#transition-duration", {type: "number", name: "transition_duration", min: 0, max: 2,
                                                 step: 0.1, placeholder: "0.5"});
    const music = h("input#music", {type: "checkbox", name: "music", checked: true});
    const product = h("input#product", {type: "file", name: "product", accept: "image/jpeg,image/png,image/webp"});
    const preview = h("div.preview", {"aria-live": "polite"});
    product.addEventListener("change", () => {
      preview.replaceChildren();
      const file = product.files[0];
      if (file) preview.append(h("img", {src: URL.createObjectURL(file), alt: "Preview of " + file.name}));
    });
    const interactive = h("input#interactive", {type: "checkbox", name: "interactive"});
    const checkpoints = choices("Checkpoints", enumOf(spec, S, "checkpoints"),
                                {checked: ["plan", "storyboard"], path: "checkpoints"});
    const syncInteractive = () => { checkpoints.disabled = !interactive.checked; };
    interactive.addEventListener("change", syncInteractive); syncInteractive();
    const renditions = choices("Extra renditions", aspects, {path: "renditions"});
    const threshold = h("input#quality-threshold", {type: "number", name: "quality_threshold", min: 0, max: 100,
                                                    step: 1, placeholder: "off"});
    const variants = h("input#variants", {type: "number", name: "variants", min: 1, max: 8, value: 1, step: 1});
    // per-variant overrides (VariantOptions): a row per member once there are two or more; empty rows vary by
    // copy framework, then seed (the API's default)
    const variantRows = h("tbody");
    const variantTable = h("details.variantopts", {hidden: true, "data-field": "variants"},
      h("summary", "Choose what each variant changes (optional)"),
      h("div.tablewrap", h("table.small",
        h("caption.sr", "Options of each variant"),
        h("thead", h("tr", ["Variant", "Framework", "Creativity", "Seed", "Transition"].map((t) => h("th", {scope: "col"}, t)))),
        variantRows)));
    const frameworks = enumOf(spec, S, "framework");
    const kinds = enumOf(spec, "TransitionIn", "kind");
    function syncVariants() {
      const n = Math.max(0, Math.min(8, Number(variants.value) || 0));
      variantTable.hidden = n < 2;
      while (variantRows.children.length > (n < 2 ? 0 : n)) variantRows.lastChild.remove();
      while (n >= 2 && variantRows.children.length < n) {
        const k = variantRows.children.length, label = `variant ${k + 1}`;
        variantRows.append(h("tr", {"data-field": `variants.${k}`}, h("th", {scope: "row"}, String(k + 1)),
          h("td", h("select", {"aria-label": `Framework of ${label}`, "data-opt": "framework", "data-field": `variants.${k}.framework`},
            h("option", {value: ""}, "—"), frameworks.map((f) => h("option", {value: f}, f)))),
          h("td", h("input", {type: "number", min: 0, max: 1, step: 0.05, placeholder: "—", "aria-label": `Creativity of ${label}`,
                              "data-opt": "creativity", "data-field": `variants.${k}.creativity`})),
          h("td", h("input", {type: "number", min: 0, placeholder: "—", "aria-label": `Seed of ${label}`, "data-opt": "seed",
                              "data-field": `variants.${k}.seed`})),
          h("td", h("select", {"aria-label": `Transition of ${label}`, "data-opt": "transition",
                               "data-field": `variants.${k}.transition`},
            h("option", {value: ""}, "—"), kinds.map((t) => h("option", {value: t}, t))))));
      }
    }
    variants.addEventListener("input", syncVariants);
    function variantOptions() {
      const rows = [...variantRows.children].map((row) => {
        const opt = {};
        for (const el of row.querySelectorAll("[data-opt]")) {
          if (el.value === "") continue;
          const key = el.dataset.opt;
          opt[key] = key === "framework" ? el.value : key === "transition" ? {kind: el.value} : Number(el.value);
        }
        return opt;
      });
      return rows.some((o) => Object.keys(o).length) ? rows : null;
    }
    const maxCost = h("input#max-cost", {type: "number", name: "max_cost_usd", min: 0, step: 0.01, placeholder: "none"});
    const webhook = h("input#webhook", {type: "url", name: "webhook_url", placeholder: "https://…"});
    const estimate = h("p.estimate", {"aria-live": "polite"});
    const submit = h("button#submit", {type: "submit"}, "Generate");
    const estimateBtn = h("button.secondary", {type: "button"}, "Estimate cost");

    form.replaceChildren(
      h("div.form-error", {role: "alert"}),
      field("Brief", brief, {path: "brief", wide: true, hint: "Product, audience, tone: what the ad is about."}),
      h("div.grid3",
        field("Duration (seconds)", dur, {path: "duration_s", hint: `${duration.minimum}–${duration.maximum} s`}),
        field("Aspect", aspect, {path: "aspect"}),
        field("Copy framework", framework, {path: "framework"})),
      renditions,
      h("div.grid3",
        h("div.field", {"data-field": "creativity"}, h("label", {for: "creativity"}, "Creativity ", creatOut), creat),
        field("Seed", seed, {path: "seed", hint: "Same seed, same ad."}),
        field("Variants (A/B)", variants, {path: "variants", hint: "2–8 makes a group to compare."})),
      variantTable,
      h("div.grid3",
        field("Transition", tKind, {path: "transition.kind"}),
        field("Transition length (s)", tDur, {path: "transition.duration_s"}),
        h("div.field", {"data-field": "music"}, h("label.inline", {for: "music"}, music, " Music bed"))),
      h("div.grid2",
        h("div.field", {"data-field": "product_asset_id"}, h("label", {for: "product"}, "Product image (jpg, png or webp, ≤ 10 MB)"),
          product, preview),
        h("div.field", h("label.inline", {for: "interactive"}, interactive, " Interactive: stop at checkpoints"),
          checkpoints)),
      h("details.advanced", h("summary", "Quality, budget and webhook"),
        h("div.grid3",
          field("Quality threshold (0–100)", threshold, {path: "quality_threshold",
                                                         hint: "Chunks scoring below are rendered again."}),
          field("Cost limit (USD)", maxCost, {path: "max_cost_usd"}),
          field("Webhook URL", webhook, {path: "webhook_url"}))),
      h("div.actions", submit, estimateBtn),
      estimate);

    function body() {
      const num = (el) => el.value === "" ? null : Number(el.value);
      const out = {brief: brief.value, duration_s: num(dur), aspect: aspect.value,
                   creativity: Number(creat.value), music: music.checked, interactive: interactive.checked};
      if (framework.value) out.framework = framework.value;
      if (seed.value !== "") out.seed = num(seed);
      const extra = [...renditions.querySelectorAll("input:checked")].map((i) => i.value);
      if (extra.length) out.renditions = extra;
      if (tKind.value || tDur.value !== "") {
        out.transition = {};
        if (tKind.value) out.transition.kind = tKind.value;
        if (tDur.value !== "") out.transition.duration_s = num(tDur);
      }
      if (interactive.checked) out.checkpoints = [...checkpoints.querySelectorAll("input:checked")].map((i) => i.value);
      if (threshold.value !== "") out.quality_threshold = num(threshold);
      if (maxCost.value !== "") out.max_cost_usd = num(maxCost);
      if (webhook.value) out.webhook_url = webhook.value;
      return out;
    }

    estimateBtn.addEventListener("click", async () => {
      clearErrors(form);
      try {
        const est = await api("POST", "/v1/generations/estimate", body());
        estimate.textContent = `Estimated ${fmt.usd(est.total_usd)} (${fmt.usd(est.low_usd)}–${fmt.usd(est.high_usd)}), ` +
          `${est.beats} beats, about ${Math.round(est.expected_wall_s)} s.`;
      } catch (err) {
        if (err instanceof Problem) showErrors(form, err); else estimate.textContent = err.message;
      }
    });

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      submit.disabled = true; submit.textContent = "Sending…";
      try {
        const request = body();
        if (product.files.length) {
          const upload = new FormData();
          upload.append("file", product.files[0]);
          try {
            request.product_asset_id = (await api("POST", "/v1/assets", upload)).id;
          } catch (err) {
            if (err instanceof Problem) err.errors = [{pointer: "/product_asset_id", msg: err.message}];
            throw err;
          }
        }
        const count = num(variants);
        if (count !== null && count !== 1) {
          const group = await api("POST", "/v1/generation-groups", {...request, variants: variantOptions() || count});
          announce(`Group of ${group.members?.length ?? count} variants started`);
          location.hash = "#/group/" + group.id;
        } else {
          const accepted = await api("POST", "/v1/generations", request);
          announce("Generation started");
          location.hash = "#/g/" + accepted.id;
        }
      } catch (err) {
        if (err instanceof Problem) showErrors(form, err);
        else showErrors(form, {errors: [], message: "Could not reach the gateway: " + err.message});
      } finally {
        submit.disabled = false; submit.textContent = "Generate";
      }
    });
    function num(el) { return el.value === "" ? null : Number(el.value); }
    brief.focus();
  }
}
