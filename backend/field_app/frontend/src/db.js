// The device's durable outbox in IndexedDB: nothing leaves it before the server's commit
// confirms it. Every state change is one transaction, so closing the tab, killing the browser
// or a reboot leaves it before or after the change, never halfway.
import { openDB } from "idb";

const NAME = "luudong";
const VERSION = 1;

let opened;

/** The database, opened (and upgraded) once per page. */
export function db() {
  opened ??= openDB(NAME, VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore("settings");
        const dossiers = database.createObjectStore("dossiers", { keyPath: "id" });
        dossiers.createIndex("state", "state");
        database.createObjectStore("blobs", { keyPath: "sha256" });
        const batches = database.createObjectStore("batches", { keyPath: "id" });
        batches.createIndex("state", "state");
        const items = database.createObjectStore("items", { keyPath: "id" });
        items.createIndex("state", "state");
        database.createObjectStore("changes", { keyPath: "seq" });
      }
    },
  });
  return opened;
}

export async function getSetting(key) {
  return (await db()).get("settings", key);
}

export async function setSettings(values) {
  const tx = (await db()).transaction("settings", "readwrite");
  await Promise.all([...Object.entries(values).map(([k, v]) => tx.store.put(v, k)), tx.done]);
}

export async function clearDevice() {
  const tx = (await db()).transaction("settings", "readwrite");
  await Promise.all(["token", "device_id", "bootstrap", "cursor"].map((k) => tx.store.delete(k)));
  await tx.done;
}

/** Store a captured dossier with its (already normalised) scans, in one transaction. */
export async function addDossier(dossier, scans) {
  const tx = (await db()).transaction(["dossiers", "blobs"], "readwrite");
  for (const scan of scans) await tx.objectStore("blobs").put(scan);
  await tx.objectStore("dossiers").add({ id: dossier.id, body: dossier, state: "pending", created_at: new Date().toISOString() });
  await tx.done;
}

/** Queue a supplement's pages or a rating for a dossier already sent. */
export async function addItem(item, scans = []) {
  const tx = (await db()).transaction(["items", "blobs"], "readwrite");
  for (const scan of scans) await tx.objectStore("blobs").put(scan);
  await tx.objectStore("items").add({ ...item, state: "pending", created_at: new Date().toISOString() });
  await tx.done;
}

export async function allDossiers() {
  const rows = await (await db()).getAll("dossiers");
  return rows.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

export async function getDossier(id) {
  return (await db()).get("dossiers", id);
}

export async function allItems() {
  return (await db()).getAll("items");
}

export async function getBlob(sha256) {
  return (await db()).get("blobs", sha256);
}

export async function openBatches() {
  const rows = await (await db()).getAll("batches");
  return rows.filter((b) => b.state !== "committed").sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

/** Put up to `limit` pending dossiers and items into a new batch, atomically. */
export async function seal(batchId, limit) {
  const tx = (await db()).transaction(["dossiers", "items", "blobs", "batches"], "readwrite");
  const dossiers = (await tx.objectStore("dossiers").index("state").getAll("pending")).slice(0, limit);
  const items = (await tx.objectStore("items").index("state").getAll("pending")).slice(0, limit - dossiers.length);
  if (!dossiers.length && !items.length) {
    await tx.done;
    return null;
  }
  const entries = [
    ...dossiers.map((d) => ({ type: "dossier", ...d.body })),
    ...items.map((i) => ({ type: i.kind, ...i.body })),
  ];
  const hashes = [...new Set(entries.flatMap((e) => (e.documents || []).map((d) => d.sha256)))].sort();
  const blobs = [];
  for (const sha256 of hashes) {
    const blob = await tx.objectStore("blobs").get(sha256);
    blobs.push({ sha256, size: blob.size, media_type: blob.media_type });
  }
  const batch = { id: batchId, manifest: { batch_id: batchId, items: entries, blobs }, state: "sealed", created_at: new Date().toISOString() };
  await tx.objectStore("batches").add(batch);
  for (const d of dossiers) await tx.objectStore("dossiers").put({ ...d, state: "batched", batch_id: batchId });
  for (const [n, i] of items.entries()) await tx.objectStore("items").put({ ...i, state: "batched", batch_id: batchId, position: dossiers.length + n });
  await tx.done;
  return batch;
}

export async function markBatch(batchId, state) {
  const database = await db();
  const batch = await database.get("batches", batchId);
  if (batch) await database.put("batches", { ...batch, state });
}

/** Apply the server's per-item results; only now are dossiers settled. */
export async function recordCommit(batchId, results, settled) {
  const tx = (await db()).transaction(["dossiers", "items", "batches"], "readwrite");
  const items = await tx.objectStore("items").getAll();
  for (const result of results) {
    const state = settled.includes(result.outcome) ? "committed" : result.outcome;
    if (result.kind === "dossier") {
      const row = await tx.objectStore("dossiers").get(result.dossier_id);
      if (row) await tx.objectStore("dossiers").put({ ...row, state, outcome_code: result.code, detail: result.detail });
    } else {
      const row = items.find((i) => i.batch_id === batchId && i.position === result.index);
      if (row) await tx.objectStore("items").put({ ...row, state, outcome_code: result.code, detail: result.detail });
    }
  }
  const batch = await tx.objectStore("batches").get(batchId);
  if (batch) await tx.objectStore("batches").put({ ...batch, state: "committed" });
  await tx.done;
}

/** Store pulled changes, what each says of its dossier, and the new cursor, together. */
export async function recordChanges(changes, cursor) {
  const tx = (await db()).transaction(["changes", "dossiers", "settings"], "readwrite");
  for (const change of changes) {
    await tx.objectStore("changes").put(change);
    const row = await tx.objectStore("dossiers").get(change.dossier_id);
    if (row) {
      await tx.objectStore("dossiers").put({
        ...row,
        code: change.dossier_code ?? row.code,
        status: change.status,
        due_date: change.due_date,
        extended_due_date: change.extended_due_date ?? null,
        standing: change.standing,
        last_change: change,
      });
    }
  }
  await tx.objectStore("settings").put(cursor, "cursor");
  await tx.done;
}

export async function changesFor(dossierId) {
  const rows = await (await db()).getAll("changes");
  return rows.filter((c) => c.dossier_id === dossierId).sort((a, b) => a.seq - b.seq);
}

/** Whether anything waits to be pushed. */
export async function hasWork() {
  const database = await db();
  const [dossiers, items, batches] = await Promise.all([
    database.countFromIndex("dossiers", "state", "pending"),
    database.countFromIndex("items", "state", "pending"),
    openBatches(),
  ]);
  return dossiers + items + batches.length > 0;
}
