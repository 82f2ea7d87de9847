#!/usr/bin/env python3
"""Dumps CPython's symbol tables for the scopes oracle test (symtable_oracle_test.cc).

Usage: symtable_dump.py LIST_FILE
LIST_FILE holds one path per line. Output on stdout, one tab-separated record per line:

  X <path> <reason>              CPython cannot compile the file: excluded
  F <path>                       a file that compiles; its scopes follow
  S <id> <parent> <type> <name> <lineno>
                                 a scope in pre-order (ids per file, the module is 0, its
                                 parent -1); type is symtable's get_type()
  Y <name> <flags>               a symbol of the last scope; flags is one character per
                                 predicate of symtable.Symbol, '1' or '0', in this order:
                                 is_local is_global is_declared_global is_nonlocal is_free
                                 is_parameter is_imported is_assigned is_referenced
                                 is_annotated, then '1' when the symbol is a cell (its scope
                                 is CELL; symtable has no predicate for that)
  L <kind> <names>               for function scopes, kind one of params locals globals
                                 nonlocals frees: the sorted, comma-separated result of
                                 Function.get_parameters() / get_locals() / ...
  N <spelling> <name>            after a file's scopes: an identifier spelled in the source
                                 in a form that is not NFKC-normalized, and the name CPython
                                 turns it into (PEP 3131)

Exits with status 3 when the interpreter is not CPython 3.11.
"""

import io
import sys
import symtable
import tokenize
import unicodedata
import warnings

if sys.version_info[:2] != (3, 11) or sys.implementation.name != "cpython":
    sys.exit(3)

PREDICATES = ("is_local", "is_global", "is_declared_global", "is_nonlocal", "is_free",
              "is_parameter", "is_imported", "is_assigned", "is_referenced", "is_annotated")


def flags(sym):
    bits = "".join("1" if getattr(sym, p)() else "0" for p in PREDICATES)
    cell = (sym._Symbol__flags >> symtable.SCOPE_OFF) & symtable.SCOPE_MASK == symtable.CELL
    return bits + ("1" if cell else "0")


def dump_table(table, parent, counter, out):
    my_id = counter[0]
    counter[0] += 1
    out.append("S\t%d\t%d\t%s\t%s\t%d" % (my_id, parent, table.get_type(), table.get_name(),
                                         table.get_lineno()))
    for sym in table.get_symbols():
        out.append("Y\t%s\t%s" % (sym.get_name(), flags(sym)))
    if isinstance(table, symtable.Function):
        for kind, names in (("params", table.get_parameters()), ("locals", table.get_locals()),
                            ("globals", table.get_globals()),
                            ("nonlocals", table.get_nonlocals()), ("frees", table.get_frees())):
            out.append("L\t%s\t%s" % (kind, ",".join(sorted(names))))
    for child in table.get_children():
        dump_table(child, my_id, counter, out)


def unnormalized_names(source):
    """(spelling, NFKC name) for the identifiers CPython normalizes; only non-ASCII ones can."""
    if all(b < 0x80 for b in source):
        return []
    pairs = set()
    for tok in tokenize.tokenize(io.BytesIO(source).readline):
        if tok.type == tokenize.NAME:
            name = unicodedata.normalize("NFKC", tok.string)
            if name != tok.string:
                pairs.add((tok.string, name))
    return sorted(pairs)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    warnings.simplefilter("ignore")
    sys.stdout.reconfigure(encoding="utf-8", errors="surrogateescape")
    write = sys.stdout.write
    for path in paths:
        try:
            with open(path, "rb") as f:
                source = f.read()
            compile(source, path, "exec", dont_inherit=True)
            table = symtable.symtable(source, path, "exec")
        except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError) as e:
            reason = ("%s: %s" % (type(e).__name__, e)).replace("\t", " ").replace("\n", " ")
            write("X\t%s\t%s\n" % (path, reason))
            continue
        out = ["F\t%s" % path]
        dump_table(table, -1, [0], out)
        for spelling, name in unnormalized_names(source):
            out.append("N\t%s\t%s" % (spelling, name))
        write("\n".join(out))
        write("\n")


if __name__ == "__main__":
    main()
