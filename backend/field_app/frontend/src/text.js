// Text helpers shared by the views.

/** Lower case without diacritics ("Trần Hữu Đạt" -> "tran huu dat"), as the server's search folds. */
export function fold(text) {
  return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

const VIETNAM = new Intl.DateTimeFormat("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric" });

const ISO_IN_VIETNAM = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" });

/** Today's date in Vietnam, "YYYY-MM-DD" (a card issued today is not "in the future" at 6 am). */
export function vietnamToday() {
  return ISO_IN_VIETNAM.format(new Date());
}

/** dd/mm/yyyy from an ISO date (as it is) or an instant (its date in Vietnam). */
export function vnDate(value) {
  if (!value) return "—";
  if (value.length === 10) {
    const [y, m, d] = value.split("-");
    return `${d}/${m}/${y}`;
  }
  return VIETNAM.format(new Date(value));
}

/** A byte count for people: 1,2 MB. */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
}

/** Escape text for HTML. */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
