#!/usr/bin/env node
// tools/oracle/duckdb.mjs — DuckDB as the external "oracle" for Parquet files.
//
// Usage (from the repository root, after `npm ci --ignore-scripts`):
//   node tools/oracle/duckdb.mjs read FILE [--sort] [--limit N] [--columns a,b]
//   node tools/oracle/duckdb.mjs hash FILE [--limit N] [--columns a,b]
//   node tools/oracle/duckdb.mjs schema FILE
//   node tools/oracle/duckdb.mjs count FILE
//   node tools/oracle/duckdb.mjs sql "SQL" [--sort | --hash]
//   node tools/oracle/duckdb.mjs selftest
//
//   read    SELECT * FROM read_parquet(FILE, binary_as_string=false), one canonical JSONL line per
//           row, in file order (--sort: sorted, see SORT ORDER). --limit N keeps the first N rows in
//           file order (applied before --sort); --columns a,b selects (and orders) columns.
//   hash    prints "<row count> <sha256 hex>" where the sha256 is over the sorted canonical lines
//           joined by "\n" (no trailing "\n"; zero rows hash the empty string).
//   schema  one line: a JSON array [{"name":..,"type":..},...] with DuckDB's type strings (DESCRIBE).
//   count   one line: the row count.
//   sql     runs the SQL (several ';'-separated statements allowed; all but the last are run, the
//           last one's result is printed as canonical JSONL; COPY prints {"Count":N}).
//           --sort / --hash as for read/hash.
//   selftest  checks every rule below against real DuckDB values; exit 1 on any mismatch.
// Errors: a single line "duckdb-oracle: <message>" on stderr and exit code 1.
// The session runs with TimeZone=UTC (only matters for SQL that casts; canonical values are
// timezone-free).
//
// ============================== CANONICAL JSONL ==============================
// The C++ side produces exactly this text; any change here must be mirrored there.
// Every line is one row, terminated by "\n" (no "\r"), with no spaces anywhere outside strings:
//   {"col1":v1,"col2":v2}
// * Keys: the column names in result-column order, escaped like values of type VARCHAR.
//   Duplicate column names are emitted as they are (duplicate keys).
// * Strings (VARCHAR, JSON, ENUM, and every quoted form below) use JSON.stringify's escaping:
//   '"' -> \" , '\' -> \\ , U+0008 \b, U+000C \f, U+000A \n, U+000D \r, U+0009 \t, any other
//   U+0000..U+001F -> \u00XX with lowercase hex; everything else (including U+007F, U+2028,
//   U+2029, '/', and all non-ASCII) is emitted raw as UTF-8.
// * SQL NULL at any level -> null.
// * BOOLEAN -> true / false.
// * UBIGINT -> exact decimal integer, quoted (cpglake maps UINT_64 to decimal(20,0)).
// * TINYINT SMALLINT INTEGER BIGINT UTINYINT USMALLINT UINTEGER HUGEINT UHUGEINT BIGNUM
//   -> exact decimal integer, unquoted, '-' for negatives (e.g. -9223372036854775808).
// * FLOAT / DOUBLE -> the value widened to a double, printed by JavaScript's
//   Number.prototype.toString (shortest round-trip digits; exponent form "1e+21" when the
//   exponent >= 21, "1e-7" when < -6), unquoted. -0 prints 0. A FLOAT is widened first, so
//   0.1::FLOAT prints 0.10000000149011612. NaN -> "NaN", +inf -> "Infinity", -inf -> "-Infinity"
//   (quoted strings).
// * DECIMAL(p,s) -> quoted; computed from the unscaled integer u: sign '-' if u<0, then the
//   integer part of |u| / 10^s ("0" when it is 0), then if s>0 a '.' and exactly s fractional
//   digits. E.g. "-0.05", "123", "1.10", "0.000".
// * BLOB -> "hex:" + lowercase hex of the bytes ("hex:" for an empty blob).
// * UUID -> lowercase 8-4-4-4-12 text, quoted.
// * DATE -> "d:<days since 1970-01-01>" (e.g. "d:-1"); DuckDB's infinities are its raw sentinels
//   ("d:2147483647" / "d:-2147483647").
// * TIMESTAMP, TIMESTAMP WITH TIME ZONE -> "ts:<microseconds since 1970-01-01 00:00:00 UTC>";
//   TIMESTAMP_S / TIMESTAMP_MS -> the same microseconds (seconds*10^6, millis*10^3);
//   TIMESTAMP_NS -> "ts:<floor(nanoseconds / 1000)>" (rounded toward -infinity).
//   Infinities are the raw sentinels scaled the same way (e.g. "ts:9223372036854775807").
// * TIME -> "t:<microseconds since midnight>"; TIME_NS -> "t:<floor(nanoseconds / 1000)>"
//   (DuckDB 1.5.5 reads Parquet TIME(NANOS) as TIME, so TIME_NS only comes from SQL).
// * TIME WITH TIME ZONE -> "ttz:<micros since midnight>,<offset seconds>" (offset as DuckDB
//   stores it: +01:00 -> 3600). DuckDB reads a Parquet TIME with isAdjustedToUTC=true as this
//   type, with offset 0: "ttz:39600000000,0".
// * INTERVAL -> "iv:<months>,<days>,<micros>".
// * STRUCT -> JSON object of its fields in declared order (same rules recursively).
// * LIST and ARRAY -> JSON array; empty -> [].
// * MAP -> JSON array of [key,value] pairs in stored order; empty -> [].
// Types only SQL produces (DuckDB reads no Parquet column as these): BIT -> "bit:" + the bits
// as 0/1 characters; UNION -> {"<member tag>":value}; the NULL type -> null. GEOMETRY and
// VARIANT are refused with an error (no canonical form yet).
//
// SORT ORDER (--sort, hash): lines compare as byte strings of their UTF-8 encoding (memcmp
// order = Unicode code point order), NOT JavaScript's UTF-16 code unit order. Sorting is in
// memory up to a budget (env CPGLAKE_ORACLE_SORT_BUDGET_CHARS, default 200M UTF-16 code units),
// beyond that sorted runs are spilled to a temp directory and merged, so memory stays bounded.
// ============================================================================

import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import { createRequire } from 'node:module';

// The raw bindings (same exact version as node-api depends on) read out-of-line string bytes.
const requireHere = createRequire(import.meta.url);
const bindings = requireHere(requireHere.resolve('@duckdb/node-bindings', {
  paths: [path.dirname(requireHere.resolve('@duckdb/node-api'))],
}));

// ---------------------------------------------------------------- value formatting

const quote = JSON.stringify;

function floorDiv1000(n) {
  // n: bigint. BigInt division truncates toward zero; correct it to floor.
  const q = n / 1000n;
  return n % 1000n < 0n ? q - 1n : q;
}

function decimalText(u, scale) {
  // u: unscaled integer (bigint or safe-integer number), scale >= 0.
  let neg;
  let digits;
  if (typeof u === 'bigint') {
    neg = u < 0n;
    digits = (neg ? -u : u).toString();
  } else {
    neg = u < 0;
    digits = String(neg ? -u : u);
  }
  if (scale === 0) return (neg ? '"-' : '"') + digits + '"';
  if (digits.length <= scale) digits = '0'.repeat(scale + 1 - digits.length) + digits;
  const cut = digits.length - scale;
  return (neg ? '"-' : '"') + digits.slice(0, cut) + '.' + digits.slice(cut) + '"';
}

