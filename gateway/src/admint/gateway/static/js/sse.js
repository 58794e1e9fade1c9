// Server-sent events over fetch (EventSource cannot send the Authorization header).
// Reconnects with Last-Event-ID after the server's `retry:` hint, waits Retry-After on 429/503, and stops after
// the feed's natural end (the server closes it after an ending event) or on stop().

import {getKey, retryAfter, sleep} from "./api.js";

export const ENDINGS = new Set(["generation.completed.v1", "generation.failed.v1", "generation.cancelled.v1",
                                "generation.expired.v1", "version.completed.v1", "version.failed.v1"]);

export class Feed {
  /** onEvent(type, data, id); onState("live" | "reconnecting" | "ended" | "error", detail) */
  constructor(path, {onEvent, onState}) {
    this.path = path;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.lastId = null;
    this.retryMs = 1000;
    this.running = false;
    this.controller = null;
    this.sawEnding = false;
  }

  /** Starts (or resumes after its end, e.g. when a new version was asked for) from the last event seen. */
  start() {
    this.sawEnding = false;
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  stop() {
    this.running = false;
    this.controller?.abort();
  }

  async loop() {
    let failures = 0;
    while (this.running) {
      this.controller = new AbortController();
      let ended = false;
      try {
        const headers = {Authorization: "Bearer " + getKey(), Accept: "text/event-stream"};
        if (this.lastId !== null) headers["Last-Event-ID"] = this.lastId;
        const response = await fetch(this.path, {headers, signal: this.controller.signal, cache: "no-store"});
        if (!response.ok) {
          const wait = retryAfter(response);
          if (wait === null && response.status < 500) {  // 401, 404, 410: reconnecting cannot help
            const body = await response.json().catch(() => ({}));
            this.onState("error", body.detail || body.title || `HTTP ${response.status}`);
            this.running = false;
            return;
          }
          this.onState("reconnecting", `HTTP ${response.status}`);
          await sleep(wait !== null ? wait * 1000 : this.retryMs);
          continue;
        }
        failures = 0;
        this.onState("live");
        ended = await this.read(response.body);
      } catch (err) {
        if (!this.running) return;
        failures++;
      }
      if (!this.running) return;
      if (ended) {
        this.running = false;
        this.onState("ended");
        return;
      }
      this.onState("reconnecting", "connection lost");
      await sleep(Math.min(this.retryMs * Math.max(1, failures), 15000));
    }
  }

  /** Reads one connection; true when the server ended the feed after an ending event. */
  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return this.sawEnding;
      buffer += value.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields = {};
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(":")) continue;  // comments are keep-alives
          const colon = line.indexOf(":");
          const key = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          fields[key] = key in fields ? fields[key] + "\n" + val : val;
        }
        if (fields.retry && /^\d+$/.test(fields.retry)) this.retryMs = Number(fields.retry);
        if (fields.id !== undefined) this.lastId = fields.id;
        if (!fields.event || fields.data === undefined) continue;
        let data = {};
        try { data = JSON.parse(fields.data); } catch { /* a non-JSON frame is shown as it is */ data = {raw: fields.data}; }
        // scores may follow the end; anything else means work goes on (a retry round, a new version)
        if (ENDINGS.has(fields.event)) this.sawEnding = true;
        else if (fields.event !== "quality.scored.v1") this.sawEnding = false;
        this.onEvent(fields.event, data, fields.id);
      }
    }
  }
}
