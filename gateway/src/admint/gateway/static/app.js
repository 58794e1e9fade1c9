"use strict";
const $ = (id) => document.getElementById(id);
const STEPS = ["planning", "storyboard", "chunks", "stitching", "export"];
const STAGE_STEP = {planning: "planning", storyboard: "storyboard", chunking: "chunks", stitching: "stitching",
                    exporting: "export"};
const TERMINAL = new Set(["generation.completed.v1", "generation.failed.v1", "generation.cancelled.v1"]);
let current = null;
let abort = null;

// The key stays in this tab (sessionStorage) unless the user asks to remember it (localStorage).
$("remember").checked = localStorage.getItem("admint.key") !== null;
$("key").value = sessionStorage.getItem("admint.key") || localStorage.getItem("admint.key") || "";
function storeKey() {
  const key = $("key").value.trim();
  sessionStorage.setItem("admint.key", key);
  if ($("remember").checked) localStorage.setItem("admint.key", key); else localStorage.removeItem("admint.key");
}
$("key").addEventListener("change", storeKey);
$("remember").addEventListener("change", storeKey);
const auth = () => ({Authorization: "Bearer " + $("key").value.trim()});

function showError(text) {
  const span = document.createElement("span");
  span.className = "error"; span.textContent = text;
  $("status").replaceChildren(span);
}

function log(line, cls) {
  const div = document.createElement("div");
  div.textContent = line;
  if (cls) div.className = cls;
  $("log").prepend(div);
}

async function api(method, path, body, extra) {
  const init = {method, headers: {...auth(), ...(extra || {})}};
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, init);
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) throw new Error((data && (data.detail || data.title)) || response.statusText);
  return data;
}

function drawBars() {
  $("bars").innerHTML = "";
  for (const name of STEPS) {
    const row = document.createElement("div");
    row.className = "bar"; row.id = "bar-" + name;
    row.innerHTML = `<span>${name}</span><div class="track"><div class="fill"></div></div><span class="count"></span>`;
    $("bars").append(row);
  }
}

function setStep(name, done, total, finished) {
  const row = $("bar-" + name);
  if (!row) return;
  STEPS.slice(0, STEPS.indexOf(name)).forEach((n) => { if (!$("bar-" + n).classList.contains("done")) setStep(n, 1, 1, true); });
  const pct = finished ? 100 : total ? Math.min(100, 100 * done / total) : 8;
  row.querySelector(".fill").style.width = pct + "%";
  row.querySelector(".count").textContent = finished ? "✓" : total ? `${done}/${total}` : "…";
  row.classList.toggle("done", !!finished);
}

const frames = new Set();
function apply(type, data) {
  switch (type) {
    case "generation.requested.v1": setStep("planning", 0, 0); break;
    case "plan.completed.v1": setStep("planning", 1, 1, true); setStep("storyboard", 0, data.plan.beats.length); break;
    case "frame.completed.v1": frames.add(data.beat_index); setStep("storyboard", frames.size, data.beat_count); break;
    case "storyboard.completed.v1": setStep("storyboard", 1, 1, true); setStep("chunks", 0, 0); break;
    case "stage.progress.v1": if (STAGE_STEP[data.stage]) setStep(STAGE_STEP[data.stage], data.done, data.total); break;
    case "chunks.completed.v1": setStep("chunks", 1, 1, true); setStep("stitching", 0, 0); break;
    case "stitch.completed.v1": setStep("stitching", 1, 1, true); setStep("export", 0, 0); break;
    case "export.completed.v1": setStep("export", 1, 1, true); break;
  }
}

async function follow(id) {
  let last = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    abort = new AbortController();
    try {
      const headers = auth();
      if (last !== null) headers["Last-Event-ID"] = String(last);
      const response = await fetch(`/v1/generations/${id}/events`, {headers, signal: abort.signal});
      if (!response.ok) throw new Error((await response.json()).detail);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
          const fields = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const i = line.indexOf(":");
            const key = line.slice(0, i), val = line.slice(i + 1).replace(/^ /, "");
            fields[key] = fields[key] ? fields[key] + "\n" + val : val;
          }
          if (!fields.event) continue;
          last = Number(fields.id);
          const data = JSON.parse(fields.data);
          apply(fields.event, data);
          log(`${fields.id.padStart(5)}  ${fields.event}`);
          if (TERMINAL.has(fields.event)) return finish(id, fields.event, data);
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      log("feed interrupted: " + err.message + " — reconnecting", "error");
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function finish(id, type, data) {
  $("cancel").disabled = true; $("submit").disabled = false;
  if (type === "generation.completed.v1") {
    $("status").textContent = "completed";
    const link = await api("GET", `/v1/generations/${id}/video?redirect=false`);
    $("video").src = link.url; $("video").hidden = false;
  } else {
    showError(`${type.split(".")[1]}: ${data.reason || ""}`);
  }
}

$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("submit").disabled = true; $("video").hidden = true; $("log").innerHTML = ""; frames.clear(); drawBars();
  try {
    const body = {brief: $("brief").value, duration_s: Number($("duration").value), aspect: $("aspect").value,
                  framework: $("framework").value || null};
    if ($("product").files.length) {
      const form = new FormData(); form.append("file", $("product").files[0]);
      body.product_asset_id = (await api("POST", "/v1/assets", form)).id;
    }
    const accepted = await api("POST", "/v1/generations", body, {"Idempotency-Key": crypto.randomUUID()});
    current = accepted.id;
    $("status").textContent = "running · " + current; $("cancel").disabled = false;
    await follow(current);
  } catch (err) {
    showError(err.message); $("submit").disabled = false;
  }
});

$("cancel").addEventListener("click", async () => {
  if (!current) return;
  try { await api("POST", `/v1/generations/${current}/cancel`); } catch (err) { log(err.message, "error"); }
});
drawBars();