function floatText(v) {
  if (v !== v) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return String(v); // String(-0) === "0"
}

/** Exact decimal text of the signed 64-bit integer hi:lo (two int32 halves, little endian). */
function i64Text(lo, hi) {
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + (lo >>> 0)); // |v| < 2^53
  return (BigInt(hi) * 4294967296n + BigInt(lo >>> 0)).toString();
}
/** Exact decimal text of the unsigned 64-bit integer hi:lo. */
function u64Text(lo, hi) {
  if (hi >>> 0 < 0x200000) return String((hi >>> 0) * 4294967296 + (lo >>> 0));
  return (BigInt(hi >>> 0) * 4294967296n + BigInt(lo >>> 0)).toString();
}

function hexOf(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

// ---- oversized values
// V8 strings hold at most ~2^29 UTF-16 units, and a single VARCHAR or BLOB value can be larger
// (parquet-testing's large_string_map.brotli.parquet has 1 GiB map keys). A VARCHAR/BLOB value
// of more than BIG_VALUE_BYTES bytes is therefore rendered straight from its bytes into a
// Buffer (same canonical text) and stands in the line string as a sentinel "\0<k>\0" (a raw
// U+0000 never appears otherwise: JSON escaping turns it into \u0000). Lines containing a
// sentinel become BigLine objects (a list of Buffer pieces) that the output, sort and hash code
// handle next to plain strings.
function bigValueBytes() {
  const v = process.env.CPGLAKE_ORACLE_BIG_VALUE_BYTES;
  if (v === undefined || v === '') return 16 * 1024 * 1024;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`bad CPGLAKE_ORACLE_BIG_VALUE_BYTES=${v}`);
  return n;
}
let BIG_VALUE_BYTES = bigValueBytes();
const bigValues = []; // Buffers of the current chunk, indexed by sentinel number

function bigSentinel(buf) {
  bigValues.push(buf);
  return '\u0000' + (bigValues.length - 1) + '\u0000';
}

class BigLine {
  constructor(pieces) {
    this.pieces = pieces; // Buffer[]
  }
}

function expandLine(line) {
  const parts = line.split('\u0000');
  const pieces = [];
  for (let k = 0; k < parts.length; k++) {
    if (k % 2 === 0) {
      if (parts[k].length) pieces.push(Buffer.from(parts[k], 'utf8'));
    } else {
      pieces.push(bigValues[Number(parts[k])]);
    }
  }
  return new BigLine(pieces);
}

// Byte-level JSON.stringify for valid UTF-8 input (DuckDB VARCHARs are valid UTF-8).
const SHORT_ESC = { 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0c: 'f', 0x0d: 'r', 0x22: '"', 0x5c: '\\' };
function escapedLength(c) {
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x20) return SHORT_ESC[c] ? 2 : 6;
  return 1;
}
function jsonStringBytes(bytes) {
  let len = 2;
  for (let k = 0; k < bytes.length; k++) len += escapedLength(bytes[k]);
  if (len === bytes.length + 2) {
    return Buffer.concat([Buffer.from('"'), bytes, Buffer.from('"')]);
  }
  const outBuf = Buffer.allocUnsafe(len);
  let o = 0;
  outBuf[o++] = 0x22;
  const HEX = '0123456789abcdef';
  for (let k = 0; k < bytes.length; k++) {
    const c = bytes[k];
    const n = escapedLength(c);
    if (n === 1) outBuf[o++] = c;
    else if (n === 2) { outBuf[o++] = 0x5c; outBuf[o++] = SHORT_ESC[c].charCodeAt(0); }
    else {
      outBuf[o++] = 0x5c; outBuf[o++] = 0x75; outBuf[o++] = 0x30; outBuf[o++] = 0x30;
      outBuf[o++] = HEX.charCodeAt(c >> 4); outBuf[o++] = HEX.charCodeAt(c & 15);
    }
  }
  outBuf[o++] = 0x22;
  return outBuf;
}
function hexBlobBytes(bytes) {
  const prefix = Buffer.from('"hex:');
  const outBuf = Buffer.allocUnsafe(prefix.length + 2 * bytes.length + 1);
  prefix.copy(outBuf, 0);
  const HEX = Buffer.from('0123456789abcdef');
  let o = prefix.length;
  for (let k = 0; k < bytes.length; k++) {
    outBuf[o++] = HEX[bytes[k] >> 4];
    outBuf[o++] = HEX[bytes[k] & 15];
  }
  outBuf[o] = 0x22;
  return outBuf;
}

// duckdb_string_t (16 bytes): uint32 length, then <= 12 inline bytes or a 4-byte prefix and
// a pointer.
function stringBytes(dv, at) {
  const len = dv.getUint32(at, true);
  if (len <= 12) return new Uint8Array(dv.buffer, dv.byteOffset + at + 4, len);
  return bindings.get_data_from_pointer(dv.buffer, dv.byteOffset + at + 8, len);
}
const utf8 = new TextDecoder('utf-8');

// Formatters. makeFormatter(type) returns bind(vector) -> (index) -> canonical text, where
// vector is a node-api DuckDBVector of the current chunk. bind() runs once per chunk and
// vector, and pulls the raw typed arrays and the validity bitmap out of it, so the per-value
// function does no allocation beyond its result string for the common types. Nested vectors
// index their (flat) children with absolute offsets, so nothing is sliced per row.
//
// This reads some fields of the node-api vector classes that TypeScript marks private (items,
// dataView, validity.data/offset, childData, listVector, structVector); the version is pinned
// exactly in package.json and `selftest` covers every path, including the getItem fallbacks.

/** Wraps f (which assumes a valid item) with the vector's validity bitmap. */
function withNulls(vec, f) {
  const v = vec.validity;
  if (v === undefined) {
    return (i) => (vec.getItem(i) === null ? 'null' : f(i)); // unknown layout: ask the vector
  }
  if (!v.data) return f; // no bitmap: all valid
  const off = v.offset | 0;
  // The bitmap is little-endian uint64 words; a uint32 view indexes the same bits.
  const w = new Uint32Array(v.data.buffer, v.data.byteOffset, v.data.length * 2);
  return (i) => {
    const b = off + i;
    return (w[b >>> 5] >>> (b & 31)) & 1 ? f(i) : 'null';
  };
}

/** For value types read through getItem(): f receives the non-null item. */
function viaGetItem(f) {
  return (vec) => (i) => {
    const v = vec.getItem(i);
    return v === null ? 'null' : f(v);
  };
}

const isLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function int64Binder(prefix, suffix, unsigned) {
  const text = unsigned ? u64Text : i64Text;
  return (vec) => {
    const items = vec.items;
    if (!isLE || !(items instanceof BigInt64Array || items instanceof BigUint64Array)) {
      return (i) => {
        const v = vec.getItem(i);
        if (v === null) return 'null';
        const n = typeof v === 'bigint' ? v : v.micros;
        return prefix + n + suffix;
      };
    }
    const w = new Int32Array(items.buffer, items.byteOffset, items.length * 2);
    return withNulls(vec, (i) => prefix + text(w[2 * i], w[2 * i + 1]) + suffix);
  };
}

