#!/usr/bin/env python3
"""Seeds for scip_index_fuzz from real scip-python indexes.

    scip_seeds.py OUT_DIR INDEX.scip [INDEX.scip ...]

Each document of each index becomes one seed: the index's metadata followed by that document
(a valid SCIP index on its own), so seeds stay small; documents over 64 KB are skipped. The
external symbols become one more seed. For each index, a copy of its first document with the
document's text embedded (field 5, from the file under the index's project root when it is
there) in UTF-8 and in UTF-32 position encodings (field 6) adds the embedded-text paths.
"""
import os
import sys


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def encode_varint(n):
    out = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        out.append(c | (0x80 if n else 0))
        if not n:
            return bytes(out)


def fields(b):
    """(field number, wire type, raw bytes of the whole field, payload) of a message."""
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        wire = key & 7
        payload_start = i
        if wire == 2:
            n, i = varint(b, i)
            payload_start = i
            i += n
        elif wire == 0:
            _, i = varint(b, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise SystemExit(f"unexpected wire type {wire}")
        yield key >> 3, wire, b[start:i], b[payload_start:i]


def string_field(number, payload):
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sys.argv[2:]:
        name = os.path.basename(path).split(".")[0]
        data = open(path, "rb").read()
        meta, external, docs, root = b"", b"", [], ""
        for number, _, raw, payload in fields(data):
            if number == 1:
                meta = raw
                for n, _, _, p in fields(payload):
                    if n == 3:  # project_root, a file:// URI
                        root = p.decode("utf-8", "replace").removeprefix("file://")
            elif number == 2:
                docs.append((raw, payload))
            elif number == 3:
                external += raw
        for k, (raw, _) in enumerate(docs):
            if len(raw) <= 64 * 1024:
                open(os.path.join(out, f"{name}-doc{k:03d}"), "wb").write(meta + raw)
        if external:
            open(os.path.join(out, f"{name}-external"), "wb").write(meta + external[:60000])
        if docs:
            raw, payload = docs[0]
            rel = next((p for n, _, _, p in fields(payload) if n == 1), b"").decode()
            source = os.path.join(root, rel)
            text = open(source, "rb").read() if root and os.path.isfile(source) else b""
            for encoding in (1, 3):
                doc = payload + string_field(5, text) + encode_varint(6 << 3) + bytes([encoding])
                if len(doc) <= 64 * 1024:
                    seed = meta + string_field(2, doc)
                    open(os.path.join(out, f"{name}-text-enc{encoding}"), "wb").write(seed)
        print(f"{path}: {len(docs)} documents")


if __name__ == "__main__":
    main()
