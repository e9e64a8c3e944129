// Talking to the server: JSON calls with the device's token, problems with their stable code.
import { getSetting } from "./db.js";

/** The server refused (a 4xx/5xx problem document with a catalogue code). */
export class Problem extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** The server could not be reached: nothing is lost, try again later. */
export class LinkDown extends Error {}

export async function token() {
  return getSetting("token");
}

/** One JSON exchange; `body` is sent as JSON. A link that stays silent for `timeout` ms is
 * down: the request is abandoned rather than left hanging on a half-open connection. */
export async function call(method, path, body, { auth = true, timeout = 60000 } = {}) {
  const headers = { Accept: "application/json", "X-App-Version": "field-app/0.1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const bearer = await token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  let response;
  let text;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", signal: abort.signal });
    text = await response.text();
  } catch {
    throw new LinkDown("Không kết nối được máy chủ.");
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500 && response.status !== 503) {
    // A proxy or a restarting server: the same as no link for the device.
    throw new LinkDown(`Máy chủ tạm thời không trả lời (${response.status}).`);
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new LinkDown(`Câu trả lời lạ từ máy chủ (${response.status}).`);
  }
  if (!response.ok) {
    throw new Problem(response.status, data?.code ?? `http_${response.status}`, data?.detail ?? response.statusText);
  }
  return data;
}
