// Library: every generation of the key's owner, newest first, filtered by status, more pages by the API's cursor.
// The list endpoint gives the summary; each card then reads its generation (poster, aspects, score, cost).

import {api, enumOf, openapi, Problem} from "./api.js";
import {fmt, h} from "./dom.js";

const DETAIL_CONCURRENCY = 4;

export function libraryView(root) {
  let status = sessionStorage.getItem("admint.filter") || "";
  let cursor = null, loading = false, done = false, stopped = false, epoch = 0;
  const queue = [];
  let active = 0;

  const filter = h("select#status-filter", {name: "status"}, h("option", {value: ""}, "All statuses"));
  const grid = h("ul.library", {"aria-label": "Generations"});
  const more = h("button.secondary#more", {type: "button"}, "Load more");
  const emptyText = h("span", "No generations yet. ");
  const empty = h("p.note", {hidden: true}, emptyText, h("a", {href: "#/new"}, "Make a new ad"), ".");
  const sentinel = h("div.sentinel", {"aria-hidden": "true"});
  root.append(
    h("div.titlebar", h("h1", "Library"),
      h("div.filter", h("label", {for: "status-filter"}, "Status"), filter),
      h("a.button", {href: "#/new"}, "New ad")),
    empty, grid, h("div.more", more), sentinel);

  openapi().then((spec) => {
    for (const value of enumOf(spec, "GenerationSummary", "status")) {
      filter.append(h("option", {value}, fmt.words(value)));
    }
    filter.value = status;
  }).catch(() => {});

  filter.addEventListener("change", () => {
    status = filter.value;
    sessionStorage.setItem("admint.filter", status);
    cursor = null; done = false; loading = false; epoch++; grid.replaceChildren(); queue.length = 0;
    load();
  });
  more.addEventListener("click", () => load());

  async function load() {
    if (loading || done || stopped) return;
    loading = true; more.disabled = true; more.textContent = "Loading…";
    const mine = epoch;  // a filter change meanwhile makes this page stale
    try {
      const query = new URLSearchParams({limit: "12"});
      if (status) query.set("status", status);
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", "/v1/generations?" + query);
      if (mine !== epoch) return;
      for (const item of page.items) grid.append(card(item));
      cursor = page.next_cursor;
      done = !cursor;
      empty.hidden = grid.children.length > 0;
      emptyText.textContent = status ? `No ${fmt.words(status)} generations. ` : "No generations yet. ";
    } catch (err) {
      grid.append(h("li.error", {role: "alert"}, err instanceof Problem && err.status === 401
        ? "The API key was refused: set it under “API key” above." : "Could not load: " + err.message));
      done = true;
    } finally {
      if (mine === epoch) {
        loading = false;
        more.hidden = done; more.disabled = false; more.textContent = "Load more";
      }
    }
  }

  function card(item) {
    const poster = h("div.poster", h("span.placeholder", item.aspect));
    const facts = h("dl.facts",
      h("dt", "Length"), h("dd", item.duration_s + " s"),
      h("dt", "Aspects"), h("dd.aspects", item.aspect),
      h("dt", "Score"), h("dd.score", "…"),
      h("dt", "Cost"), h("dd.cost", "…"));
    // the brief is the link; its ::after covers the card, so the whole card is one click and one tab stop
    const li = h("li.card", {"data-id": item.id},
      poster,
      h("div.body",
        h("p.brief", h("a.cardlink", {href: "#/g/" + item.id}, item.brief)),
        h("p", h("span.badge.s-" + item.status, fmt.words(item.status)),
          h("time.when", {datetime: item.created_at}, fmt.time(item.created_at))),
        facts));
    queue.push(() => details(item.id, poster, facts));
    pump();
    return li;
  }

  function pump() {
    while (active < DETAIL_CONCURRENCY && queue.length && !stopped) {
      active++;
      queue.shift()().finally(() => { active--; pump(); });
    }
  }

  async function details(id, poster, facts) {
    try {
      const view = await api("GET", "/v1/generations/" + id);
      const art = view.thumbnail || view.poster || view.frames[0]?.image;
      if (art) poster.replaceChildren(h("img", {src: art.url, alt: "", loading: "lazy"}));
      const aspects = view.renditions.length ? view.renditions.map((r) => r.aspect).join(", ") : view.spec.aspect;
      facts.querySelector(".aspects").textContent = aspects;
      facts.querySelector(".score").textContent = fmt.score(view.quality.overall ?? view.quality.master?.overall);
      facts.querySelector(".cost").textContent = fmt.usd(view.costs.total_usd);
    } catch {
      facts.querySelector(".score").textContent = "—";
      facts.querySelector(".cost").textContent = "—";
    }
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) load();
  }, {rootMargin: "400px"});
  observer.observe(sentinel);
  load();
  return () => { stopped = true; observer.disconnect(); };
}
