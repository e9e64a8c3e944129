// The field app: enrol, capture offline, push when the link is up, show the office's answers.
// Every label comes from the server's bootstrap (bootstrap.vocabulary), kept for offline use.
import { ulid } from "ulidx";
import { call, LinkDown, Problem } from "./api.js";
import { CccdError, parseCccd } from "./cccd.js";
import * as store from "./db.js";
import { normalise, readQr } from "./image.js";
import { BUILD, pull, push, refreshBootstrap } from "./sync.js";
import { bytes, esc, fold, vietnamToday, vnDate } from "./text.js";

const view = document.getElementById("view");
const net = document.getElementById("net");
const banner = document.getElementById("update");
const CHANGE_DELIVERY = "change-delivery";

let boot = null;
let busy = false;
let again = false;
let touched = false; // the person has typed or chosen something on this page
let editing = false;
let routes = 0; // each route() takes the next number; only the newest may draw
let asked = 0; // routes the person started (not refreshes) still reading the store

// --- shell -------------------------------------------------------------------------------------

/** Draw a view, unless it is stale: a newer route began while this one read the store, or (for a
 * refresh in the background) the person has typed on the page or been told something since. */
function show(html, ticket) {
  if (ticket.number !== routes || (ticket.quiet && (editing || touched))) return false;
  view.innerHTML = html;
  touched = false;
  editing = false;
  view.focus();
  return true;
}

function say(kind, text) {
  const box = document.getElementById("message");
  if (box) {
    box.className = kind;
    box.textContent = text;
    box.hidden = !text;
  }
}

// What the page tells the person about what they are doing (a refused form, a card read): a
// push ending in the background must not re-render the page over it.
function message(kind, text) {
  say(kind, text);
  if (text) touched = true;
}

function explain(error) {
  if (error instanceof LinkDown) return `${error.message} Hồ sơ vẫn an toàn trên máy và sẽ được gửi khi có mạng.`;
  if (error instanceof Problem) return error.detail || error.code;
  if (error instanceof CccdError) return `Mã QR căn cước không hợp lệ: ${error.message}`;
  return `Lỗi: ${error.message || error}`;
}

function online() {
  net.textContent = navigator.onLine ? (busy ? "Có mạng · đang gửi…" : "Có mạng") : "Không có mạng";
  net.className = navigator.onLine ? "ok" : "off";
}

async function revoked(error) {
  if (error instanceof Problem && (error.code === "device_revoked" || error.code === "unauthenticated")) {
    await store.setSettings({ revoked: error.detail });
    return true;
  }
  return false;
}

// --- routing -----------------------------------------------------------------------------------

/** Show the page the address names; true if it was drawn. `quiet` is a refresh in the background,
 * which gives way to anything the person does meanwhile. */
async function route({ quiet = false } = {}) {
  // A refresh must not supersede a page the person asked for and then decline to draw: it gives
  // way while such a route is still reading the store, and the next refresh draws what it missed.
  if (quiet && asked > 0) return false;
  const ticket = { number: ++routes, quiet };
  if (!quiet) asked += 1;
  try {
    return await draw(ticket);
  } finally {
    if (!quiet) asked -= 1;
  }
}

