// Problem+json field errors shown beside the control they concern (JSON pointers → data-field="a.b").

import {h} from "./dom.js";

export function clearErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
  const summary = form.querySelector(".form-error");
  if (summary) summary.replaceChildren();
}

/** A pointer like /transition/duration_s → the field path "transition.duration_s". */
export function pointerPath(error) {
  if (error.pointer) return error.pointer.split("/").filter(Boolean).join(".");
  const loc = Array.isArray(error.loc) ? error.loc.slice(error.loc[0] === "body" ? 1 : 0) : [];
  return loc.join(".");
}

/**
 * Shows each error at the closest field: the full path, else its parents (/checkpoints/1 → checkpoints).
 * Errors with no field go to the form's summary. The first errored control gets focus. Returns the count shown.
 */
export function showErrors(form, problem, {fieldFor} = {}) {
  clearErrors(form);
  const unplaced = [];
  let first = null;
  // a union field answers one error per member it tried ("variants: not an integer" beside the list's own
  // error at /variants/1/seed): a type mismatch at a place that has errors further in is the branch not taken
  const errors = problem.errors.filter((e) => !(String(e.type).endsWith("_type") &&
    problem.errors.some((o) => o !== e && pointerPath(o).startsWith(pointerPath(e) + "."))));
  for (const error of errors) {
    let path = pointerPath(error);
    let target = null;
    while (path !== null) {
      target = (fieldFor && fieldFor(path)) || form.querySelector(`[data-field="${CSS.escape(path)}"]`);
      if (target || !path) break;
      path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    }
    if (!target) { unplaced.push(error.msg); continue; }
    const control = target.matches("input, select, textarea, fieldset") ? target
      : target.querySelector("input, select, textarea") || target;
    const id = (control.id || "f") + "-error-" + Math.random().toString(36).slice(2, 8);
    const message = h("p.field-error", {id}, error.msg);
    const home = target.closest(".field") || (target === control ? control.parentElement : target);
    home.append(message);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", id);
    first ||= control;
  }
  const summary = form.querySelector(".form-error");
  if (summary) {
    const lines = unplaced.length ? unplaced : errors.length ? [] : [problem.message];
    summary.replaceChildren(...lines.map((line) => h("p", line)));
  }
  if (first) first.focus();
  return errors.length - unplaced.length;
}
