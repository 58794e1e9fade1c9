// The public API over fetch: the key, Idempotency-Key on every POST, Retry-After honoured, problem+json errors.

const KEY = "admint.key";

export function getKey() { return sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || ""; }
export function remembered() { return localStorage.getItem(KEY) !== null; }
/** The key stays in this tab (sessionStorage) unless the user asks to remember it (localStorage). */
export function setKey(key, remember) {
  sessionStorage.setItem(KEY, key);
  if (remember) localStorage.setItem(KEY, key); else localStorage.removeItem(KEY);
}

/** A random id from crypto.getRandomValues (works over plain HTTP; crypto.randomUUID needs a secure context). */
export function newIdempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "ui-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An RFC 9457 problem answered by the API; `errors` holds field errors with JSON pointers. */
export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.errors = Array.isArray(this.body.errors) ? this.body.errors : [];
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds to wait from a Retry-After header (seconds or an HTTP date), or null. */
export function retryAfter(response) {
  const value = response.headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

/**
 * One API call. POSTs carry an Idempotency-Key (made here unless given), so a call retried after a 429/503
 * (waiting its Retry-After) or a dropped connection is done once.
 */
export async function api(method, path, body, {idempotencyKey, tries = 4, signal} = {}) {
  const headers = {Authorization: "Bearer " + getKey()};
  if (method === "POST") headers["Idempotency-Key"] = idempotencyKey || newIdempotencyKey();
  const init = {method, headers, signal};
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  for (let attempt = 1; ; attempt++) {
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (signal?.aborted || attempt >= tries || body instanceof FormData) throw err;
      await sleep(1000 * attempt);  // the gateway may be restarting
      continue;
    }
    const wait = retryAfter(response);
    if ((response.status === 429 || response.status === 503) && wait !== null && wait <= 30 && attempt < tries) {
      await sleep(wait * 1000);
      continue;
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) throw new Problem(response.status, data);
    return data;
  }
}

let schemaPromise = null;
/** The OpenAPI document: the form's choices and the status filter come from it, so they follow the API. */
export function openapi() {
  schemaPromise ||= fetch("/openapi.json").then((r) => r.json());
  return schemaPromise;
}

/** Enum values of a schema property (follows anyOf/items/$ref one level). */
export function enumOf(spec, schema, prop) {
  const walk = (node) => {
    if (!node) return null;
    if (node.$ref) return walk(spec.components.schemas[node.$ref.split("/").pop()]);
    if (node.enum) return node.enum;
    if (node.items) return walk(node.items);
    for (const alt of node.anyOf || node.oneOf || []) { const found = walk(alt); if (found) return found; }
    return null;
  };
  return walk(spec.components.schemas[schema].properties[prop]) || [];
}

export function propOf(spec, schema, prop) { return spec.components.schemas[schema].properties[prop] || {}; }
