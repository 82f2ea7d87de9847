#!/usr/bin/env bash
# SQL over the graph (issue 6 benchmark), measured in one run on one build output:
#   point lookup by node_id, callers of a common function, a full GROUP BY node_kind scan —
#   each through `cpglake query` (time after registration: --timer, best of 5; and the whole
#   command including process start and registration), next to DuckDB reading the same
#   Parquet data files (read_parquet over the table's live files; time inside DuckDB, best
#   of 5, after its connection is open).
# Usage: bench/query_vs_duckdb.sh [DIR]   (default /usr/lib/python3.11; site-packages left out)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin/cpglake"
dir="${1:-/usr/lib/python3.11}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" build "$dir" -o "$out/graph" --jobs 2 --exclude 'site-packages/**' -q
g="$out/graph"

best_timer() {  # best_timer SQL-or-named-args...: best --timer of 5 runs (s), and the best wall (s)
  local best=999 wall=999 t w s e
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N)
    t=$("$@" --timer --format csv 2>&1 >/dev/null | sed -n 's/^time: \([0-9.]*\) s$/\1/p')
    e=$(date +%s.%N)
    w=$(python3 -c "print($e - $s)")
    best=$(python3 -c "print(min($best, $t))")
    wall=$(python3 -c "print(min($wall, $w))")
  done
  echo "$best $wall"
}

id=$("$bin" query "$g" "SELECT node_id FROM cpg_nodes WHERE qualified_name = 'email.utils.formatdate' AND node_kind = 'CST_FUNCTION_DEF'" --format csv | tail -1)
read -r point point_wall < <(best_timer "$bin" query "$g" "SELECT node_kind, path, line_start FROM cpg_nodes WHERE node_id = '$id'")
read -r callers callers_wall < <(best_timer "$bin" callers "$g" builtins.isinstance)
ncallers=$("$bin" callers "$g" builtins.isinstance --format csv | tail -n +2 | wc -l)
read -r group group_wall < <(best_timer "$bin" query "$g" "SELECT node_kind, count(*) FROM cpg_nodes GROUP BY node_kind")
rows=$("$bin" query "$g" "SELECT count(*) FROM cpg_nodes" --format csv | tail -1)

# The live data files of cpg_nodes (the build overwrote nothing: one version of files).
files=$(python3 -c "
import json,glob,sys
print(json.dumps(sorted(glob.glob('$g/cpg_nodes/*.parquet'))))")
duck=$(cd "$root" && node --input-type=module -e "
import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const files = $files;
const list = '[' + files.map(f => \"'\" + f + \"'\").join(',') + ']';
async function best(sql) {
  let b = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await c.runAndReadAll(sql);
    b = Math.min(b, performance.now() - t);
  }
  return b / 1000;
}
const point = await best(\"SELECT node_kind, path, line_start FROM read_parquet(\" + list + \") WHERE node_id = '$id'\");
const group = await best('SELECT node_kind, count(*) FROM read_parquet(' + list + ') GROUP BY node_kind');
console.log(point + ' ' + group);
")
read -r duck_point duck_group <<< "$duck"
python3 - "$point" "$point_wall" "$callers" "$callers_wall" "$ncallers" "$group" "$group_wall" "$rows" "$duck_point" "$duck_group" <<'PY'
import sys
p, pw, c, cw, nc, g, gw, rows, dp, dg = sys.argv[1:]
p, pw, c, cw, g, gw, dp, dg = map(float, (p, pw, c, cw, g, gw, dp, dg))
rows = int(rows)
print(f"point lookup by node_id: {p*1000:.1f} ms after registration ({pw*1000:.0f} ms whole command); DuckDB {dp*1000:.1f} ms")
print(f"callers builtins.isinstance ({nc} rows): {c*1000:.1f} ms after registration ({cw*1000:.0f} ms whole command)")
print(f"GROUP BY node_kind over {rows} rows: {g*1000:.1f} ms = {rows/g/1e6:.1f} M rows/s ({gw*1000:.0f} ms whole command); "
      f"DuckDB {dg*1000:.1f} ms = {rows/dg/1e6:.1f} M rows/s; ratio {g/dg:.2f}x")
PY
