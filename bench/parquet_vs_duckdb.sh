#!/usr/bin/env bash
# Runs the cpg_nodes-shaped Parquet benchmark for cpglake and DuckDB in one run and prints
# both sides' figures plus the ratios. Usage: bench/parquet_vs_duckdb.sh [ROWS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows="${1:-10000000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bin="${CPGLAKE_BUILD_DIR:-$root/build}/bin"
ours=$("$bin/parquet_e2e_bench" --rows "$rows" --out "$tmp/cpglake_nodes.parquet")
echo "cpglake: $ours"
ours2=$("$bin/parquet_e2e_bench" --rows "$rows" --threads 2 --out "$tmp/cpglake_nodes2.parquet")
echo "cpglake (2 threads): $ours2"
duck=$(cd "$root" && node bench/duckdb_parquet_bench.mjs "$tmp/cpglake_nodes.parquet" "$tmp")
echo "$duck" | sed 's/^/duckdb:  /'
ours_read_duck=$("$bin/parquet_e2e_bench" --read "$tmp/duckdb_nodes_1.parquet")
echo "cpglake reading DuckDB's file: $ours_read_duck"
python3 - "$ours" "$duck" "$ours2" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
o2 = json.loads(sys.argv[3])
d = [json.loads(l) for l in sys.argv[2].splitlines()]
d1 = next(x for x in d if x["duckdb_threads"] == 1)
dn = next(x for x in d if x["duckdb_threads"] != 1)
print(f"write: cpglake/duckdb(1 thread) = {o['write_s']/d1['write_s']:.2f}  (default threads: {o['write_s']/dn['write_s']:.2f})")
print(f"read:  cpglake/duckdb(1 thread) = {o['read_s']/d1['read_own_s']:.2f}  (default threads: {o['read_s']/dn['read_own_s']:.2f})")
print(f"2 threads each: write {o2['write_s']/dn['write_s']:.2f}, read {o2['read_s']/dn['read_own_s']:.2f}")
print(f"size:  cpglake/duckdb = {o['file_bytes']/d1['file_bytes']:.3f}")
print(f"peak RSS cpglake: {o['peak_rss_mb']} MB (after generating the input: {o['peak_rss_mb_after_generate']} MB)")
PY
