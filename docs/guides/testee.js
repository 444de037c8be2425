#!/usr/bin/env node
// A minimal xensave testee in JavaScript (Node.js, no packages), for the guide
// "Test your implementation". It speaks both protocols of
// spec/harness-protocol.md:
//
//   node testee.js IMAGE      exit-code protocol: exit 0 accept, 1 reject
//   node testee.js            persistent protocol on stdin/stdout
//
// Its judgement is deliberately small: it checks the 24-octet image header of
// a bare libxc stream (marker, "XENF", version 2 or 3, reserved bits) and
// declines every other layer as "unsupported". Put your own parser in judge().
'use strict';
const fs = require('fs');

function judge(buf) {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(Buffer.alloc(8, 0xff))) {
    return { verdict: 'unsupported', message: 'not a bare libxc stream' };
  }
  const diag = (rule, offset, message) =>
    ({ verdict: 'reject', message, diagnostics: [{ rule, offset, message }] });
  if (buf.readUInt32BE(8) !== 0x58454e46) return diag('XC-HDR-002', 8, 'id is not XENF');
  const version = buf.readUInt32BE(12);
  if (version !== 2 && version !== 3) return diag('XC-HDR-003', 12, `version ${version}`);
  if (buf.readUInt16BE(16) & 0xfffe) return diag('XC-HDR-004', 16, 'reserved option bits set');
  if (buf.readUInt16BE(18) !== 0 || buf.readUInt32BE(20) !== 0) {
    return diag('XC-HDR-005', 18, 'reserved fields not zero');
  }
  return { verdict: 'accept', summary: { layer: 'libxc', version } };
}

if (process.argv.length > 2) {            // exit-code protocol
  const v = judge(fs.readFileSync(process.argv[2]));
  if (v.verdict !== 'accept') console.error(v.message);
  process.exit(v.verdict === 'accept' ? 0 : v.verdict === 'reject' ? 1 : 2);
}

// persistent protocol: frames of u32 header_len, u64 image_len, JSON header, image
let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  for (;;) {
    if (pending.length < 12) return;
    const hlen = pending.readUInt32LE(0);
    const ilen = Number(pending.readBigUInt64LE(4));
    if (pending.length < 12 + hlen + ilen) return;
    const header = JSON.parse(pending.subarray(12, 12 + hlen).toString('utf8'));
    const image = pending.subarray(12 + hlen, 12 + hlen + ilen);
    pending = pending.subarray(12 + hlen + ilen);
    const body = Buffer.from(JSON.stringify({ id: header.id, ...judge(image) }), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length, 0);
    process.stdout.write(Buffer.concat([len, body]));
  }
});
process.stdin.on('end', () => process.exit(0));
