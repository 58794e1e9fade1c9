// Small DOM helpers: every element is built with createElement (no innerHTML with data, nothing inline for the CSP).

/** h("div.card#x", {attrs, on:{click}}, children...) */
export function h(tag, props, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/);
  const el = document.createElement(name || "div");
  for (const part of rest) {
    if (part[0] === ".") el.classList.add(part.slice(1)); else el.id = part.slice(1);
  }
  if (props && (typeof props !== "object" || props instanceof Node || Array.isArray(props))) {
    children.unshift(props); props = null;
  }
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "on") for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === "text") el.textContent = value;
    else if (key === "class") el.className = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** A region rebuilt only when its signature changes (keeps focus, playing videos and scroll otherwise). */
export class Region {
  constructor(el) { this.el = el; this.sig = null; }
  update(sig, build) {
    const key = typeof sig === "string" ? sig : JSON.stringify(sig);
    if (key === this.sig) return false;
    this.sig = key;
    this.el.replaceChildren(...[build()].flat().filter(Boolean));
    return true;
  }
}

export const fmt = {
  usd: (v) => v === null || v === undefined ? "—" : "$" + Number(v).toFixed(v < 1 ? 3 : 2),
  score: (v) => v === null || v === undefined ? "—" : Math.round(v).toString(),
  time: (iso) => iso ? new Date(iso).toLocaleString() : "",
  words: (s) => String(s).replaceAll("_", " "),
};

let counter = 0;
/** A unique element id (labels need ids). */
export const uid = (prefix) => `${prefix}-${++counter}`;

/** Announce a message to screen readers and show it in the toast area. */
export function announce(text, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  const line = h("div.toast." + kind, {role: kind === "error" ? "alert" : "status"}, text);
  box.append(line);
  while (box.children.length > 2) box.firstChild.remove();  // the newest two: older news is in the page itself
  setTimeout(() => line.remove(), kind === "error" ? 9000 : 4000);
}
