#!/usr/bin/env bash
# cpglake build vs its peers, measured in one run on the same files (issue 5 benchmark):
#   (a) python3 running only ast.parse over every .py file,
#   (b) bare single-thread tree-sitter parsing (bench/python_parse_bench),
#   (c) cpglake build --jobs 2 (wall time and peak RSS).
# Usage: bench/build_vs_peers.sh [DIR]   (default /usr/lib/python3.11)
# Directories named site-packages (and __pycache__) are left out of all three, so a Python
# installation's lib directory measures its standard library only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# CPGLAKE_BIN: another build directory's bin/ (default: build/bin, what scripts/setup builds).
bin="${CPGLAKE_BIN:-$root/build/bin}"
dir="${1:-/usr/lib/python3.11}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

ast_s=$(python3 - "$dir" <<'PY'
import ast, os, sys, time
files = []
for d, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [x for x in dirs if x not in ("__pycache__", "site-packages")]
    files += [os.path.join(d, n) for n in names if n.endswith(".py")]
srcs = [open(f, "rb").read() for f in files]
t = time.perf_counter()
for s in srcs:
    try:
        ast.parse(s)
    except (SyntaxError, ValueError):
        pass
print(f"{time.perf_counter() - t:.3f}")
PY
)
ts_json=$("$bin/python_parse_bench" --exclude-dir site-packages "$dir")
ts_s=$(printf '%s' "$ts_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
/usr/bin/time -f "%e %M" -o "$out/time" "$bin/cpglake" --json build "$dir" -o "$out/graph" --jobs 2 --exclude site-packages > "$out/build.json"
read -r build_s build_kb < "$out/time"
python3 - "$out/build.json" "$ast_s" "$ts_s" "$build_s" "$build_kb" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
ast_s, ts_s, build_s, kb = map(float, sys.argv[2:])
rows = b["nodes"] + b["edges"] + b["props"]
print(json.dumps({"bench": "build_vs_peers", "files": b["files"], "mb": round(b["bytes"] / 1e6, 2),
                  "ast_parse_s": ast_s, "tree_sitter_1t_s": ts_s, "build_2t_s": build_s,
                  "build_vs_ast": round(build_s / ast_s, 2), "build_vs_tree_sitter": round(build_s / ts_s, 2),
                  "peak_rss_mb": round(kb / 1024), "rows_written": rows,
                  "files_per_s": round(b["files"] / build_s, 1), "mb_per_s": round(b["bytes"] / 1e6 / build_s, 2),
                  "stage_s": b["seconds"]}))
PY
