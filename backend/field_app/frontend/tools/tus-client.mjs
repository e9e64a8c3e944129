// The stock tus-js-client, in Node, for the server's conformance tests
// (tests/backend/sync/test_tus_js_client.py): upload one file, optionally with POST and
// X-HTTP-Method-Override, with its first bytes in the creation request, resuming a given upload
// URL, or killing itself (SIGKILL) once some bytes are sent. Prints one JSON line.
import { readFileSync, writeSync } from "node:fs";
import { Upload } from "tus-js-client";

const [endpoint, token, file, sha256, mode = "", resumeUrl = "", stopAfter = ""] = process.argv.slice(2);
const say = (value) => writeSync(1, `${JSON.stringify(value)}\n`); // synchronous: SIGKILL follows

const upload = new Upload(readFileSync(file), {
  endpoint,
  uploadUrl: resumeUrl || null,
  headers: { Authorization: `Bearer ${token}` },
  metadata: { sha256, media_type: "image/jpeg" },
  chunkSize: 16 * 1024,
  retryDelays: [0, 200, 500, 1000, 1000, 2000, 2000, 2000, 2000, 2000],
  overridePatchMethod: mode.includes("override"),
  uploadDataDuringCreation: mode.includes("with-upload"),
  onProgress(sent) {
    if (stopAfter && sent >= Number(stopAfter)) {
      say({ url: upload.url, sent });
      process.kill(process.pid, "SIGKILL");
    }
  },
  onSuccess() {
    say({ url: upload.url, done: true });
  },
  onError(error) {
    say({ url: upload.url, error: String(error) });
    process.exitCode = 1;
  },
});
upload.start();
