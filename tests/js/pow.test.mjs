// console/static/resident/pow.js: the page's SHA-256 agrees with node's, and a solved answer
// has the leading zero bits the server checks (dispatch/challenge.py).
import assert from "node:assert/strict"
import { createHash } from "node:crypto"
import { test } from "node:test"

import { leadingZeroBits, sha256, solve } from "../../console/static/resident/pow.js"

const hex = (bytes) => Buffer.from(bytes).toString("hex")
const enc = new TextEncoder()

test("sha256 matches node's for empty, short, block-edge and long inputs", () => {
  for (const n of [0, 1, 3, 55, 56, 63, 64, 65, 119, 1000]) {
    const text = "扫码说事:".repeat(n).slice(0, n)
    const bytes = enc.encode(text)
    assert.equal(hex(sha256(bytes)), createHash("sha256").update(bytes).digest("hex"), `n=${n}`)
  }
})

test("leading zero bits", () => {
  assert.equal(leadingZeroBits(Uint8Array.from([0, 0, 0x80])), 16)
  assert.equal(leadingZeroBits(Uint8Array.from([0, 1])), 15)
  assert.equal(leadingZeroBits(Uint8Array.from([0x0f])), 4)
})

test("solve finds an answer the server accepts", async () => {
  const nonce = "ab".repeat(16)
  const answer = await solve(nonce, 10)
  const digest = createHash("sha256").update(`${nonce}:${answer}`).digest()
  assert.ok(leadingZeroBits(digest) >= 10)
})