async function draw(ticket) {
  const enrolled = await store.getSetting("token");
  boot = await store.getSetting("bootstrap");
  if (enrolled && boot && navigator.onLine && (await store.getSetting("bootstrap_build")) !== BUILD) {
    boot = await refreshBootstrap(8000).catch(() => boot);
  }
  const [path, arg] = location.hash.replace(/^#\/?/, "").split("/");
  if (!enrolled || !boot) return enrolView(ticket);
  if (path === "thu-ho-so") return captureView(ticket);
  if (path === "ho-so" && arg) return dossierView(ticket, arg);
  return homeView(ticket);
}

// --- enrolment ---------------------------------------------------------------------------------

function enrolView(ticket) {
  if (!show(`
    <h1>Đăng ký thiết bị</h1>
    <p>Quản trị xã cấp mã đăng ký cho tổ (trang Quản trị → Thiết bị). Chụp mã QR hoặc gõ mã.</p>
    <p id="message" role="alert" hidden></p>
    <form id="enrol" class="card">
      <label for="qr">Chụp mã QR đăng ký</label>
      <input id="qr" type="file" accept="image/*" capture="environment">
      <label for="code">Mã đăng ký</label>
      <input id="code" name="code" autocomplete="off" autocapitalize="characters" placeholder="XXXX-XXXX-XXXX" required>
      <label for="name">Tên thiết bị</label>
      <input id="name" name="name" placeholder="vd. Điện thoại chị Lan">
      <button type="submit">Đăng ký</button>
    </form>`, ticket)) return false;
  document.getElementById("qr").addEventListener("change", async (event) => {
    const [file] = event.target.files;
    if (!file) return;
    message("", "");
    for (const text of await readQr(file)) {
      try {
        const payload = JSON.parse(text);
        if (payload.v === 1 && payload.code) {
          document.getElementById("code").value = payload.code;
          if (payload.server && new URL(payload.server).origin !== location.origin) {
            message("warning", `Mã này của máy chủ ${payload.server}; hãy mở ứng dụng từ địa chỉ đó.`);
          }
          return;
        }
      } catch {
        // not the enrolment QR
      }
    }
    message("error", "Không đọc được mã QR đăng ký trong ảnh; hãy chụp lại gần hơn hoặc gõ mã.");
  });
  document.getElementById("enrol").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const enrolled = await call("POST", "/api/v1/devices/enroll", { code: form.get("code"), name: form.get("name") || "", app_version: "field-app/0.1" }, { auth: false });
      await store.setSettings({ token: enrolled.token, device_id: enrolled.device_id, revoked: null });
      await refreshBootstrap();
      location.hash = "#/";
      await route();
      sync(); // dossiers kept from before a revocation go now
    } catch (error) {
      message("error", explain(error));
    }
  });
  return true;
}

// --- home --------------------------------------------------------------------------------------

async function homeView(ticket) {
  const dossiers = await store.allDossiers();
  const items = await store.allItems();
  const revokedNote = await store.getSetting("revoked");
  const labels = boot.vocabulary;
  const estimate = navigator.storage?.estimate ? await navigator.storage.estimate() : null;
  const rows = dossiers
    .map((d) => {
      const status = d.status ? labels.statuses[d.status.code] : "";
      const standing = ["overdue", "due_soon", "paused"].includes(d.standing) ? ` <span class="badge ${d.standing}">${esc(labels.standings[d.standing])}</span>` : "";
      return `<li><a href="#/ho-so/${esc(d.id)}"><strong>${esc(d.body.applicant.full_name)}</strong>
        <span>${esc(procedureName(d.body.procedure_code))}</span>
        <span class="state ${esc(d.state)}">${esc(boot.vocabulary.outbox_states[d.state] || d.state)}${d.code ? ` · ${esc(d.code)}` : ""}</span>
        ${status ? `<span>${esc(status)}${d.due_date ? `, hẹn ${vnDate(d.due_date)}` : ""}${standing}</span>` : ""}
        ${d.detail ? `<span class="error">${esc(d.detail)}</span>` : ""}</a></li>`;
    })
    .join("");
  const waiting = dossiers.filter((d) => d.state === "pending" || d.state === "batched").length + items.filter((i) => i.state !== "committed").length;
  if (!show(`
    <h1>${esc(boot.team.name)}</h1>
    <p class="muted">${esc(boot.commune.name)}</p>
    ${revokedNote ? `<p class="error" role="alert">${esc(revokedNote)} Hồ sơ chưa gửi vẫn còn trên máy: <a href="#/" id="reenrol">đăng ký lại</a>.</p>` : ""}
    <p id="message" role="status" hidden></p>
    <div class="actions">
      <a class="button" href="#/thu-ho-so">Thu hồ sơ mới</a>
      <button type="button" id="sync" ${busy ? "disabled" : ""}>Gửi và nhận tin${waiting ? ` (${waiting} chờ gửi)` : ""}</button>
    </div>
    <p id="progress" class="muted" aria-live="polite"></p>
    <h2>Hồ sơ trên máy</h2>
    <ul class="dossiers">${rows || "<li class=\"muted\">Chưa có hồ sơ nào.</li>"}</ul>
    <p class="muted">${estimate ? `Bộ nhớ: đã dùng ${bytes(estimate.usage || 0)}, còn ${bytes(Math.max(0, (estimate.quota || 0) - (estimate.usage || 0)))}.` : ""}
      <span id="persisted"></span></p>
    <p><button type="button" class="secondary" id="signout">Đăng xuất thiết bị</button></p>`, ticket)) return false;
  document.getElementById("sync").addEventListener("click", () => sync(true));
  document.getElementById("signout").addEventListener("click", signOut);
  document.getElementById("reenrol")?.addEventListener("click", async (event) => {
    event.preventDefault();
    await store.clearDevice();
    await route();
  });
  if (navigator.storage?.persisted) {
    const persisted = await navigator.storage.persisted();
    const note = document.getElementById("persisted"); // gone if the page changed meanwhile
    if (note) note.textContent = persisted ? "Dữ liệu được giữ lâu dài." : "";
  }
  return true;
}

