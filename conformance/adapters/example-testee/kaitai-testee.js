#!/usr/bin/env node
// A persistent-protocol testee in JavaScript (spec/harness-protocol.md): judges
// each image with the generated Kaitai Struct JavaScript parsers, exactly as
// ../kaitai-js/dump.js parses a file, and answers "accept" when the parser reads
// the image through, "reject" with the parser's error otherwise.
//
//   xensave conformance run --persistent-impl 'mine=node kaitai-testee.js'
//
// The protocol in short. Requests on stdin, one after another:
//   u32le header_len, u64le image_len, header (UTF-8 JSON), image (raw bytes)
// One response on stdout per request, in order:
//   u32le body_len, body (UTF-8 JSON: {"verdict": "accept"|"reject"|..., ...})
// stdin ending at a request boundary means: exit 0. Nothing else may go to stdout.
'use strict';

const fs = require('fs');
const path = require('path');
const KaitaiStream = require('kaitai-struct/KaitaiStream');
// dump.js patches the runtime (64-bit integers, long lengths) when loaded, and
// exports the layer detection and parser lookup it uses itself.
const dump = require(path.join(__dirname, '..', 'kaitai-js', 'dump.js'));

// Read exactly n bytes from stdin; null at end of input before the first byte.
function readExact(n) {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    let k;
    try {
      k = fs.readSync(0, buf, got, n - got, null);
    } catch (err) {
      if (err.code === 'EAGAIN') continue;
      if (err.code === 'EOF') k = 0;
      else throw err;
    }
    if (k === 0) {
      if (got === 0) return null;
      throw new Error(`end of input after ${got} of ${n} bytes`);
    }
    got += k;
  }
  return buf;
}

function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function respond(body) {
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(data.length, 0);
  writeAll(Buffer.concat([prefix, data]));
}

// The judgement: this is the part to replace with one's own parser.
function judge(image) {
  let Parser;
  try {
    Parser = dump.parserClass(dump.detectLayer(image));
  } catch (err) {
    return { verdict: 'reject', message: err.message };
  }
  try {
    dump.tree(new Parser(new KaitaiStream(image)));
  } catch (err) {
    const kind = (err && err.name) || 'Error';
    return { verdict: 'reject', message: `${kind}: ${err && err.message}` };
  }
  return { verdict: 'accept' };
}

function main() {
  for (;;) {
    const prefix = readExact(12);
    if (prefix === null) return 0; // the harness closed stdin: done
    const headerLen = prefix.readUInt32LE(0);
    const imageLen = Number(prefix.readBigUInt64LE(4));
    const header = JSON.parse(readExact(headerLen).toString('utf8'));
    const image = imageLen ? readExact(imageLen) : Buffer.alloc(0);
    let body;
    try {
      body = judge(image);
    } catch (err) {
      body = { verdict: 'error', message: String(err && err.stack || err) };
    }
    if (header.id !== undefined) body.id = header.id;
    respond(body);
  }
}

process.exitCode = main();
