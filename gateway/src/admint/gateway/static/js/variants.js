// Variants: the group's members side by side (players kept in step), the score table, pick the winner.

import {api, Problem} from "./api.js";
import {announce, fmt, h, Region} from "./dom.js";
import {Feed} from "./sse.js";

export function variantsView(root, groupId) {
  let group = null, stopped = false, timer = null;
  const title = h("h1", "Variants");
  const badge = h("span.badge", "…");
  const feedState = h("span.feedstate", "connecting");
  const shared = h("p.note");
  const members = new Region(h("div.members"));
  const table = new Region(h("div.tablewrap"));
  const playAll = h("button.secondary#play-all", {type: "button"}, "Play all together");
  const players = new Map();  // generation id → video element
  let syncing = false;
  root.append(
    h("div.titlebar", h("div", title, h("p.sub", badge, " ", h("code", groupId), " · feed ", feedState)),
      h("div.actions", playAll)),
    shared,
    h("section.panel", {"aria-labelledby": "members-title"}, h("h2#members-title", "Side by side"), members.el),
    h("section.panel", {"aria-labelledby": "scores-title"}, h("h2#scores-title", "Scores"), table.el));

  const feed = new Feed(`/v1/generation-groups/${groupId}/events`, {
    onEvent() { soon(); },
    onState(state) { feedState.textContent = state; if (state === "ended") soon(0); },
  });

  function soon(ms = 600) { clearTimeout(timer); timer = setTimeout(refresh, ms); }

  async function refresh() {
    if (stopped) return;
    try { group = await api("GET", `/v1/generation-groups/${groupId}`); }
    catch (err) {
      if (err instanceof Problem && err.status < 500) { shared.textContent = err.message; return; }
      soon(2000); return;
    }
    render();
  }

  function render() {
    title.textContent = "Variants: " + (group.brief.length > 70 ? group.brief.slice(0, 68) + "…" : group.brief);
    badge.textContent = fmt.words(group.status) + (group.winner ? " · winner picked" : "");
    badge.className = "badge g-" + group.status;
    shared.textContent = `Frames rendered ${group.shared.frames_rendered}, reused ${group.shared.frames_reused}. ` +
      (group.varying.length ? `Varying: ${group.varying.map(fmt.words).join(", ")}.` : "");
    const ordered = [...group.members];
    members.update(ordered.map((m) => [m.generation_id, m.status, m.rank, group.winner?.generation_id]), () =>
      ordered.map((m, n) => memberColumn(m, n)));
    renderTable();
    // scores arrive after the members end: the feed carries them, and a slow poll covers a feed that has ended
    const pending = group.status === "running" || group.members.some((m) => m.scores_pending);
    if (pending && !feed.running) soon(3000);
  }

  function memberColumn(m, n) {
    const isWinner = group.winner?.generation_id === m.generation_id;
    const label = `Variant ${n + 1}`;
    const video = h("video", {controls: true, muted: true, playsInline: true, preload: "metadata",
                              "aria-label": `${label} video`});
    const box = h("div.media.member-media", m.status === "completed" ? video : h("span.placeholder", fmt.words(m.status)));
    if (m.status === "completed") {
      players.set(m.generation_id, video);
      link(video);
      api("GET", `/v1/generations/${m.generation_id}/video?redirect=false`).then((l) => { video.src = l.url; })
        .catch(() => {});
    }
    const pick = h("button", {type: "button", disabled: m.status !== "completed" || isWinner,
                              "data-winner": m.generation_id},
                 isWinner ? ["Winner", h("span", {"aria-hidden": "true"}, " ✓")] : "Pick as winner");
    pick.setAttribute("aria-label", isWinner ? `Winner: ${label}` : `Pick as winner: ${label}`);
    pick.addEventListener("click", async () => {
      pick.disabled = true;
      try {
        group = await api("POST", `/v1/generation-groups/${groupId}/winner`, {generation_id: m.generation_id});
        announce(`${label} is the winner`);
        render();
      } catch (err) { announce(err.message, "error"); pick.disabled = false; }
    });
    const d = m.differences;
    return h("article.member" + (isWinner ? ".winner" : ""), {"aria-label": label},
      h("h3", label, m.rank ? h("span.rank", ` #${m.rank}`) : null),
      box,
      h("p.meta", [d.framework, d.archetype && fmt.words(d.archetype), `creativity ${d.creativity}`, `seed ${d.seed}`,
                   d.transition].filter(Boolean).join(" · ")),
      h("p", "Score ", h("strong", fmt.score(m.overall)), m.behind_best ? ` (−${m.behind_best.toFixed(1)})` : "",
        m.status === "completed" && m.scores_pending ? h("span.note", " scoring…") : null),
      h("div.cardactions", pick, h("a.button.secondary", {href: "#/g/" + m.generation_id}, "Open")));
  }

  /** Players follow each other: play, pause and seek of one moves the rest. */
  function link(video) {
    const follow = (action) => () => {
      if (syncing) return;
      syncing = true;
      for (const other of players.values()) {
        if (other === video || !other.isConnected) continue;
        if (Math.abs(other.currentTime - video.currentTime) > 0.3) other.currentTime = video.currentTime;
        if (action === "play") other.play().catch(() => {}); else if (action === "pause") other.pause();
      }
      setTimeout(() => { syncing = false; }, 50);
    };
    video.addEventListener("play", follow("play"));
    video.addEventListener("pause", follow("pause"));
    video.addEventListener("seeked", follow("seek"));
  }

  playAll.addEventListener("click", () => {
    syncing = true;
    for (const v of players.values()) { if (v.isConnected) { v.currentTime = 0; v.play().catch(() => {}); } }
    setTimeout(() => { syncing = false; }, 100);
  });

  function renderTable() {
    const ms = group.members;
    const dims = [...new Set(ms.flatMap((m) => Object.entries(m.dimensions).filter(([, v]) => v !== null).map(([k]) => k)))];
    table.update([ms.map((m) => [m.overall, m.rank, m.dimensions]), group.winner?.generation_id], () => h("table.scores",
      h("caption.sr", "Scores of each variant, by dimension"),
      h("thead", h("tr", h("th", {scope: "col"}, "Dimension"),
        ms.map((m, n) => h("th.num", {scope: "col"}, `Variant ${n + 1}` +
          (group.winner?.generation_id === m.generation_id ? " ★" : ""))))),
      h("tbody",
        h("tr.overall", h("th", {scope: "row"}, "Overall"), ms.map((m) => h("td.num", fmt.score(m.overall)))),
        h("tr", h("th", {scope: "row"}, "Rank"), ms.map((m) => h("td.num", m.rank ?? "—"))),
        dims.map((dim) => {
          const values = ms.map((m) => m.dimensions[dim]);
          const best = Math.max(...values.filter((v) => v !== null));
          return h("tr", h("th", {scope: "row"}, fmt.words(dim)),
            values.map((v) => h("td.num" + (v === best && ms.length > 1 ? ".best" : ""), fmt.score(v))));
        }))));
  }

  refresh();
  feed.start();
  return () => { stopped = true; feed.stop(); clearTimeout(timer); };
}