async function signOut() {
  const waiting = await store.hasWork();
  const warning = waiting ? "Còn hồ sơ chưa gửi; chúng vẫn ở trên máy và được gửi sau khi đăng ký lại. " : "";
  if (!confirm(`${warning}Đăng xuất thiết bị này?`)) return;
  await store.clearDevice();
  await route();
}

function procedureName(code) {
  return boot.procedures.find((p) => p.code === code)?.name ?? code;
}

// --- sync --------------------------------------------------------------------------------------

async function sync(byHand = false) {
  if (busy) {
    again = true; // something was saved meanwhile: push once more when this round ends
    return;
  }
  if (!(await store.getSetting("token"))) return;
  busy = true;
  again = false;
  online();
  const progress = document.getElementById("progress");
  const button = document.getElementById("sync");
  if (button) button.disabled = true;
  let note = ["", ""];
  try {
    const report = await push(({ done, files, sent, size }) => {
      if (progress) progress.textContent = `Đang tải ảnh lên: ${bytes(sent)} / ${bytes(size)} (xong ${done}/${files} ảnh)`;
    });
    // What the office now holds shows at once; its news follows after one more round trip.
    if (report.results.length) await route({ quiet: true });
    const pulled = await pull();
    boot = await store.getSetting("bootstrap"); // the push may have fetched a newer one
    if (pulled.catalogRevision !== boot.catalog_revision) boot = await refreshBootstrap();
    const refused = report.results.filter((r) => !report.settled.includes(r.outcome));
    const sent = report.results.length - refused.length;
    note = [
      refused.length ? "error" : "flash",
      [
        sent ? `Đã gửi ${sent} mục.` : byHand ? "Không có gì chờ gửi." : "",
        pulled.changes.length ? `${pulled.changes.length} tin mới từ bộ phận một cửa.` : "",
        refused.length ? `${refused.length} mục bị từ chối: ${refused.map((r) => r.detail).join("; ")}` : "",
      ].filter(Boolean).join(" "),
    ];
  } catch (error) {
    if (!(await revoked(error))) note = ["error", explain(error)];
  } finally {
    busy = false;
  }
  // News from the office shows at once, unless it would wipe what is typed or said on the page.
  if (await route({ quiet: true })) say(...note);
  online();
  if (again && navigator.onLine) sync();
}

// --- capture -----------------------------------------------------------------------------------

