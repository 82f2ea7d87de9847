#!/usr/bin/env python3
"""End to end through the CLI on the real standard library (issue 6): build the graph of
/usr/lib/python3.11, then per file and node kind, the counts that `cpglake query` returns
equal (a) the build's own summary and (b) what CPython's `ast` finds in the same file.

Usage: stdlib_counts_test.py CPGLAKE_BINARY [STDLIB_DIR]
Files ast cannot parse are left out of (b); the known differences of the extractor
(tests/python/ast_oracle_test.cc kKnownDifferences, docs/python_frontend.md) are only in the
test suite (`test/`), which is left out of (b) as a whole.
"""
import ast
import json
import os
import subprocess
import sys
import tempfile

DEFAULT_EXCLUDES = {".git", "__pycache__", ".venv", "venv", "node_modules", "build", "dist",
                    ".mypy_cache", ".pytest_cache"}

KINDS = {
    "CST_FUNCTION_DEF": (ast.FunctionDef, ast.AsyncFunctionDef),
    "CST_CLASS_DEF": (ast.ClassDef,),
    "CST_LAMBDA": (ast.Lambda,),
    "CST_CALLSITE": (ast.Call,),
    "CST_IMPORT": (ast.Import, ast.ImportFrom),
    "CST_IMPORT_ALIAS": (ast.alias,),
}


def ast_counts(path):
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    counts = {k: 0 for k in KINDS}
    counts["CST_DECORATOR"] = 0
    for node in ast.walk(tree):
        for kind, types in KINDS.items():
            if isinstance(node, types):
                counts[kind] += 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            counts["CST_DECORATOR"] += len(node.decorator_list)
    return counts


def main():
    binary = sys.argv[1]
    stdlib = sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/python3.11"
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "graph")
        built = json.loads(subprocess.run(
            [binary, "--json", "build", stdlib, "-o", out, "--exclude", "site-packages/**"],
            check=True, capture_output=True, text=True).stdout)
        # (a) SQL counts per kind equal the build summary.
        rows = subprocess.run(
            [binary, "query", out, "SELECT node_kind, count(*) AS n FROM cpg_nodes GROUP BY 1",
             "--format", "jsonl"], check=True, capture_output=True, text=True).stdout
        by_kind = {r["node_kind"]: r["n"] for r in map(json.loads, rows.splitlines())}
        if by_kind != built["nodes_by_kind"]:
            failures.append(f"SQL counts {by_kind} != build summary {built['nodes_by_kind']}")
        edges = subprocess.run(
            [binary, "query", out, "SELECT edge_kind, count(*) AS n FROM cpg_edges GROUP BY 1",
             "--format", "jsonl"], check=True, capture_output=True, text=True).stdout
        by_edge = {r["edge_kind"]: r["n"] for r in map(json.loads, edges.splitlines())}
        if by_edge != built["edges_by_kind"]:
            failures.append(f"SQL edge counts {by_edge} != build summary {built['edges_by_kind']}")
        # (b) per file and kind, SQL equals ast.
        kinds = ", ".join(f"'{k}'" for k in list(KINDS) + ["CST_DECORATOR"])
        rows = subprocess.run(
            [binary, "query", out,
             f"SELECT path, node_kind, count(*) AS n FROM cpg_nodes WHERE node_kind IN ({kinds}) "
             "GROUP BY 1, 2", "--format", "jsonl"],
            check=True, capture_output=True, text=True).stdout
    sql = {}
    for r in map(json.loads, rows.splitlines()):
        sql.setdefault(r["path"], {})[r["node_kind"]] = r["n"]
    compared = 0
    for d, dirs, names in os.walk(stdlib):
        # The scan's default excludes (and the test suite, see above); symlinks are not followed.
        dirs[:] = sorted(x for x in dirs if x not in DEFAULT_EXCLUDES | {"site-packages", "test"})
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(d, name)
            if os.path.islink(path):
                continue
            rel = os.path.relpath(path, stdlib)
            expected = ast_counts(path)
            if expected is None:
                continue
            compared += 1
            got = sql.get(rel, {})
            for kind, n in expected.items():
                if got.get(kind, 0) != n:
                    failures.append(f"{rel}: {kind}: SQL {got.get(kind, 0)}, ast {n}")
    print(f"compared {compared} files; {len(failures)} differences")
    for f in failures[:30]:
        print("FAIL", f)
    if compared < 500:
        print("FAIL: too few files compared")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