function makeFormatter(type) {
  const id = type.typeId;
  switch (id) {
    case DuckDBTypeId.SQLNULL:
      return () => () => 'null';
    case DuckDBTypeId.BOOLEAN:
      return (vec) => {
        const dv = vec.dataView;
        if (!(dv instanceof DataView) || dv.byteLength < vec.itemCount) {
          return viaGetItem((v) => (v ? 'true' : 'false'))(vec);
        }
        return withNulls(vec, (i) => (dv.getUint8(i) !== 0 ? 'true' : 'false'));
      };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return (vec) => {
        const items = vec.items;
        if (!ArrayBuffer.isView(items) || items instanceof BigInt64Array || items instanceof BigUint64Array) {
          return viaGetItem(String)(vec);
        }
        return withNulls(vec, (i) => String(items[i]));
      };
    case DuckDBTypeId.BIGINT:
      return int64Binder('', '', false);
    case DuckDBTypeId.UBIGINT:
      // Quoted: cpglake reads Parquet UINT_64 as decimal(20,0) (as Spark does), and decimals
      // are quoted in the canonical form.
      return int64Binder('"', '"', true);
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return viaGetItem((v) => {
        if (typeof v !== 'bigint') throw new Error(`internal: ${type} produced ${typeof v}`);
        return v.toString();
      });
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return (vec) => {
        const items = vec.items;
        if (!(items instanceof Float32Array || items instanceof Float64Array)) {
          return viaGetItem(floatText)(vec);
        }
        return withNulls(vec, (i) => floatText(items[i]));
      };
    case DuckDBTypeId.DECIMAL: {
      const scale = type.scale;
      const width = type.width;
      return (vec) => {
        const dv = vec.dataView;
        if (!(dv instanceof DataView)) {
          return (i) => {
            const u = vec.getScaledValue(i);
            return u === null ? 'null' : decimalText(u, scale);
          };
        }
        let f;
        if (width <= 4) f = (i) => decimalText(dv.getInt16(2 * i, true), scale);
        else if (width <= 9) f = (i) => decimalText(dv.getInt32(4 * i, true), scale);
        else if (width <= 18) {
          f = (i) => {
            const lo = dv.getInt32(8 * i, true);
            const hi = dv.getInt32(8 * i + 4, true);
            if (hi >= -0x200000 && hi < 0x200000) return decimalText(hi * 4294967296 + (lo >>> 0), scale);
            return decimalText(dv.getBigInt64(8 * i, true), scale);
          };
        } else {
          f = (i) => decimalText((dv.getBigInt64(16 * i + 8, true) << 64n) | dv.getBigUint64(16 * i, true), scale);
        }
        return withNulls(vec, f);
      };
    }
    case DuckDBTypeId.VARCHAR: // includes JSON (an alias of VARCHAR)
      return (vec) => {
        const dv = vec.dataView;
        if (!(dv instanceof DataView) || vec.itemOffset) return viaGetItem(quote)(vec);
        return withNulls(vec, (i) => {
          const at = 16 * i;
          if (dv.getUint32(at, true) > BIG_VALUE_BYTES) return bigSentinel(jsonStringBytes(stringBytes(dv, at)));
          return quote(utf8.decode(stringBytes(dv, at)));
        });
      };
    case DuckDBTypeId.ENUM: {
      const quoted = type.values.map((s) => quote(s));
      return (vec) => {
        const items = vec.items;
        if (!ArrayBuffer.isView(items)) return viaGetItem(quote)(vec);
        return withNulls(vec, (i) => quoted[items[i]]);
      };
    }
    case DuckDBTypeId.BLOB:
      return (vec) => (i) => {
        const b = vec.getItemBytes(i);
        if (b === null) return 'null';
        if (b.byteLength > BIG_VALUE_BYTES) return bigSentinel(hexBlobBytes(b));
        return '"hex:' + hexOf(b) + '"';
      };
    case DuckDBTypeId.UUID:
      return viaGetItem((v) => '"' + v.toString().toLowerCase() + '"');
    case DuckDBTypeId.DATE:
      return (vec) => {
        const items = vec.items;
        if (!(items instanceof Int32Array)) return viaGetItem((v) => '"d:' + v.days + '"')(vec);
        return withNulls(vec, (i) => '"d:' + items[i] + '"');
      };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return int64Binder('"ts:', '"', false);
    case DuckDBTypeId.TIME:
      return int64Binder('"t:', '"', false);
    case DuckDBTypeId.TIMESTAMP_S:
      return viaGetItem((v) => '"ts:' + v.seconds * 1000000n + '"');
    case DuckDBTypeId.TIMESTAMP_MS:
      return viaGetItem((v) => '"ts:' + v.millis * 1000n + '"');
    case DuckDBTypeId.TIMESTAMP_NS:
      return viaGetItem((v) => '"ts:' + floorDiv1000(v.nanos) + '"');
    case DuckDBTypeId.TIME_NS:
      return viaGetItem((v) => '"t:' + floorDiv1000(v.nanos) + '"');
    case DuckDBTypeId.TIME_TZ:
      return viaGetItem((v) => '"ttz:' + v.micros + ',' + v.offset + '"');
    case DuckDBTypeId.INTERVAL:
      return viaGetItem((v) => '"iv:' + v.months + ',' + v.days + ',' + v.micros + '"');
    case DuckDBTypeId.BIT:
      return viaGetItem((v) => '"bit:' + v.toString() + '"');
    case DuckDBTypeId.LIST: {
      const bindChild = makeFormatter(type.valueType);
      return (vec) => {
        const child = bindChild(vec.childVector);
        return withNulls(vec, (i) => {
          const len = vec.getEntryLength(i);
          if (len === 0) return '[]';
          const off = vec.getEntryOffset(i);
          let s = '[' + child(off);
          for (let k = 1; k < len; k++) s += ',' + child(off + k);
          return s + ']';
        });
      };
    }
    case DuckDBTypeId.ARRAY: {
      const bindChild = makeFormatter(type.valueType);
      const len = type.length;
      return (vec) => {
        const child = bindChild(vec.childData);
        return withNulls(vec, (i) => {
          if (len === 0) return '[]';
          const off = i * len;
          let s = '[' + child(off);
          for (let k = 1; k < len; k++) s += ',' + child(off + k);
          return s + ']';
        });
      };
    }
    case DuckDBTypeId.STRUCT: {
      const binders = type.entryTypes.map(makeFormatter);
      const keys = type.entryNames.map((name, k) => (k === 0 ? '{' : ',') + quote(name) + ':');
      const n = binders.length;
      return (vec) => {
        const fields = binders.map((b, k) => b(vec.entryVectorAt(k)));
        return withNulls(vec, (i) => {
          if (n === 0) return '{}';
          let s = '';
          for (let k = 0; k < n; k++) s += keys[k] + fields[k](i);
          return s + '}';
        });
      };
    }
    case DuckDBTypeId.MAP: {
      const bindKey = makeFormatter(type.keyType);
      const bindVal = makeFormatter(type.valueType);
      return (vec) => {
        const lv = vec.listVector;
        const sv = lv.childVector;
        const kf = bindKey(sv.entryVectorAt(0));
        const vf = bindVal(sv.entryVectorAt(1));
        return withNulls(lv, (i) => {
          const len = lv.getEntryLength(i);
          if (len === 0) return '[]';
          const off = lv.getEntryOffset(i);
          let s = '[';
          for (let k = 0; k < len; k++) {
            const j = off + k;
            s += (k === 0 ? '[' : ',[') + kf(j) + ',' + vf(j) + ']';
          }
          return s + ']';
        });
      };
    }
    case DuckDBTypeId.UNION: {
      const binders = type.memberTypes.map(makeFormatter);
      const tags = type.memberTags.map((t) => '{' + quote(t) + ':');
      return (vec) => {
        const sv = vec.structVector;
        const tagVec = sv.entryVectorAt(0);
        const members = binders.map((b, m) => b(sv.entryVectorAt(m + 1)));
        return withNulls(sv, (i) => {
          const tag = tagVec.getItem(i);
          if (tag === null) return 'null';
          const m = Number(tag);
          return tags[m] + members[m](i) + '}';
        });
      };
    }
    default:
      throw new Error(`type ${type.toString()} has no canonical form`);
  }
}