function documentInputs(procedure, only = null) {
  return procedure.documents
    .filter((d) => !only || only.includes(d.key))
    .map((d) => `<fieldset class="doc"><legend>${esc(d.name)}${d.required && !only ? " <span class=\"req\">(bắt buộc)</span>" : ""}</legend>
      <label for="doc-${esc(d.key)}">Chụp các trang</label>
      <input id="doc-${esc(d.key)}" data-key="${esc(d.key)}" type="file" accept="image/*" capture="environment" multiple>
      <span class="muted" id="count-${esc(d.key)}"></span></fieldset>`)
    .join("");
}

function captureView(ticket) {
  const options = boot.procedures.map((p) => `<option value="${esc(p.code)}">${esc(p.name)} (${esc(p.code)})</option>`).join("");
  if (!show(`
    <p><a href="#/">← Hồ sơ trên máy</a></p>
    <h1>Thu hồ sơ mới</h1>
    <p id="message" role="alert" hidden></p>
    <form id="capture" class="card" novalidate>
      <label for="search">Tìm thủ tục (gõ không dấu được)</label>
      <input id="search" type="search" autocomplete="off" placeholder="vd. khai sinh">
      <label for="procedure">Thủ tục</label>
      <select id="procedure" name="procedure" required><option value="">— Chọn thủ tục —</option>${options}</select>
      <div id="documents"></div>
      <h2>Người nộp</h2>
      <label for="card">Chụp mã QR trên căn cước (điền sẵn thông tin)</label>
      <input id="card" type="file" accept="image/*" capture="environment">
      <label for="full_name">Họ và tên</label><input id="full_name" name="full_name" required>
      <label for="id_number">Số định danh (12 số)</label><input id="id_number" name="id_number" inputmode="numeric" pattern="\\d{12}" required>
      <label for="birth_date">Ngày sinh</label><input id="birth_date" name="birth_date" type="date">
      <label for="gender">Giới tính</label>
      <select id="gender" name="gender"><option value="">—</option>${Object.entries(boot.vocabulary.genders).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")}</select>
      <label for="address">Địa chỉ</label><input id="address" name="address">
      <label for="phone">Điện thoại</label><input id="phone" name="phone" inputmode="tel">
      <label for="place">Nơi thu hồ sơ</label><input id="place" name="place" placeholder="vd. Thôn Bắc Vàn">
      <label for="delivery">Nhận kết quả</label>
      <select id="delivery" name="delivery">${Object.entries(boot.vocabulary.deliveries).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")}</select>
      <label for="delivery_address">Địa chỉ nhận qua bưu chính (để trống: địa chỉ người nộp)</label><input id="delivery_address" name="delivery_address">
      <label for="level">Mức độ hài lòng của người dân (nếu có)</label>
      <select id="level" name="level"><option value="">— Chưa hỏi —</option>${Object.entries(boot.vocabulary.levels).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")}</select>
      <label class="check"><input type="checkbox" id="consent" name="consent"> Người nộp đồng ý cho xử lý dữ liệu cá nhân để giải quyết hồ sơ (bắt buộc, Luật 91/2025)</label>
      <input type="hidden" id="cccd_qr" name="cccd_qr">
      <button type="submit">Lưu hồ sơ vào máy</button>
    </form>`, ticket)) return false;
  editing = true;
  const select = document.getElementById("procedure");
  document.getElementById("search").addEventListener("input", (event) => {
    const needle = fold(event.target.value.trim());
    for (const option of select.options) {
      if (option.value) option.hidden = needle && !fold(option.textContent).includes(needle);
    }
    const first = [...select.options].find((o) => o.value && !o.hidden);
    if (needle && first) select.value = first.value;
    select.dispatchEvent(new Event("change"));
  });
  select.addEventListener("change", () => {
    const procedure = boot.procedures.find((p) => p.code === select.value);
    document.getElementById("documents").innerHTML = procedure ? `<h2>Giấy tờ</h2>${documentInputs(procedure)}` : "";
    countPages();
  });
  document.getElementById("card").addEventListener("change", fillFromCard);
  document.getElementById("capture").addEventListener("submit", saveDossier);
  return true;
}

