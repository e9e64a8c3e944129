// Push and pull, with the same protocol as field-sync: reconcile open batches, send sealed ones
// again with the same id and manifest, seal what is pending; manifest, tus uploads (the stock
// tus-js-client, resumed from the server's offset after a reload), commit, record results.
import { defaultOptions, Upload } from "tus-js-client";
import { ulid } from "ulidx";
import { call, LinkDown, Problem, token } from "./api.js";
import * as store from "./db.js";

/** This build of the app (its bundle's content-hashed URL): a bootstrap kept by another build
 * may lack what this one reads, so it is fetched again. */
export const BUILD = import.meta.url;

/** The largest scan the link last carried whole in one request (0 until one has). A creation
 * cut mid-body answers no address to resume from, so on a link that cuts, a scan rides in its
 * creation only once the link has shown it carries that much; and Chromium sends a request cut
 * on a reused connection a second time by itself, which would leave one more dead upload. */
const CARRIED = "luudong-link-carries";

function carried() {
  return Number(localStorage.getItem(CARRIED) ?? 0);
}

/** "1" when the last round of uploads had no failure, as field-sync's `link_clean`: a scan rides
 * in its creation only while the link is clean (the last round had no failure, and this one has
 * had none so far). On a link that cuts, small scans would otherwise go in creations again as
 * soon as one went through whole, and each cut creation loses what it carried. */
const CLEAN = "luudong-link-clean";

/** Upload one blob with tus, resuming an earlier upload of the same scan if the server has it.
 * ``round`` is shared by the uploads of one push: whether it began clean, and has failed since. */
async function upload(blob, round, onProgress) {
  const bearer = await token();
  let troubled = false;
  return new Promise((resolve, reject) => {
    const task = new Upload(blob.blob, {
      endpoint: "/api/v1/uploads",
      headers: { Authorization: `Bearer ${bearer}` },
      metadata: { sha256: blob.sha256, media_type: blob.media_type },
      // A scan the link has carried whole rides in its creation request (tus
      // creation-with-upload): one round trip per scan where each costs most of a second.
      // Otherwise the upload is created empty and the scan goes in one PATCH: the server keeps
      // every byte that arrived before a cut, so a bigger request loses nothing.
      uploadDataDuringCreation: round.clean && !round.failed && blob.size <= carried(),
      chunkSize: Infinity,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      onShouldRetry: (error, attempt, options) => {
        troubled = true;
        round.failed = true;
        if (!task.url && options.uploadDataDuringCreation) {
          // A creation cut mid-body: create this upload empty, and the next ones too until a
          // round of uploads has gone without a failure and a scan went through whole. What
          // the cut creation left on the server expires.
          options.uploadDataDuringCreation = false;
          localStorage.setItem(CARRIED, "0");
        }
        return defaultOptions.onShouldRetry(error, attempt, options);
      },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: async () => `luudong-${blob.sha256}`,
      onProgress: (sent) => onProgress(sent),
      onError: (error) => {
        round.failed = true;
        const status = error.originalResponse?.getStatus?.();
        if (!status || status >= 500) reject(new LinkDown("Mất kết nối khi tải ảnh lên."));
        else reject(new Problem(status, "upload_refused", error.originalResponse?.getBody?.() || String(error)));
      },
      onSuccess: () => {
        if (!troubled && carried() < blob.size) localStorage.setItem(CARRIED, String(blob.size));
        resolve();
      },
    });
    task.findPreviousUploads().then((previous) => {
      if (previous.length) {
        troubled = true; // a resumed upload says nothing of what one request carries
        task.resumeFromPreviousUpload(previous[0]);
      }
      task.start();
    });
  });
}

/** Upload the missing scans two at a time: while one waits for an answer or reconnects after
 * a cut, the other keeps the link busy (a 2G round trip is most of a second). */
async function uploadAll(missing, report) {
  const queue = [...missing.entries()];
  const sent = new Map();
  let size = 0;
  const blobs = new Map();
  for (const [, sha256] of queue) {
    const blob = await store.getBlob(sha256);
    if (!blob) throw new Problem(409, "blob_lost", `Máy này không còn ảnh ${sha256}.`);
    blobs.set(sha256, blob);
    size += blob.size;
  }
  let done = 0;
  const round = { clean: localStorage.getItem(CLEAN) === "1", failed: false };
  const worker = async () => {
    while (queue.length) {
      const [, sha256] = queue.shift();
      const blob = blobs.get(sha256);
      await upload(blob, round, (bytes) => {
        sent.set(sha256, bytes);
        const total = [...sent.values()].reduce((a, b) => a + b, 0);
        report.progress?.({ done, files: missing.length, sent: total, size });
      });
      done += 1;
    }
  };
  // Both run to their end before a failure is reported, so no upload is left running behind
  // the next push (two PATCHes of one upload would only refuse each other).
  const failed = (await Promise.allSettled([worker(), worker()])).find((r) => r.status === "rejected");
  if (missing.length) localStorage.setItem(CLEAN, round.failed ? "0" : "1");
  if (failed) throw failed.reason;
}

async function pushBatch(batch, report) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const accepted = await call("POST", "/api/v1/sync/batches", batch.manifest);
    await store.markBatch(batch.id, "accepted");
    await uploadAll(accepted.missing_blobs, report);
    try {
      const committed = await call("POST", `/api/v1/sync/batches/${batch.id}/commit`);
      await store.recordCommit(batch.id, committed.results, report.settled);
      report.batches += 1;
      report.results.push(...committed.results);
      return;
    } catch (error) {
      if (!(error instanceof Problem && error.code === "blob_missing")) throw error;
      // An upload expired meanwhile: ask again what is missing.
    }
  }
  throw new Problem(409, "blob_missing", "Máy chủ vẫn thiếu ảnh sau khi tải lại.");
}

/** Send everything waiting; resolves with what was sent. Throws LinkDown or Problem. */
export async function push(progress) {
  // A bootstrap kept by another build may lack what this one reads: the link is up, fetch it.
  const fresh = (await store.getSetting("bootstrap_build")) === BUILD;
  const boot = fresh ? await store.getSetting("bootstrap") : await refreshBootstrap();
  const report = { batches: 0, results: [], progress, settled: boot.vocabulary.settled };
  const open = await store.openBatches();
  if (open.length) {
    const answer = await call("POST", "/api/v1/sync/reconcile", { batch_ids: open.map((b) => b.id), dossier_ids: [] });
    for (const state of answer.batches) {
      if (state.state === "committed" && state.result) await store.recordCommit(state.batch_id, state.result.results, report.settled);
    }
  }
  for (const batch of await store.openBatches()) await pushBatch(batch, report);
  let batch;
  while ((batch = await store.seal(ulid(), boot.limits.max_dossiers_per_batch))) await pushBatch(batch, report);
  return report;
}

/** Fetch every change after the stored cursor. */
export async function pull() {
  let cursor = (await store.getSetting("cursor")) ?? 0;
  const changes = [];
  for (;;) {
    const page = await call("GET", `/api/v1/sync/changes?since=${cursor}&limit=200`);
    if (page.changes.length) await store.recordChanges(page.changes, page.next_cursor);
    changes.push(...page.changes);
    cursor = page.next_cursor;
    if (!page.has_more) return { changes, cursor, catalogRevision: page.catalog_revision };
  }
}

/** The bootstrap (team, catalog, limits, labels, rules), kept for offline use. */
export async function refreshBootstrap(timeout = undefined) {
  const boot = await call("GET", "/api/v1/sync/bootstrap", undefined, { timeout });
  await store.setSettings({ bootstrap: boot, bootstrap_build: BUILD });
  return boot;
}