// ---------------------------------------------------------------- result streaming

/** Streams a DuckDBResult as canonical lines; calls onLines(array of lines) once per chunk. */
async function streamLines(result, onLines) {
  const ncol = result.columnCount;
  const names = result.columnNames();
  const binders = [];
  const prefixes = [];
  for (let c = 0; c < ncol; c++) {
    binders.push(makeFormatter(result.columnType(c)));
    prefixes.push((c === 0 ? '{' : ',') + quote(names[c]) + ':');
  }
  let rows = 0;
  // Keep one fetch in flight while formatting the previous chunk: DuckDB decodes on its own
  // threads, so this overlaps the Parquet scan with the JavaScript formatting.
  let pending = result.fetchChunk();
  for (;;) {
    const chunk = await pending;
    if (!chunk || chunk.rowCount === 0) break;
    pending = result.fetchChunk();
    const n = chunk.rowCount;
    // Column-major: each column's formatter runs over the whole chunk (monomorphic loop).
    const lines = new Array(n).fill(ncol === 0 ? '{' : '');
    for (let c = 0; c < ncol; c++) {
      const f = binders[c](chunk.getColumnVector(c));
      const p = prefixes[c];
      for (let i = 0; i < n; i++) lines[i] += p + f(i);
    }
    for (let i = 0; i < n; i++) lines[i] += '}';
    if (bigValues.length) {
      for (let i = 0; i < n; i++) if (lines[i].includes('\u0000')) lines[i] = expandLine(lines[i]);
      bigValues.length = 0;
    }
    rows += n;
    await onLines(lines);
  }
  return rows;
}
// ---------------------------------------------------------------- output sinks

let out = process.stdout;

async function writeOut(s) {
  if (!out.write(s)) await once(out, 'drain');
}

// Sort key: maps UTF-16 code units so that code-unit order equals code-point (= UTF-8 byte)
// order. U+E000..U+FFFF -> 0xD800..0xF7FF, surrogates 0xD800..0xDFFF -> 0xF800..0xFFFF.
const HIGH = /[\uD800-\uFFFF]/;
const HIGH_G = /[\uD800-\uFFFF]/g;
function sortKey(line) {
  if (!HIGH.test(line)) return line;
  return line.replace(HIGH_G, (ch) => {
    const c = ch.charCodeAt(0);
    return String.fromCharCode(c >= 0xe000 ? c - 0x800 : c + 0x2000);
  });
}
function fromSortKey(key) {
  if (!HIGH.test(key)) return key;
  return key.replace(HIGH_G, (ch) => {
    const c = ch.charCodeAt(0);
    return String.fromCharCode(c >= 0xf800 ? c - 0x2000 : c + 0x800);
  });
}
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** memcmp order of two byte sequences, each given as a list of Buffer pieces. */
function comparePieces(pa, pb) {
  let ia = 0, oa = 0, ib = 0, ob = 0;
  for (;;) {
    while (ia < pa.length && oa === pa[ia].length) { ia++; oa = 0; }
    while (ib < pb.length && ob === pb[ib].length) { ib++; ob = 0; }
    if (ia === pa.length) return ib === pb.length ? 0 : -1;
    if (ib === pb.length) return 1;
    const n = Math.min(pa[ia].length - oa, pb[ib].length - ob);
    const c = Buffer.compare(pa[ia].subarray(oa, oa + n), pb[ib].subarray(ob, ob + n));
    if (c !== 0) return c;
    oa += n;
    ob += n;
  }
}

/** Sends a batch of lines (strings or BigLines) to sink as text/Buffers, each line + "\n". */
async function writeLines(lines, sink) {
  let start = 0;
  for (let k = 0; k <= lines.length; k++) {
    if (k === lines.length || lines[k] instanceof BigLine) {
      if (k > start) await sink(lines.slice(start, k).join('\n') + '\n');
      if (k < lines.length) {
        for (const piece of lines[k].pieces) await sink(piece);
        await sink('\n');
      }
      start = k + 1;
    }
  }
}