function countPages() {
  for (const input of document.querySelectorAll("input[data-key]")) {
    input.addEventListener("change", () => {
      document.getElementById(`count-${input.dataset.key}`).textContent = input.files.length ? `${input.files.length} trang` : "";
    });
  }
}

async function fillFromCard(event) {
  const [file] = event.target.files;
  if (!file) return;
  message("", "");
  const texts = await readQr(file);
  for (const text of texts) {
    try {
      const card = parseCccd(text, boot.cccd_rules, vietnamToday());
      for (const key of ["full_name", "id_number", "birth_date", "gender", "address"]) document.getElementById(key).value = card[key];
      document.getElementById("cccd_qr").value = text;
      message("flash", `Đã đọc căn cước của ${card.full_name}.`);
      return;
    } catch (error) {
      if (!(error instanceof CccdError)) throw error;
      message("error", explain(error));
      return;
    }
  }
  message("error", "Không đọc được mã QR trong ảnh; hãy chụp lại rõ hơn hoặc nhập tay.");
}

async function photos(inputs, mode = "document") {
  const documents = [];
  const scans = [];
  for (const input of inputs) {
    let page = 0;
    for (const file of input.files) {
      page += 1;
      const scan = await normalise(file, input.dataset.key === boot.cccd_rules.document ? "id_card" : mode, boot.normalise);
      scans.push(scan);
      documents.push({ key: input.dataset.key, sha256: scan.sha256, page, media_type: scan.media_type });
    }
  }
  return { documents, scans };
}

async function saveDossier(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const procedure = boot.procedures.find((p) => p.code === form.get("procedure"));
  if (!procedure) return message("error", "Hãy chọn thủ tục.");
  if (!form.get("consent")) return message("error", "Cần sự đồng ý của người nộp.");
  if (!form.get("full_name") || !/^\d{12}$/.test(form.get("id_number") || "")) {
    return message("error", "Cần họ tên và số định danh 12 chữ số (hoặc chụp mã QR căn cước).");
  }
  const inputs = [...document.querySelectorAll("input[data-key]")];
  const missing = procedure.documents.filter((d) => d.required && !inputs.find((i) => i.dataset.key === d.key)?.files.length);
  if (missing.length) return message("error", `Thiếu giấy tờ bắt buộc: ${missing.map((d) => d.name).join(", ")}.`);
  const delivery = deliveryChoice(form.get("delivery"), form.get("delivery_address") || form.get("address"));
  if (!delivery) return message("error", "Trả kết quả qua bưu chính cần địa chỉ nhận.");
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  message("flash", "Đang chuẩn hoá ảnh…");
  try {
    const { documents, scans } = await photos(inputs);
    const applicant = { full_name: form.get("full_name").trim(), id_number: form.get("id_number").trim() };
    for (const key of ["birth_date", "gender", "address", "phone"]) if (form.get(key)) applicant[key] = form.get(key).trim();
    const dossier = {
      id: ulid(),
      procedure_code: procedure.code,
      catalog_revision: boot.catalog_revision,
      applicant,
      consent: true,
      documents,
      captured_at: new Date().toISOString(),
      capture_place: (form.get("place") || "").trim(),
      delivery,
      note: "",
      cccd_qr: form.get("cccd_qr") || "",
    };
    await store.addDossier(dossier, scans);
    if (form.get("level")) await store.addItem({ id: ulid(), kind: "rating", body: { dossier_id: dossier.id, level: form.get("level"), comment: "" } });
    editing = false;
    location.hash = "#/";
    if (navigator.onLine) sync();
  } catch (error) {
    button.disabled = false;
    message("error", explain(error));
  }
}

