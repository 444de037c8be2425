#!/usr/bin/env node
// Parses a Xen save image with the generated JavaScript parsers (./generated/,
// made by `node generators/ksc.js --regen`) and prints its canonical JSON tree.
//
//   node conformance/adapters/kaitai-js/dump.js FILE [--type xl|libxl|libxc]
//
// FILE may be `-` for standard input. Without --type the layer is told from
// the first octets. The tree follows the rules of xensave/kaitai_tree.py, which
// walks the generated Python parsers the same way, so for one image both print
// the same bytes:
//
// * a parsed structure is a JSON object of its seq fields, in seq order, with
//   the ksy's snake_case names; fields whose `if` is false are left out;
//   instances and type parameters are not shown;
// * integers (enums by value) are numbers; 2^53 and above are decimal strings;
// * byte strings of up to 64 octets are lowercase hex, longer ones are
//   {"length": n, "sha256": hex};
// * compact JSON, ASCII only, final newline.
//
// Exit 0 with the tree; 1 with {"error": "...", "kind": "..."} when the parser
// rejects the image (`error` is the runtime's message, `kind` the error class,
// EOFError for any lack of data, the same in both languages); 2 for usage or
// I/O errors.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const KaitaiStream = require('kaitai-struct/KaitaiStream');

const HEX_LIMIT = 64;
const EXACT_LIMIT = 2n ** 53n;

const LAYERS = {
  xl: { module: 'XenXlSaveFile', magic: Buffer.from('Xen saved domain, xl format\n \0 \r', 'latin1') },
  libxl: { module: 'XenLibxlStream', magic: Buffer.from('LibxlFmt', 'latin1') },
  libxc: { module: 'XenLibxcStream', magic: Buffer.alloc(8, 0xff) },
};

// JavaScript numbers hold integers exactly only up to 2^53, and the runtime
// reads u8 fields into numbers. Read them as BigInt instead: the ksy never
// does arithmetic on a u8 field, so nothing in the generated parsers minds.
KaitaiStream.prototype.readU8le = function readU8le() {
  this.ensureBytesLeft(8);
  const lo = BigInt(this.readU4le());
  const hi = BigInt(this.readU4le());
  return (hi << 32n) | lo;
};
KaitaiStream.prototype.readU8be = function readU8be() {
  this.ensureBytesLeft(8);
  const hi = BigInt(this.readU4be());
  const lo = BigInt(this.readU4be());
  return (hi << 32n) | lo;
};

// The runtime truncates every byte count to a signed 32-bit integer before it
// checks that enough data is left, so a length of 2^31 or more (a u4 length
// field can hold one) ends in a RangeError rather than the end-of-stream error
// the Python runtime raises. Check the untruncated count first.
const mapUint8Array = KaitaiStream.prototype.mapUint8Array;
KaitaiStream.prototype.mapUint8Array = function mapUint8ArrayChecked(length) {
  this.ensureBytesLeft(length);
  return mapUint8Array.call(this, length);
};

class UsageError extends Error {}

function detectLayer(data) {
  for (const [layer, { magic }] of Object.entries(LAYERS)) {
    if (data.length >= magic.length && data.subarray(0, magic.length).equals(magic)) return layer;
  }
  throw new UsageError('cannot tell the layer from the first octets; pass --type');
}

function parserClass(layer) {
  const entry = LAYERS[layer];
  if (!entry) throw new UsageError(`unknown layer '${layer}'; expected one of ${Object.keys(LAYERS).join(', ')}`);
  const mod = require(path.join(__dirname, 'generated', entry.module));
  return mod[entry.module];
}

// Type parameters are the constructor arguments after _io, _parent, _root
// (and _is_le); the generated constructor stores them as own properties.
const paramCache = new Map();
function paramsOf(ctor) {
  let params = paramCache.get(ctor);
  if (!params) {
    const m = /^function\s*[\w$]*\s*\(([^)]*)\)/.exec(Function.prototype.toString.call(ctor));
    if (!m) throw new Error(`cannot read the parameters of ${ctor.name}`);
    params = new Set(
      m[1]
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('_')),
    );
    paramCache.set(ctor, params);
  }
  return params;
}

// The generated code spells ids in lowerCamelCase; the ksy (and the Python
// parsers) in snake_case. No id has an underscore before a digit, so this
// round-trips.
function snake(name) {
  return name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

function isStruct(value) {
  return value !== null && typeof value === 'object' && value._io instanceof KaitaiStream;
}

function intValue(v) {
  const big = BigInt(v);
  return big >= EXACT_LIMIT || big <= -EXACT_LIMIT ? big.toString() : Number(big);
}

function bytesValue(b) {
  if (b.length <= HEX_LIMIT) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  return { length: b.length, sha256: crypto.createHash('sha256').update(b).digest('hex') };
}

function tree(value) {
  if (isStruct(value)) {
    const params = paramsOf(value.constructor);
    const out = {};
    for (const key of Object.keys(value)) {
      if (key.startsWith('_') || params.has(key)) continue;
      out[snake(key)] = tree(value[key]);
    }
    return out;
  }
  if (typeof value === 'bigint') return intValue(value);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`non-integer number ${value}`);
    return intValue(value);
  }
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return bytesValue(value);
  if (Array.isArray(value)) return value.map(tree);
  if (value === null || value === undefined) return null;
  throw new Error(`no JSON form for ${Object.prototype.toString.call(value)}`);
}

function dumps(value) {
  // JSON.stringify leaves non-ASCII as is; escape it as Python's ensure_ascii does.
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '\n';
}

// The runtime-independent name of a parse failure (see error_kind in
// xensave/kaitai_tree.py): the validation error class, or EOFError for every
// way of running out of data.
function errorKind(err) {
  if (err instanceof KaitaiStream.EOFError) return 'EOFError';
  if (err && /^End of stream reached, but no terminator/.test(err.message || '')) return 'EOFError';
  return (err && (err.name || (err.constructor && err.constructor.name))) || 'Error';
}

function errorTree(err) {
  const kind = errorKind(err);
  const text = (err && err.message) || String(err);
  return { error: `${kind}: ${text}`, kind };
}

function parseArgs(argv) {
  let file = null;
  let layer = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--type') {
      if (i + 1 >= argv.length) throw new UsageError('--type needs a value');
      layer = argv[++i];
    } else if (a.startsWith('--type=')) {
      layer = a.slice('--type='.length);
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option ${a}`);
    } else if (file === null) {
      file = a;
    } else {
      throw new UsageError('only one FILE');
    }
  }
  if (file === null) throw new UsageError('no FILE');
  if (layer !== null && !LAYERS[layer]) {
    throw new UsageError(`unknown layer '${layer}'; expected one of ${Object.keys(LAYERS).join(', ')}`);
  }
  return { file, layer };
}

function main(argv) {
  let data;
  let Parser;
  try {
    const args = parseArgs(argv);
    data = fs.readFileSync(args.file === '-' ? 0 : args.file);
    Parser = parserClass(args.layer || detectLayer(data));
  } catch (err) {
    if (!(err instanceof UsageError) && !(err && err.code)) throw err;
    process.stderr.write(`dump.js: ${err.message}\n`);
    process.stderr.write('usage: node dump.js FILE [--type xl|libxl|libxc]\n');
    return 2;
  }
  let result;
  try {
    result = tree(new Parser(new KaitaiStream(data)));
  } catch (err) {
    process.stdout.write(dumps(errorTree(err)));
    return 1;
  }
  process.stdout.write(dumps(result));
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}

module.exports = { tree, dumps, detectLayer, parserClass, main };