/** Collects lines and emits them sorted (UTF-8 byte order) with bounded memory. */
class Sorter {
  constructor(budgetChars) {
    this.budget = budgetChars;
    this.keys = [];
    this.chars = 0;
    this.runs = [];
    this.tmpdir = null;
    this.bigs = []; // BigLines stay in memory (they are rare and each is one huge row)
  }
  async add(lines) {
    for (const l of lines) {
      if (l instanceof BigLine) { this.bigs.push(l); continue; }
      const k = sortKey(l);
      this.keys.push(k);
      this.chars += k.length + 32; // + rough per-string overhead
    }
    if (this.chars > this.budget) await this.spill();
  }
  async spill() {
    if (this.keys.length === 0) return;
    this.keys.sort(cmp);
    if (!this.tmpdir) this.tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-oracle-sort-'));
    const file = path.join(this.tmpdir, `run${this.runs.length}.jsonl`);
    const ws = fs.createWriteStream(file);
    const BATCH = 4096;
    for (let i = 0; i < this.keys.length; i += BATCH) {
      const part = this.keys.slice(i, i + BATCH).map(fromSortKey).join('\n') + '\n';
      if (!ws.write(part)) await once(ws, 'drain');
    }
    ws.end();
    await once(ws, 'close');
    this.runs.push(file);
    this.keys = [];
    this.chars = 0;
  }
  /** Calls emit(array of lines) with the lines in sorted order, in batches. */
  async finish(emit) {
    if (this.bigs.length === 0) return this.finishPlain(emit);
    // Merge the BigLines into the sorted stream of plain lines.
    const bigs = this.bigs.sort((a, b) => comparePieces(a.pieces, b.pieces));
    this.bigs = [];
    let j = 0;
    await this.finishPlain(async (lines) => {
      const merged = [];
      for (const l of lines) {
        const lb = [Buffer.from(l, 'utf8')];
        while (j < bigs.length && comparePieces(bigs[j].pieces, lb) < 0) merged.push(bigs[j++]);
        merged.push(l);
      }
      await emit(merged);
    });
    if (j < bigs.length) await emit(bigs.slice(j));
  }
  async finishPlain(emit) {
    try {
      if (this.runs.length === 0) {
        this.keys.sort(cmp);
        const BATCH = 8192;
        for (let i = 0; i < this.keys.length; i += BATCH) {
          await emit(this.keys.slice(i, i + BATCH).map(fromSortKey));
        }
        this.keys = [];
        return;
      }
      await this.spill();
      // k-way merge of the runs.
      const iters = this.runs.map((f) =>
        readline.createInterface({ input: fs.createReadStream(f), crlfDelay: Infinity })[Symbol.asyncIterator]());
      const heads = [];
      for (let r = 0; r < iters.length; r++) {
        const x = await iters[r].next();
        if (!x.done) heads.push({ key: sortKey(x.value), line: x.value, r });
      }
      // Binary min-heap on key.
      const less = (a, b) => a.key < b.key || (a.key === b.key && a.r < b.r);
      const heap = heads;
      const down = (i) => {
        for (;;) {
          const l = 2 * i + 1, rr = l + 1;
          let m = i;
          if (l < heap.length && less(heap[l], heap[m])) m = l;
          if (rr < heap.length && less(heap[rr], heap[m])) m = rr;
          if (m === i) return;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      };
      for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
      let batch = [];
      while (heap.length) {
        const top = heap[0];
        batch.push(top.line);
        if (batch.length >= 8192) { await emit(batch); batch = []; }
        const x = await iters[top.r].next();
        if (x.done) {
          const last = heap.pop();
          if (heap.length) { heap[0] = last; down(0); }
        } else {
          heap[0] = { key: sortKey(x.value), line: x.value, r: top.r };
          down(0);
        }
      }
      if (batch.length) await emit(batch);
    } finally {
      if (this.tmpdir) fs.rmSync(this.tmpdir, { recursive: true, force: true });
    }
  }
}

function sortBudget() {
  const v = process.env.CPGLAKE_ORACLE_SORT_BUDGET_CHARS;
  if (v === undefined || v === '') return 200_000_000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bad CPGLAKE_ORACLE_SORT_BUDGET_CHARS=${v}`);
  return n;
}

/**
 * Runs a streaming result through one of the output modes.
 * mode: 'lines' (file order), 'sort', 'hash'. sink(text) receives output text.
 */
async function emitResult(result, mode, sink) {
  if (mode === 'lines') {
    return streamLines(result, (lines) => writeLines(lines, sink));
  }
  const sorter = new Sorter(sortBudget());
  const rows = await streamLines(result, (lines) => sorter.add(lines));
  if (mode === 'sort') {
    await sorter.finish((lines) => writeLines(lines, sink));
  } else {
    // sha256 of the sorted lines joined by "\n": hash every line with its "\n", but the last.
    const h = createHash('sha256');
    let pending = false;
    await sorter.finish(async (lines) => {
      await writeLines(lines, (piece) => {
        if (pending) { h.update('\n'); pending = false; }
        if (piece === '\n') { pending = true; return; }
        if (typeof piece === 'string' && piece.endsWith('\n')) {
          h.update(piece.slice(0, -1));
          pending = true;
        } else {
          h.update(piece);
        }
      });
    });
    await sink(`${rows} ${h.digest('hex')}\n`);
  }
  return rows;
}

// ---------------------------------------------------------------- DuckDB plumbing

async function openConnection() {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
  } catch {
    // ICU not available: TIMESTAMPTZ values are still UTC instants internally.
  }
  return { instance, conn };
}

function closeConnection({ instance, conn }) {
  try { conn.closeSync(); } catch { /* ignore */ }
  try { instance.closeSync(); } catch { /* ignore */ }
}

const identifier = (name) => '"' + name.replace(/"/g, '""') + '"';

function parquetSelect(opts) {
  const cols = opts.columns ? opts.columns.map(identifier).join(', ') : '*';
  let sql = `SELECT ${cols} FROM read_parquet(?, binary_as_string = false)`;
  if (opts.limit !== undefined) sql += ` LIMIT ${opts.limit}`;
  return sql;
}

async function streamQuery(conn, sql, params) {
  const extracted = await conn.extractStatements(sql);
  const n = extracted.count;
  if (n === 0) throw new Error('no SQL statement given');
  for (let k = 0; k < n - 1; k++) {
    const st = await extracted.prepare(k);
    await st.run();
  }
  const last = await extracted.prepare(n - 1);
  if (params && params.length) last.bind(params);
  return last.stream();
}

// ---------------------------------------------------------------- commands

function parseArgs(argv, spec) {
  // spec: { flags: Set of boolean options, values: Set of options taking a value }
  const pos = [];
  const opts = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (spec.flags.has(name)) {
        if (eq > 0) throw new Error(`option --${name} takes no value`);
        opts[name] = true;
      } else if (spec.values.has(name)) {
        let v;
        if (eq > 0) v = a.slice(eq + 1);
        else if (k + 1 < argv.length) v = argv[++k];
        else throw new Error(`option --${name} needs a value`);
        opts[name] = v;
      } else {
        throw new Error(`unknown option ${a}`);
      }
    } else {
      pos.push(a);
    }
  }
  if (opts.limit !== undefined) {
    if (!/^\d+$/.test(opts.limit)) throw new Error(`--limit needs a non-negative integer, got ${opts.limit}`);
    opts.limit = Number(opts.limit);
  }
  if (opts.columns !== undefined) {
    opts.columns = opts.columns.split(',');
    if (opts.columns.some((c) => c === '')) throw new Error('--columns: empty column name');
  }
  return { pos, opts };
}

function needFile(pos, cmd) {
  if (pos.length !== 1) throw new Error(`usage: ${cmd} FILE`);
  const f = pos[0];
  if (!fs.existsSync(f)) throw new Error(`no such file: ${f}`);
  return f;
}

const stdoutSink = (s) => writeOut(s);

async function cmdRead(db, argv, forceMode) {
  const { pos, opts } = parseArgs(argv, {
    flags: new Set(forceMode ? [] : ['sort', 'hash']),
    values: new Set(['limit', 'columns']),
  });
  const file = needFile(pos, forceMode ? 'hash' : 'read');
  if (opts.sort && opts.hash) throw new Error('--sort and --hash are exclusive');
  const mode = forceMode || (opts.hash ? 'hash' : opts.sort ? 'sort' : 'lines');
  const result = await streamQuery(db.conn, parquetSelect(opts), [file]);
  await emitResult(result, mode, stdoutSink);
}

async function cmdSchema(db, argv) {
  const { pos } = parseArgs(argv, { flags: new Set(), values: new Set() });
  const file = needFile(pos, 'schema');
  const reader = await db.conn.runAndReadAll(
    'DESCRIBE SELECT * FROM read_parquet(?, binary_as_string = false)', [file]);
  const rows = reader.getRowObjects();
  const arr = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  await writeOut(JSON.stringify(arr) + '\n');
}

async function cmdCount(db, argv) {
  const { pos } = parseArgs(argv, { flags: new Set(), values: new Set() });
  const file = needFile(pos, 'count');
  const reader = await db.conn.runAndReadAll(
    'SELECT count(*) AS n FROM read_parquet(?, binary_as_string = false)', [file]);
  await writeOut(String(reader.getRows()[0][0]) + '\n');
}

async function cmdSql(db, argv) {
  const { pos, opts } = parseArgs(argv, { flags: new Set(['sort', 'hash']), values: new Set() });
  if (pos.length !== 1) throw new Error('usage: sql "SQL"');
  if (opts.sort && opts.hash) throw new Error('--sort and --hash are exclusive');
  const mode = opts.hash ? 'hash' : opts.sort ? 'sort' : 'lines';
  const result = await streamQuery(db.conn, pos[0]);
  await emitResult(result, mode, stdoutSink);
}

// ---------------------------------------------------------------- selftest

// [name, SQL expression, expected canonical value, expected after a Parquet round trip]
// The 4th element: undefined = same as direct; a string = that text; null = not written to
// Parquet (DuckDB refuses it there). What DuckDB's own Parquet writer does, as observed:
// HUGEINT/UHUGEINT are written as DOUBLE; TIME_NS, BIGNUM and BIT as strings; TIMETZ normalised
// to UTC (offset 0); ARRAY as LIST; ENUM as a string; UNION as STRUCT("" UTINYINT tag, members);
// negative intervals and an infinite TIMESTAMP_S are refused.
const CASES = [
  ['bool_t', 'true', 'true'],
  ['bool_f', 'false', 'false'],
  ['bool_null', 'NULL::BOOLEAN', 'null'],
  ['ti_min', '(-128)::TINYINT', '-128'],
  ['ti_max', '127::TINYINT', '127'],
  ['si_min', '(-32768)::SMALLINT', '-32768'],
  ['i_min', '(-2147483648)::INTEGER', '-2147483648'],
  ['i_max', '2147483647::INTEGER', '2147483647'],
  ['bi_min', '(-9223372036854775808)::BIGINT', '-9223372036854775808'],
  ['bi_max', '9223372036854775807::BIGINT', '9223372036854775807'],
  ['bi_null', 'NULL::BIGINT', 'null'],
  ['ut_max', '255::UTINYINT', '255'],
  ['us_max', '65535::USMALLINT', '65535'],
  ['ui_max', '4294967295::UINTEGER', '4294967295'],
  ['ub_max', '18446744073709551615::UBIGINT', '"18446744073709551615"'],
  ['hi_min', "'-170141183460469231731687303715884105728'::HUGEINT",
    '-170141183460469231731687303715884105728', '-1.7014118346046923e+38'],
  ['hi_max', "'170141183460469231731687303715884105727'::HUGEINT",
    '170141183460469231731687303715884105727', '1.7014118346046923e+38'],
  ['hi_small', '(-42)::HUGEINT', '-42', '-42'],
  ['uhi_max', "'340282366920938463463374607431768211455'::UHUGEINT",
    '340282366920938463463374607431768211455', '3.402823669209385e+38'],
  ['bignum', "'-123456789012345678901234567890123456789012'::BIGNUM",
    '-123456789012345678901234567890123456789012', '"-123456789012345678901234567890123456789012"'],
  ['d_one', '1.0::DOUBLE', '1'],
  ['d_tenth', '0.1::DOUBLE', '0.1'],
  ['d_neg', '(-1.5)::DOUBLE', '-1.5'],
  ['d_1e21', '1e21::DOUBLE', '1e+21'],
  ['d_1e20', '1e20::DOUBLE', '100000000000000000000'],
  ['d_1e-7', '1e-7::DOUBLE', '1e-7'],
  ['d_1e-6', '1e-6::DOUBLE', '0.000001'],
  ['d_negzero', '(-0.0)::DOUBLE', '0'],
  ['d_nan', "'NaN'::DOUBLE", '"NaN"'],
  ['d_inf', "'inf'::DOUBLE", '"Infinity"'],
  ['d_ninf', "'-inf'::DOUBLE", '"-Infinity"'],
  ['d_max', '1.7976931348623157e308::DOUBLE', '1.7976931348623157e+308'],
  ['d_denorm', '5e-324::DOUBLE', '5e-324'],
  ['d_third', '(1.0/3)::DOUBLE', '0.3333333333333333'],
  ['d_big', '123456789012345678::DOUBLE', '123456789012345680'],
  ['f_tenth', '0.1::FLOAT', '0.10000000149011612'],
  ['f_half', '1.5::FLOAT', '1.5'],
  ['f_negzero', '(-0.0)::FLOAT', '0'],
  ['f_nan', "'NaN'::FLOAT", '"NaN"'],
  ['f_ninf', "'-inf'::FLOAT", '"-Infinity"'],
  ['f_max', '3.4028235e38::FLOAT', '3.4028234663852886e+38'],
  ['dec_neg_small', '(-0.05)::DECIMAL(4,2)', '"-0.05"'],
  ['dec_s0', '123::DECIMAL(3,0)', '"123"'],
  ['dec_s0_neg', '(-7)::DECIMAL(3,0)', '"-7"'],
  ['dec_trailing', '1.1::DECIMAL(5,2)', '"1.10"'],
  ['dec_zero', '0::DECIMAL(18,3)', '"0.000"'],
  ['dec_int16', '(-999.9)::DECIMAL(4,1)', '"-999.9"'],
  ['dec_int32', '12345.6789::DECIMAL(9,4)', '"12345.6789"'],
  ['dec_int64', '(-123456789012.345678)::DECIMAL(18,6)', '"-123456789012.345678"'],
  ['dec38_max', "'9999999999999999999999999999.9999999999'::DECIMAL(38,10)",
    '"9999999999999999999999999999.9999999999"'],
  ['dec38_min', "'-9999999999999999999999999999.9999999999'::DECIMAL(38,10)",
    '"-9999999999999999999999999999.9999999999"'],
  ['dec38_tiny', "'-0.0000000001'::DECIMAL(38,10)", '"-0.0000000001"'],
  ['dec38_s38', "'0.12345678901234567890123456789012345678'::DECIMAL(38,38)",
    '"0.12345678901234567890123456789012345678"'],
  ['dec_null', 'NULL::DECIMAL(10,2)', 'null'],
  ['s_plain', "'hello'", '"hello"'],
  ['s_empty', "''", '""'],
  ['s_null', 'NULL::VARCHAR', 'null'],
  ['s_unicode', "'héllo wörld ✓ 😀 𝄞 日本'", '"héllo wörld ✓ 😀 𝄞 日本"'],
  ['s_quotes', `'a"b\\c/d'`, '"a\\"b\\\\c/d"'],
  ['s_controls',
    "chr(0) || chr(1) || chr(8) || chr(9) || chr(10) || chr(12) || chr(13) || chr(27) || chr(31) || chr(127) || chr(8232)",
    '"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001b\\u001f\u007f\u2028"'],
  ['json', `'{"a": [1, 2]}'::JSON`, '"{\\"a\\": [1, 2]}"'],
  ['enum', "'happy'::mood", '"happy"'],
  ['blob', "'\\x00\\xFF\\xAB\\x10'::BLOB", '"hex:00ffab10"'],
  ['blob_empty', "''::BLOB", '"hex:"'],
  ['blob_long', "'0123456789abcdefXYZ'::BLOB", '"hex:3031323334353637383961626364656658595a"'],
  ['uuid', "'550E8400-E29B-41D4-A716-446655440000'::UUID", '"550e8400-e29b-41d4-a716-446655440000"'],
  ['uuid_max', "'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID", '"ffffffff-ffff-ffff-ffff-ffffffffffff"'],
  ['uuid_min', "'00000000-0000-0000-0000-000000000000'::UUID", '"00000000-0000-0000-0000-000000000000"'],
  ['date_epoch', "DATE '1970-01-01'", '"d:0"'],
  ['date_m1', "DATE '1969-12-31'", '"d:-1"'],
  ['date_0001', "DATE '0001-01-01'", '"d:-719162"'],
  ['date_9999', "DATE '9999-12-31'", '"d:2932896"'],
  ['date_bc', "DATE '0044-03-15 (BC)'", '"d:-735160"'],
  ['ts_epoch', "TIMESTAMP '1970-01-01 00:00:00'", '"ts:0"'],
  ['ts_m1us', "TIMESTAMP '1969-12-31 23:59:59.999999'", '"ts:-1"'],
  ['ts_1900_half', "TIMESTAMP '1900-01-01 00:00:00.5'", '"ts:-2208988799500000"'],
  ['ts_2024', "TIMESTAMP '2024-02-29 12:34:56.789012'", '"ts:1709210096789012"'],
  ['tstz', "TIMESTAMPTZ '1970-01-01 00:00:00+01:00'", '"ts:-3600000000"'],
  ['tstz_neg_frac', "TIMESTAMPTZ '1969-12-31 23:59:59.25+00'", '"ts:-750000"'],
  ['ts_s', "TIMESTAMP_S '1969-12-31 23:59:59'", '"ts:-1000000"'],
  ['ts_ms', "TIMESTAMP_MS '1969-12-31 23:59:59.999'", '"ts:-1000"'],
  ['ts_ns_m1', "TIMESTAMP_NS '1969-12-31 23:59:59.999999999'", '"ts:-1"'],
  ['ts_ns_m1999', "TIMESTAMP_NS '1969-12-31 23:59:59.999998001'", '"ts:-2"'],
  ['ts_ns_m1000', "TIMESTAMP_NS '1969-12-31 23:59:59.999999'", '"ts:-1"'],
  ['ts_ns_p1999', "TIMESTAMP_NS '1970-01-01 00:00:00.000001999'", '"ts:1"'],
  ['ts_ns_1677', "TIMESTAMP_NS '1677-09-22 00:00:00.000000001'", '"ts:-9223286400000000"'],
  ['date_inf', "'infinity'::DATE", '"d:2147483647"'],
  ['date_ninf', "'-infinity'::DATE", '"d:-2147483647"'],
  ['ts_inf', "'infinity'::TIMESTAMP", '"ts:9223372036854775807"'],
  ['ts_ninf', "'-infinity'::TIMESTAMP", '"ts:-9223372036854775807"'],
  ['ts_s_inf', "'infinity'::TIMESTAMP_S", '"ts:9223372036854775807000000"', null],
  ['ts_ns_ninf', "'-infinity'::TIMESTAMP_NS", '"ts:-9223372036854776"'],
  ['time_0', "TIME '00:00:00'", '"t:0"'],
  ['time_max', "TIME '23:59:59.999999'", '"t:86399999999"'],
  ['time_24', "TIME '24:00:00'", '"t:86400000000"'],
  ['time_ns', "'12:00:00.000001999'::TIME_NS", '"t:43200000001"', '"12:00:00.000001999"'],
  ['timetz', "'12:00:00+01:00'::TIMETZ", '"ttz:43200000000,3600"', '"ttz:39600000000,0"'],
  ['iv_month', 'INTERVAL 1 MONTH', '"iv:1,0,0"'],
  ['iv_mixed', "INTERVAL '-1 year 2 days 00:00:00.000001'", '"iv:-12,2,1"', null],
  ['iv_negmicros', "INTERVAL '-3 hours'", '"iv:0,0,-10800000000"', null],
  ['iv_pq', "INTERVAL '14 months 3 days 04:05:06.007'", '"iv:14,3,14706007000"'],
  ['struct', "{'a': 1, 'b': 'x', 'we\"ird': NULL::INT}", '{"a":1,"b":"x","we\\"ird":null}'],
  ['struct_nested', "{'s': {'t': [1, 2]}, 'd': DATE '1969-12-31'}", '{"s":{"t":[1,2]},"d":"d:-1"}'],
  ['struct_null', "NULL::STRUCT(a INT, b VARCHAR)", 'null'],
  ['list', '[1, NULL, 3]', '[1,null,3]'],
  ['list_empty', '[]::INT[]', '[]'],
  ['list_null', 'NULL::INT[]', 'null'],
  ['list_nested', '[[1], [], NULL, [2, 3]]', '[[1],[],null,[2,3]]'],
  ['list_str', "['a', NULL, '']", '["a",null,""]'],
  ['list_struct', "[{'k': 1}, NULL, {'k': NULL}]", '[{"k":1},null,{"k":null}]'],
  ['array', '[1, 2, 3]::INT[3]', '[1,2,3]', '[1,2,3]'],
  ['array_nested', '[[1, 2], [3, NULL]]::INT[2][2]', '[[1,2],[3,null]]'],
  ['array_null', 'NULL::INT[2]', 'null'],
  ['map', "MAP {'k1': 1, 'k2': NULL}", '[["k1",1],["k2",null]]'],
  ['map_empty', 'MAP {}::MAP(VARCHAR, INT)', '[]'],
  ['map_null', 'NULL::MAP(VARCHAR, INT)', 'null'],
  ['map_nested', "MAP {1: [1.5::DOUBLE], 2: []}", '[[1,[1.5]],[2,[]]]'],
  ['map_struct', "MAP {'x': {'v': '1.10'::DECIMAL(5,2)}}", '[["x",{"v":"1.10"}]]'],
  ['union', 'union_value(num := 2)::UNION(num INT, str VARCHAR)', '{"num":2}', '{"":0,"num":2,"str":null}'],
  ['bit', "'0101'::BIT", '"bit:0101"', '"0101"'],
];

async function selftest(db) {
  const { conn } = db;
  let failures = 0;
  let checks = 0;
  const fail = (msg) => { failures++; process.stderr.write(`FAIL ${msg}\n`); };
  const check = (what, got, want) => {
    checks++;
    if (got !== want) {
      let d = 0;
      const g = String(got), w = String(want);
      while (d < g.length && d < w.length && g[d] === w[d]) d++;
      const from = Math.max(0, d - 40);
      fail(`${what}: differs at ${d}: got ...${g.slice(from, d + 60)} want ...${w.slice(from, d + 60)}`);
    }
  };
  await conn.run("CREATE TYPE mood AS ENUM ('sad', 'happy')");

  async function lines(sql, mode = 'lines') {
    let text = '';
    const result = await streamQuery(conn, sql);
    await emitResult(result, mode, async (s) => { text += s; });
    return text;
  }

  // 1. Each case alone: the value text inside {"v":...}.
  for (const [name, expr, want] of CASES) {
    let got;
    try {
      got = await lines(`SELECT ${expr} AS v`);
    } catch (e) {
      fail(`${name}: ${e.message.split('\n')[0]}`);
      continue;
    }
    check(name, got, `{"v":${want}}\n`);
  }

  // 2. All cases as columns of one row: whole-line format, and a Parquet round trip.
  const cols = CASES.map(([name, expr]) => `${expr} AS ${identifier(name)}`).join(', ');
  const allWant = '{' + CASES.map(([name, , want]) => quote(name) + ':' + want).join(',') + '}\n';
  check('one-row line', await lines(`SELECT ${cols}`), allWant);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-oracle-selftest-'));
  try {
    const pqCases = CASES.filter((c) => c[3] !== null);
    const pqFile = path.join(tmp, 'all.parquet');
    const pqCols = pqCases.map(([name, expr]) => `${expr} AS ${identifier(name)}`).join(', ');
    await conn.run(`COPY (SELECT ${pqCols}) TO '${pqFile}' (FORMAT parquet, COMPRESSION zstd)`);
    const res = await streamQuery(conn, parquetSelect({}), [pqFile]);
    let pqText = '';
    await emitResult(res, 'lines', async (s) => { pqText += s; });
    let row;
    try { row = pqText.trim(); } catch { row = ''; }
    // Compare column by column: re-read each column alone for clear messages.
    for (const [name, , want, pqWant] of pqCases) {
      const r2 = await streamQuery(conn, parquetSelect({ columns: [name] }), [pqFile]);
      let t = '';
      await emitResult(r2, 'lines', async (s) => { t += s; });
      check(`parquet ${name}`, t, `{${quote(name)}:${pqWant === undefined ? want : pqWant}}\n`);
    }
    const pqAllWant = '{' + pqCases.map(([name, , want, pqWant]) =>
      quote(name) + ':' + (pqWant === undefined ? want : pqWant)).join(',') + '}';
    check('parquet one-row line', row, pqAllWant);

    // 3. Column-name escaping and an empty result.
    check('key escaping', await lines(`SELECT 1 AS "we""ird\\name", 2 AS "é"`),
      '{"we\\"ird\\\\name":1,"é":2}\n');
    check('empty result', await lines('SELECT 1 AS a WHERE false'), '');
    check('empty hash', await lines('SELECT 1 AS a WHERE false', 'hash'),
      '0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n');

    // 4. Sort order is UTF-8 byte order, not UTF-16 code unit order:
    //    U+FF5A (EF BD 9A) < U+1F600 (F0 9F 98 80) < U+1F601.
    const sortSql = "SELECT * FROM (VALUES ('😁'), ('ｚ'), ('😀'), ('z'), ('é'), (NULL)) t(s)";
    check('utf8 sort', await lines(sortSql, 'sort'),
      '{"s":"z"}\n{"s":"é"}\n{"s":"ｚ"}\n{"s":"😀"}\n{"s":"😁"}\n{"s":null}\n');

    // 5. Multi-chunk streaming, file order, and hash == sha256 of the sorted read output;
    //    then the same through the spilling external sort.
    const bigFile = path.join(tmp, 'big.parquet');
    await conn.run(`COPY (SELECT range AS a, CASE WHEN range % 7 = 0 THEN NULL ELSE 'v' || (range * 7919 % 10007) END AS s,
        [range, range + 1] AS l FROM range(25000)) TO '${bigFile}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 3000)`);
    const r3 = await streamQuery(conn, parquetSelect({}), [bigFile]);
    let fileOrder = '';
    const n3 = await emitResult(r3, 'lines', async (s) => { fileOrder += s; });
    check('big rows', n3, 25000);
    const fl = fileOrder.split('\n'); fl.pop();
    check('big file order', fl.every((l, i) => l.startsWith(`{"a":${i},`)), true);
    check('big line 7', fl[7], '{"a":7,"s":null,"l":[7,8]}');
    const sorted = [...fl].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const wantHash = `25000 ${createHash('sha256').update(sorted.join('\n')).digest('hex')}\n`;
    const r4 = await streamQuery(conn, parquetSelect({}), [bigFile]);
    let h1 = '';
    await emitResult(r4, 'hash', async (s) => { h1 += s; });
    check('big hash', h1, wantHash);
    const saved = process.env.CPGLAKE_ORACLE_SORT_BUDGET_CHARS;
    process.env.CPGLAKE_ORACLE_SORT_BUDGET_CHARS = '100000';
    try {
      const r5 = await streamQuery(conn, parquetSelect({}), [bigFile]);
      let h2 = '';
      await emitResult(r5, 'hash', async (s) => { h2 += s; });
      check('big hash (external sort)', h2, wantHash);
      let s2 = '';
      const r6 = await streamQuery(conn, sortSql);
      await emitResult(r6, 'sort', async (s) => { s2 += s; });
      check('utf8 sort (external sort)', s2,
        '{"s":"z"}\n{"s":"é"}\n{"s":"ｚ"}\n{"s":"😀"}\n{"s":"😁"}\n{"s":null}\n');
    } finally {
      if (saved === undefined) delete process.env.CPGLAKE_ORACLE_SORT_BUDGET_CHARS;
      else process.env.CPGLAKE_ORACLE_SORT_BUDGET_CHARS = saved;
    }
    // 6. Oversized VARCHAR/BLOB values (rendered from bytes into Buffers) give the same text,
    //    order and hash as the normal path: rerun a mixed query with a tiny threshold.
    const bigSql = `SELECT * FROM (VALUES
        (1, 'plain', 'ab'::BLOB, ['x' || chr(10) || 'y'], MAP {'k"' || chr(1): 'é😀' || chr(92)}),
        (2, 'a longer string with "quotes" \\ and ' || chr(31) || chr(127) || ' ünï 😀', '\\x00\\xFF0123456789'::BLOB, [], MAP {}),
        (3, NULL, NULL, NULL, NULL),
        (4, 'tiny', ''::BLOB, ['0123456789abcdef', NULL], MAP {'0123456789abcdef': ''}),
        (5, 'ｚ𝄞 sort me', 'zz'::BLOB, ['z'], MAP {'z': 'z'})
      ) t(id, s, b, l, m)`;
    const normal = {};
    for (const mode of ['lines', 'sort', 'hash']) normal[mode] = await lines(bigSql, mode);
    const savedBig = BIG_VALUE_BYTES;
    try {
      for (const threshold of [0, 4, 12]) {
        BIG_VALUE_BYTES = threshold;
        for (const mode of ['lines', 'sort', 'hash']) {
          check(`big values (threshold ${threshold}, ${mode})`, await lines(bigSql, mode), normal[mode]);
        }
      }
    } finally {
      BIG_VALUE_BYTES = savedBig;
    }
    check('big values: 5 rows', normal.lines.split('\n').length, 6);

    // --limit / --columns
    const r7 = await streamQuery(conn, parquetSelect({ limit: 2, columns: ['l', 'a'] }), [bigFile]);
    let t7 = '';
    await emitResult(r7, 'lines', async (s) => { t7 += s; });
    check('limit+columns', t7, '{"l":[0,1],"a":0}\n{"l":[1,2],"a":1}\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const msg = `selftest: ${checks - failures} passed, ${failures} failed\n`;
  await writeOut(msg);
  return failures === 0;
}

// ---------------------------------------------------------------- main

const USAGE = 'usage: duckdb.mjs read FILE [--sort] [--limit N] [--columns a,b] | hash FILE | '
  + 'schema FILE | count FILE | sql "SQL" [--sort|--hash] | selftest';

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd) throw new Error(USAGE);
  const db = await openConnection();
  try {
    switch (cmd) {
      case 'read': await cmdRead(db, rest, null); break;
      case 'hash': await cmdRead(db, rest, 'hash'); break;
      case 'schema': await cmdSchema(db, rest); break;
      case 'count': await cmdCount(db, rest); break;
      case 'sql': await cmdSql(db, rest); break;
      case 'selftest':
        if (rest.length) throw new Error('usage: selftest');
        if (!(await selftest(db))) process.exitCode = 1;
        break;
      default: throw new Error(`unknown command ${cmd}; ${USAGE}`);
    }
  } finally {
    closeConnection(db);
  }
}

process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`duckdb-oracle: stdout: ${e.message}\n`);
  process.exit(1);
});

main().catch((e) => {
  const msg = String(e && e.message ? e.message : e).replace(/\s*\n\s*/g, ' ').trim();
  process.stderr.write(`duckdb-oracle: ${msg}\n`);
  process.exitCode = 1;
});
