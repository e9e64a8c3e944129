// The field app's CCCD parser against the cases media.parse_cccd passes, with the server's rules.
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCccd } from "../src/cccd.js";

const here = new URL(".", import.meta.url);
const cases = JSON.parse(readFileSync(new URL("../../../../tests/media/cccd_cases.json", here), "utf8"));
const rules = JSON.parse(process.env.CCCD_RULES ?? readFileSync(process.env.CCCD_RULES_FILE, "utf8"));

for (const c of cases.valid) {
  test(`valid: ${c.payload.slice(0, 24)}`, () => {
    assert.deepEqual(parseCccd(c.payload, rules, c.today), c.record);
  });
}

for (const c of cases.invalid) {
  test(`invalid (${c.rule}): ${c.payload.slice(0, 24)}`, () => {
    assert.throws(() => parseCccd(c.payload, rules, c.today), (error) => error.rule === c.rule);
  });
}
