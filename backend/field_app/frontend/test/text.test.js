// Text helpers: the diacritic-free search fold as the server's, Vietnam dates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fold, vnDate } from "../src/text.js";

test("fold drops diacritics and đ like the server's search", () => {
  assert.equal(fold("Trần Hữu Đạt"), "tran huu dat");
  assert.equal(fold("Cấp Giấy xác nhận tình trạng hôn nhân"), "cap giay xac nhan tinh trang hon nhan");
});

test("an instant is shown as its date in Vietnam", () => {
  assert.equal(vnDate("2026-03-01T18:30:00Z"), "02/03/2026");
  assert.equal(vnDate("2026-03-05"), "05/03/2026");
});