// --- one dossier -------------------------------------------------------------------------------

/** Where the result goes, or null when the post is chosen without an address. */
function deliveryChoice(method, address) {
  const where = (address || "").trim();
  if (method !== "post") return { method: "counter", address: "" };
  return where ? { method, address: where } : null;
}

/** The latest word on where the dossier's result goes: a request still on the device, else the
 * office's last change-delivery event, else what was captured. */
function currentDelivery(dossier, changes, items) {
  let current = { pending: false, ...(dossier.body.delivery || { method: "counter", address: "" }) };
  for (const c of changes) if (c.action === CHANGE_DELIVERY) current = { method: c.payload.channel, address: c.payload.address || "", pending: false };
  const queued = items.filter((i) => i.kind === "delivery" && i.body.dossier_id === dossier.id && ["pending", "batched"].includes(i.state));
  if (queued.length) current = { ...queued[queued.length - 1].body.delivery, pending: true };
  return current;
}

async function dossierView(ticket, id) {
  const dossier = await store.getDossier(id);
  if (!dossier) return homeView(ticket);
  const labels = boot.vocabulary;
  const changes = await store.changesFor(id);
  const procedure = boot.procedures.find((p) => p.code === dossier.body.procedure_code);
  const names = Object.fromEntries((procedure?.documents ?? []).map((d) => [d.key, d.name]));
  const moves = changes.filter((c) => c.action !== CHANGE_DELIVERY);
  const last = moves[moves.length - 1];
  const asked = last?.action === "request-supplement" ? last.payload.items : [];
  const items = await store.allItems();
  const rated = items.some((i) => i.kind === "rating" && i.body.dossier_id === id);
  const delivery = currentDelivery(dossier, changes, items);
  const byPost = delivery.method === "post";
  const timeline = changes
    .map((c) => {
      const details = [
        ...(c.payload.items || []).map((i) => `${names[i.document_key] || i.document_key}: ${labels.problems[i.problem]}${i.note ? ` (${i.note})` : ""}`),
        c.payload.reason,
        c.payload.result_summary,
        c.payload.channel ? `${labels.deliveries[c.payload.channel]}${c.payload.address ? `: ${c.payload.address}` : ""}` : "",
      ].filter(Boolean);
      return `<li><strong>${esc(labels.events[c.action] || c.action)}</strong> — ${esc(labels.statuses[c.status.code])}
        <span class="muted">${vnDate(c.at)}</span>${details.length ? `<br>${details.map(esc).join("<br>")}` : ""}</li>`;
    })
    .join("");
  if (!show(`
    <p><a href="#/">← Hồ sơ trên máy</a></p>
    <h1>${esc(dossier.body.applicant.full_name)}</h1>
    <p>${esc(procedure?.name ?? dossier.body.procedure_code)}</p>
    <p id="message" role="alert" hidden></p>
    <dl class="facts">
      <dt>Trên máy</dt><dd>${esc(labels.outbox_states[dossier.state] || dossier.state)}</dd>
      <dt>Mã hồ sơ</dt><dd>${esc(dossier.code || "chưa có")}</dd>
      <dt>Tại một cửa</dt><dd>${dossier.status ? esc(labels.statuses[dossier.status.code]) : "—"}</dd>
      <dt>Hẹn trả</dt><dd>${vnDate(dossier.due_date)}${dossier.standing ? ` (${esc(labels.standings[dossier.standing])})` : ""}</dd>
      ${dossier.extended_due_date ? `<dt>Hẹn lại</dt><dd>${vnDate(dossier.extended_due_date)} (cơ quan đã xin lỗi)</dd>` : ""}
      <dt>Nhận kết quả</dt><dd>${esc(labels.deliveries[delivery.method])}${byPost ? `: ${esc(delivery.address)}` : ""}${delivery.pending ? " (chờ gửi)" : ""}</dd>
      ${dossier.detail ? `<dt>Ghi chú</dt><dd class="error">${esc(dossier.detail)}</dd>` : ""}
    </dl>
    ${asked.length ? `<form id="supplement" class="card"><h2>Bổ sung theo yêu cầu</h2>
      <ul>${asked.map((i) => `<li>${esc(names[i.document_key] || i.document_key)}: ${esc(labels.problems[i.problem])}${i.note ? ` — ${esc(i.note)}` : ""}</li>`).join("")}</ul>
      ${procedure ? documentInputs(procedure, asked.map((i) => i.document_key)) : ""}
      <button type="submit">Lưu phần bổ sung</button></form>` : ""}
    ${rated ? "" : `<form id="rating" class="card"><h2>Mức độ hài lòng</h2>
      <label for="rating-level">Người dân đánh giá</label>
      <select id="rating-level" name="level" required><option value="">— Chọn —</option>${Object.entries(labels.levels).map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join("")}</select>
      <button type="submit">Lưu đánh giá</button></form>`}
    <form id="delivery" class="card"><h2>Nơi nhận kết quả</h2>
      ${byPost
        ? `<input type="hidden" name="method" value="counter"><button type="submit" class="secondary">Thôi gửi bưu chính, nhận tại bộ phận một cửa</button>`
        : `<input type="hidden" name="method" value="post">
          <label for="delivery-address">Người dân muốn nhận kết quả qua bưu chính tại địa chỉ</label>
          <input id="delivery-address" name="address" value="${esc(dossier.body.applicant.address || "")}">
          <button type="submit">Lưu yêu cầu gửi bưu chính</button>`}</form>
    <h2>Quá trình</h2>
    <ol class="timeline">${timeline || "<li class=\"muted\">Chưa có tin từ bộ phận một cửa.</li>"}</ol>`, ticket)) return false;
  document.getElementById("rating")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const level = new FormData(event.target).get("level");
    if (!level) return message("error", "Hãy chọn một mức độ hài lòng.");
    await store.addItem({ id: ulid(), kind: "rating", body: { dossier_id: id, level, comment: "" } });
    location.hash = "#/";
    if (navigator.onLine) sync();
  });
  document.getElementById("delivery").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const chosen = deliveryChoice(form.get("method"), form.get("address"));
    if (!chosen) return message("error", "Trả kết quả qua bưu chính cần địa chỉ nhận.");
    await store.addItem({ id: ulid(), kind: "delivery", body: { dossier_id: id, delivery: chosen } });
    location.hash = "#/";
    if (navigator.onLine) sync();
  });
  document.getElementById("supplement")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    editing = true;
    const inputs = [...event.target.querySelectorAll("input[data-key]")].filter((i) => i.files.length);
    if (!inputs.length) return message("error", "Hãy chụp ít nhất một trang bổ sung.");
    const { documents, scans } = await photos(inputs);
    await store.addItem({ id: ulid(), kind: "supplement", body: { dossier_id: id, documents, note: "" } }, scans);
    editing = false;
    location.hash = "#/";
    if (navigator.onLine) sync();
  });
  return true;
}

// --- start -------------------------------------------------------------------------------------

async function start() {
  online();
  view.addEventListener("input", () => {
    touched = true;
  });
  window.addEventListener("online", () => {
    online();
    sync();
  });
  window.addEventListener("offline", online);
  window.addEventListener("hashchange", () => route());
  if ("serviceWorker" in navigator) {
    const hadController = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (!hadController) return;
      if (editing) {
        banner.hidden = false;
        banner.textContent = "Đã có bản mới của ứng dụng: lưu xong hồ sơ rồi tải lại trang.";
      } else {
        location.reload();
      }
    });
    navigator.serviceWorker.register("sw.js").catch(() => {});
  }
  navigator.storage?.persist?.();
  await route();
  if (navigator.onLine && (await store.getSetting("token"))) sync();
}

start();
