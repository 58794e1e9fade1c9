// admint studio: a hash router over views that speak only the public API (/v1/generations …, Last-Event-ID
// reconnects in js/sse.js). Plain ES modules, no build step, nothing inline (the page's CSP forbids it).

import {getKey, remembered, setKey} from "./js/api.js";
import {announce} from "./js/dom.js";
import {libraryView} from "./js/library.js";
import {newAdView} from "./js/newad.js";
import {generationView} from "./js/generation.js";
import {variantsView} from "./js/variants.js";

const ROUTES = [
  [/^#\/library$/, libraryView, "library"],
  [/^#\/new$/, newAdView, "new"],
  [/^#\/g\/([A-Za-z0-9_-]+)$/, generationView, "library"],
  [/^#\/group\/([A-Za-z0-9_-]+)$/, variantsView, "library"],
];

let cleanup = null;

function route() {
  const hash = location.hash || "#/library";
  const match = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!match) { location.replace("#/library"); return; }
  const [pattern, view, nav] = match;
  const params = hash.match(pattern).slice(1);
  if (cleanup) cleanup();
  const main = document.getElementById("view");
  main.replaceChildren();
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (!getKey()) {
    document.getElementById("keybox").open = true;
    document.getElementById("key").focus();
  }
  cleanup = view(main, ...params) || null;
}

function keyPanel() {
  const form = document.getElementById("key-form");
  const input = document.getElementById("key");
  const remember = document.getElementById("remember");
  input.value = getKey();
  remember.checked = remembered();
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setKey(input.value.trim(), remember.checked);
    document.getElementById("keybox").open = false;
    announce("Key saved" + (remember.checked ? " on this device" : " for this tab"));
    route();
  });
}

keyPanel();
window.addEventListener("hashchange", route);
route();
