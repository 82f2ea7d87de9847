#!/usr/bin/env bash
# End-to-end checks of the cpglake command: help, exit codes, one-line errors, outputs.
# Usage: cli_test.sh CPGLAKE_BINARY TESTDATA_DIR
set -u
bin="$1"
data="$2/parquet-testing/data"
pass=0
fail=0
check() {  # check NAME EXPECTED_EXIT COMMAND...
  local name="$1" want="$2"
  shift 2
  local out err rc
  out=$("$@" 2>/tmp/cli_test_err.$$); rc=$?
  err=$(cat /tmp/cli_test_err.$$)
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, expected $want; stderr: $err"; fail=$((fail + 1)); return 1
  fi
  if [ "$want" -ne 0 ] && [ "$(printf '%s' "$err" | grep -c .)" -ne 1 ]; then
    echo "FAIL $name: expected one error line, got: $err"; fail=$((fail + 1)); return 1
  fi
  pass=$((pass + 1)); LAST_OUT="$out"; return 0
}
expect_out() {  # expect_out NAME PATTERN
  if printf '%s' "$LAST_OUT" | grep -q -- "$2"; then pass=$((pass + 1)); else
    echo "FAIL $1: output lacks '$2'"; fail=$((fail + 1)); fi
}

check help 0 "$bin" --help && expect_out help "Exit codes"
for sub in "parquet --help" "parquet schema --help" "parquet meta --help" "parquet cat --help" "build --help"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub && expect_out "help $sub" "Usage"
done
check no-args 1 "$bin"
check cat 0 "$bin" parquet cat "$data/alltypes_plain.parquet" --limit 2 --format csv
expect_out cat-header "id,bool_col"
[ "$(printf '%s\n' "$LAST_OUT" | wc -l)" -eq 3 ] && pass=$((pass + 1)) || { echo "FAIL cat: want 3 lines"; fail=$((fail + 1)); }
check cat-jsonl 0 "$bin" parquet cat "$data/nested_maps.snappy.parquet" --format jsonl --columns a
expect_out cat-jsonl '{"a":'
check cat-columns-bad 2 "$bin" parquet cat "$data/alltypes_plain.parquet" --columns nope
check format-bad 2 "$bin" parquet cat "$data/alltypes_plain.parquet" --format xml
check meta-json 0 "$bin" --json parquet meta "$data/alltypes_plain.parquet"
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["num_rows"]==8' \
  && pass=$((pass + 1)) || { echo "FAIL meta-json: not valid JSON"; fail=$((fail + 1)); }
check schema 0 "$bin" parquet schema "$data/nested_lists.snappy.parquet"
expect_out schema "array<array<array<string>>>"
check missing 4 "$bin" parquet meta /nonexistent/file.parquet
check corrupt 5 "$bin" parquet cat "$data/../bad_data/PARQUET-1481.parquet"
check encrypted 6 "$bin" parquet meta "$data/encrypt_columns_and_footer.parquet.encrypted"
check directory 2 "$bin" parquet meta "$data"
check build-not-a-dir 1 "$bin" build "$data/alltypes_plain.parquet"
delta="$2/delta-acceptance/kernel_data"
for sub in "delta --help" "delta describe --help" "delta scan --help" "delta history --help" "delta changes --help"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub && expect_out "help $sub" "Usage"
done
check delta-describe 0 "$bin" delta describe "$delta/table-with-dv-small" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]==1 and d["num_rows"]==8' \
  && pass=$((pass + 1)) || { echo "FAIL delta-describe: bad JSON"; fail=$((fail + 1)); }
check delta-scan 0 "$bin" delta scan "$delta/table-with-dv-small" --format csv
[ "$(printf '%s\n' "$LAST_OUT" | wc -l)" -eq 9 ] && pass=$((pass + 1)) || { echo "FAIL delta-scan: want header + 8 rows"; fail=$((fail + 1)); }
check delta-scan-where 0 "$bin" delta scan "$delta/basic_partitioned" --where "number > 3" --count
expect_out delta-scan-where "3"
check delta-time-travel 0 "$bin" delta scan "$delta/table-with-dv-small" --version 0 --count
expect_out delta-time-travel "10"
check delta-history 0 "$bin" delta history "$delta/table-with-dv-small"
expect_out delta-history "DELETE"
check delta-changes 0 "$bin" delta changes "$delta/cdf-table-simple" --from 0 --to 1 --format csv
expect_out delta-changes "delete"
check delta-bad-where 2 "$bin" delta scan "$delta/basic_partitioned" --where "number >"
check delta-bad-column 2 "$bin" delta scan "$delta/basic_partitioned" --columns nope
check delta-not-a-table 4 "$bin" delta describe "$data"
check delta-bad-version 4 "$bin" delta describe "$delta/table-with-dv-small" --version 7
check delta-cdf-off 2 "$bin" delta changes "$delta/table-with-dv-small" --from 0
# Writing tables (into a temporary directory).
tmp=$(mktemp -d)
for sub in "delta write --help" "delta create --help" "delta set-property --help" "delta checkpoint --help"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub && expect_out "help $sub" "Usage"
done
check delta-create 0 "$bin" delta create "$tmp/t" --schema "id int not null, name string, tags array<string>" --partition-by name --property delta.appendOnly=true
check delta-create-exists 2 "$bin" delta create "$tmp/t" --schema "id int"
check delta-create-if-not-exists 0 "$bin" delta create "$tmp/t" --schema "id int" --if-not-exists
check delta-create-bad-type 2 "$bin" delta create "$tmp/u" --schema "id integr"
check delta-create-nested 0 "$bin" delta create "$tmp/n" --schema "s struct<a:int,b:array<map<string,bigint>>>, d decimal(10,2)"
expect_out delta-create-nested "version 0"
check delta-create-bad-partition 2 "$bin" delta create "$tmp/u" --schema "id int" --partition-by nope
[ ! -e "$tmp/u/_delta_log" ] && pass=$((pass + 1)) || { echo "FAIL: a failed create left a log"; fail=$((fail + 1)); }
check delta-write 0 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --partition-by bool_col --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]==0 and d["totals"]["rows_added"]==8 and len(d["partitions"])==2' \
  && pass=$((pass + 1)) || { echo "FAIL delta-write: bad JSON"; fail=$((fail + 1)); }
check delta-write-append 0 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --commit-property run=7
expect_out delta-write-append "version 1"
check delta-write-count 0 "$bin" delta scan "$tmp/w" --count
expect_out delta-write-count "16"
check delta-write-replace 0 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --mode overwrite --predicate "id >= 0" --schema-mode merge
check delta-write-replace-bad 2 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --mode overwrite --predicate "id < 2"
check delta-write-mode-bad 2 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --mode upsert
check delta-write-error-mode 2 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --mode error
check delta-write-idempotent 0 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --app-id job --app-version 3
check delta-write-idempotent-again 0 "$bin" delta write "$tmp/w" --input "$data/alltypes_plain.parquet" --app-id job --app-version 3
expect_out delta-write-idempotent-again "nothing written"
check delta-write-bad-input 2 "$bin" delta write "$tmp/w" --input "$tmp/nothing.txt"
check delta-write-missing-input 4 "$bin" delta write "$tmp/w" --input "$tmp/nothing.parquet"
check delta-write-corrupt-input 5 "$bin" delta write "$tmp/w2" --input "$data/../bad_data/PARQUET-1481.parquet"
check delta-history-ops 0 "$bin" delta history "$tmp/w" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[-1]["commit_info"]["engineInfo"].startswith("cpglake/") and d[-2]["commit_info"]["run"]=="7"' \
  && pass=$((pass + 1)) || { echo "FAIL delta-history-ops: commitInfo"; fail=$((fail + 1)); }
check delta-set-property 0 "$bin" delta set-property "$tmp/w" delta.enableDeletionVectors=true
check delta-set-property-check 0 "$bin" delta describe "$tmp/w" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["protocol"]["min_writer_version"]==7 and "deletionVectors" in d["protocol"]["reader_features"]' \
  && pass=$((pass + 1)) || { echo "FAIL delta-set-property: protocol not upgraded"; fail=$((fail + 1)); }
check delta-set-property-bad 2 "$bin" delta set-property "$tmp/w" novalue
# Maintenance: optimize, vacuum, restore, clone, protocol.
for sub in "delta vacuum --help" "delta optimize --help" "delta restore --help" "delta clone --help" "delta protocol --help"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub && expect_out "help $sub" "Usage"
done
check delta-m-write1 0 "$bin" delta write "$tmp/m" --input "$data/alltypes_plain.parquet"
check delta-m-write2 0 "$bin" delta write "$tmp/m" --input "$data/alltypes_plain.parquet"
check delta-m-write3 0 "$bin" delta write "$tmp/m" --input "$data/alltypes_plain.parquet"
check delta-optimize 0 "$bin" delta optimize "$tmp/m" --sort-by id --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]==3 and d["files_removed"]==3 and d["files_added"]==1 and d["rows_written"]==24' \
  && pass=$((pass + 1)) || { echo "FAIL delta-optimize: bad JSON"; fail=$((fail + 1)); }
check delta-optimize-count 0 "$bin" delta scan "$tmp/m" --count
expect_out delta-optimize-count "24"
check delta-optimize-noop 0 "$bin" delta optimize "$tmp/m"
expect_out delta-optimize-noop "nothing to optimize"
check delta-optimize-bad-where 2 "$bin" delta optimize "$tmp/m" --where "id = 1"
check delta-optimize-bad-sort 2 "$bin" delta optimize "$tmp/m" --sort-by nope
check delta-vacuum-dry 0 "$bin" delta vacuum "$tmp/m" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["dry_run"] and d["num_files"]==0 and d["retention_hours"]==168' \
  && pass=$((pass + 1)) || { echo "FAIL delta-vacuum-dry: bad JSON"; fail=$((fail + 1)); }
check delta-vacuum-short 2 "$bin" delta vacuum "$tmp/m" --retain-hours 1 --execute
check delta-vacuum-both 2 "$bin" delta vacuum "$tmp/m" --dry-run --execute
check delta-vacuum-force-dry 0 "$bin" delta vacuum "$tmp/m" --retain-hours 0 --force --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["dry_run"] and d["num_files"]==3 and d["files_deleted"]==0' \
  && pass=$((pass + 1)) || { echo "FAIL delta-vacuum-force-dry: bad JSON"; fail=$((fail + 1)); }
check delta-restore 0 "$bin" delta restore "$tmp/m" --version 1 --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]==4 and d["restored_version"]==1 and d["files_restored"]==2' \
  && pass=$((pass + 1)) || { echo "FAIL delta-restore: bad JSON"; fail=$((fail + 1)); }
check delta-restore-count 0 "$bin" delta scan "$tmp/m" --count
expect_out delta-restore-count "16"
check delta-restore-none 2 "$bin" delta restore "$tmp/m"
check delta-restore-missing 4 "$bin" delta restore "$tmp/m" --version 99
check delta-clone 0 "$bin" delta clone "$delta/table-with-dv-small" "$tmp/clone" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]==0 and d["rows"]==8 and d["dv_files_copied"]==1 and len(d["schema_fingerprint"])==32' \
  && pass=$((pass + 1)) || { echo "FAIL delta-clone: bad JSON"; fail=$((fail + 1)); }
check delta-clone-count 0 "$bin" delta scan "$tmp/clone" --count
expect_out delta-clone-count "8"
check delta-clone-exists 2 "$bin" delta clone "$delta/table-with-dv-small" "$tmp/clone"
check delta-clone-history 0 "$bin" delta history "$tmp/clone" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); c=d[0]["commit_info"]; assert c["operation"]=="CLONE" and c["source_version"]=="1" and "clone_source" in c' \
  && pass=$((pass + 1)) || { echo "FAIL delta-clone-history: commitInfo"; fail=$((fail + 1)); }
check delta-protocol 0 "$bin" delta protocol "$delta/table-with-dv-small" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["min_reader_version"]==3 and "deletionVectors" in d["reader_features"] and d["enabled"]["deletion_vectors"]' \
  && pass=$((pass + 1)) || { echo "FAIL delta-protocol: bad JSON"; fail=$((fail + 1)); }
check delta-protocol-v0 0 "$bin" delta protocol "$tmp/m" --version 0
expect_out delta-protocol-v0 "writer version:       2"
check delta-protocol-missing 4 "$bin" delta protocol "$tmp/nothing-here"
printf 'id,name,day\n1,a,2024-01-02\n2,"b, c",\n' > "$tmp/in.csv"
printf '{"id":3,"name":"d","day":"2024-03-04"}\n' > "$tmp/in.jsonl"
check delta-write-csv 0 "$bin" delta write "$tmp/c" --input "$tmp/in.csv"
check delta-write-jsonl 0 "$bin" delta write "$tmp/c" --input "$tmp/in.jsonl"
check delta-write-csv-scan 0 "$bin" delta scan "$tmp/c" --where "day >= '2024-03-01'" --format csv
expect_out delta-write-csv-scan "3,d,2024-03-04"
printf 'id,name\n1,2,3\n' > "$tmp/bad.csv"
check delta-write-csv-ragged 2 "$bin" delta write "$tmp/c" --input "$tmp/bad.csv"
check delta-write-foreign-dir 2 "$bin" delta write "$data" --input "$data/alltypes_plain.parquet"
# cpglake build on a tiny repository.
mkdir -p "$tmp/repo/pkg"
printf 'from .m import f\n' > "$tmp/repo/pkg/__init__.py"
printf 'def f(x):\n    return len(x)\n\ndef broken(:\n' > "$tmp/repo/pkg/m.py"
check build-help 0 "$bin" build --help
check build 0 "$bin" --json build "$tmp/repo" --jobs 2
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["files"]==2 and d["nodes_by_kind"]["CST_FUNCTION_DEF"]>=1 and d["table_versions"]["cpg_nodes"]==0' \
  && pass=$((pass + 1)) || { echo "FAIL build: summary JSON"; fail=$((fail + 1)); }
check build-scan 0 "$bin" delta scan "$tmp/repo/.cpglake/cpg_nodes" --where "node_kind = 'CST_FUNCTION_DEF'" --columns qualified_name --format csv
expect_out build-scan "pkg.m.f"
# Cross-file resolution: the call of len is builtins.len; the re-export imports pkg.m.f.
check build-calls 0 "$bin" delta scan "$tmp/repo/.cpglake/cpg_edges" --where "edge_kind = 'CALLS' AND resolution_method = 'qualified_name'" --count
expect_out build-calls "^1$"
check build-qualified 0 "$bin" delta scan "$tmp/repo/.cpglake/cpg_nodes" --where "node_kind = 'PY_QUALIFIED_NAME'" --columns qualified_name --format csv
expect_out build-qualified "builtins.len"
check build-imports 0 "$bin" delta scan "$tmp/repo/.cpglake/cpg_edges" --where "edge_kind = 'IMPORTS' AND path = 'pkg/__init__.py'" --count
expect_out build-imports "^1$"
check build-again 0 "$bin" build "$tmp/repo" -q --full
check build-missing 1 "$bin" build "$tmp/nope"
check build-text 0 "$bin" build "$tmp/repo" --full
expect_out build-text "^build: "
expect_out build-text "^diagnostics: 1 (SYNTAX_ERROR 1)$"
# The build manifest: three builds, newest first.
check builds-help 0 "$bin" builds --help && expect_out builds-help "Usage"
check builds 0 "$bin" builds "$tmp/repo/.cpglake"
expect_out builds "succeeded"
[ "$(printf '%s\n' "$LAST_OUT" | wc -l)" -eq 4 ] && pass=$((pass + 1)) || { echo "FAIL builds: want header + 3 rows"; fail=$((fail + 1)); }
check builds-json 0 "$bin" builds "$tmp/repo/.cpglake" --json --limit 2
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2 and d[0]["status"]=="succeeded" and d[0]["table_versions"]["cpg_nodes"]==2 and d[1]["table_versions"]["cpg_nodes"]==1 and d[0]["started_at"]>=d[1]["started_at"]' \
  && pass=$((pass + 1)) || { echo "FAIL builds-json: bad JSON"; fail=$((fail + 1)); }
first=$("$bin" builds "$tmp/repo/.cpglake" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["build_id"])')
check builds-one 0 "$bin" --json builds "$tmp/repo/.cpglake" "${first:0:8}"
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["build_id"]=="'"$first"'" and d["tables"][0]["commit_info"]["cpglake.build_id"]=="'"$first"'"' \
  && pass=$((pass + 1)) || { echo "FAIL builds-one: bad JSON"; fail=$((fail + 1)); }
check builds-unknown 4 "$bin" builds "$tmp/repo/.cpglake" ffffffff-nope
check builds-empty 0 "$bin" builds "$tmp"
expect_out builds-empty "no builds"
check builds-not-a-dir 1 "$bin" builds "$tmp/nope"
# Changes between builds (change data feed): three builds so far; the second and third
# compared by default. Whether a rebuild is full or incremental, identical content means as
# many rows removed as added.
out="$tmp/repo/.cpglake"
check changes-help 0 "$bin" changes --help && expect_out changes-help "Usage"
ids=$("$bin" builds "$out" --json | python3 -c 'import json,sys; print(" ".join(b["build_id"] for b in json.load(sys.stdin)))')
read -r newest middle oldest <<< "$ids"
check changes 0 "$bin" changes "$out"
expect_out changes "^changes from build ${middle:0:8} (.*) to build ${newest:0:8} (.*): nodes +[0-9]* -[0-9]* ~[0-9]*, edges .*, props "
check changes-json 0 "$bin" changes "$out" --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)
assert d["from"]["build_id"]=="'"$middle"'" and d["to"]["build_id"]=="'"$newest"'" and d["by"]=="both", d
assert d["versions"]["cpg_nodes"]=={"from":1,"to":2}, d["versions"]
for t in ("cpg_nodes","cpg_edges","cpg_props"):
    x=d["totals"][t]; assert x["added"]==x["removed"], (t, x)
    assert x["added"]==sum(c["added"] for c in d["changes"] if c["table"]==t), t
assert all(set(c)=={"table","path","kind","added","removed","changed"} for c in d["changes"])' \
  && pass=$((pass + 1)) || { echo "FAIL changes-json: bad JSON"; fail=$((fail + 1)); }
check changes-since 0 "$bin" --json changes "$out" --since-build "${oldest:0:8}" --build "${newest:0:8}"
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["versions"]["cpg_edges"]=={"from":0,"to":2}, d["versions"]' \
  && pass=$((pass + 1)) || { echo "FAIL changes-since: bad JSON"; fail=$((fail + 1)); }
check changes-csv 0 "$bin" changes "$out" --format csv --table cpg_nodes
expect_out changes-csv "^table,path,kind,added,removed,changed$"
printf '%s\n' "$LAST_OUT" | tail -n +2 | grep -qv '^cpg_nodes,' && { echo "FAIL changes-csv: other tables"; fail=$((fail + 1)); } || pass=$((pass + 1))
check changes-by-kind 0 "$bin" changes "$out" --by kind --format jsonl
printf '%s\n' "$LAST_OUT" | python3 -c 'import json,sys
for l in sys.stdin:
    if l.strip(): assert list(json.loads(l))==["table","kind","added","removed","changed"], l' \
  && pass=$((pass + 1)) || { echo "FAIL changes-by-kind: bad JSON lines"; fail=$((fail + 1)); }
check changes-rows 0 "$bin" changes "$out" --rows --table cpg_edges --format jsonl
printf '%s\n' "$LAST_OUT" | python3 -c 'import json,sys
for l in sys.stdin:
    if l.strip(): r=json.loads(l); assert r["_change_type"] in ("insert","delete","update_preimage","update_postimage") and "edge_kind" in r, l' \
  && pass=$((pass + 1)) || { echo "FAIL changes-rows: bad JSON lines"; fail=$((fail + 1)); }
# Incremental builds: nothing changed → no commit to the graph tables; one file fixed → only
# its rows change, and `changes` shows them.
check build-noop 0 "$bin" --json build "$tmp/repo"
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mode"]=="incremental" and d["files_changed"]==0 and d["table_versions"]["cpg_nodes"]==2 and all(c=={"inserted":0,"deleted":0,"updated":0} for c in d["changes"].values()), d' \
  && pass=$((pass + 1)) || { echo "FAIL build-noop: not an empty incremental build"; fail=$((fail + 1)); }
printf 'def f(x):\n    return len(x)\n\ndef fixed():\n    return f(1)\n' > "$tmp/repo/pkg/m.py"
check build-incremental 0 "$bin" --json build "$tmp/repo"
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mode"]=="incremental" and d["files_changed"]==1 and d["files_deleted"]==0 and d["table_versions"]["cpg_nodes"]==3 and d["changes"]["cpg_nodes"]["inserted"]>0 and d["diagnostics"]==0, d' \
  && pass=$((pass + 1)) || { echo "FAIL build-incremental: summary JSON"; fail=$((fail + 1)); }
check build-incremental-changes 0 "$bin" changes "$out" --format csv --by file
expect_out build-incremental-changes "^cpg_nodes,pkg/m.py,"
printf '%s\n' "$LAST_OUT" | tail -n +2 | grep -v ',pkg/m.py,' | grep -v '^cpg_[a-z]*,,' | grep -q . && { echo "FAIL build-incremental-changes: rows of other files"; fail=$((fail + 1)); } || pass=$((pass + 1))
check build-full-flag 0 "$bin" --json build "$tmp/repo" --full
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mode"]=="full" and d["full_reason"]=="--full", d' \
  && pass=$((pass + 1)) || { echo "FAIL build-full-flag"; fail=$((fail + 1)); }
# SCIP evidence: a bad or missing index is a one-line error naming it, before anything is
# written: the tables stay at their version and the manifest gains no row.
check scip-base 0 "$bin" build "$tmp/repo" -o "$tmp/scipout" -q
scip_state() {
  printf '%s %s' "$("$bin" delta describe "$tmp/scipout/cpg_nodes" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" \
    "$("$bin" builds "$tmp/scipout" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
}
scip_before=$(scip_state)
printf 'this is not a SCIP index' > "$tmp/bad.scip"
check scip-bad-index 2 "$bin" build "$tmp/repo" -o "$tmp/scipout" --scip "$tmp/bad.scip"
grep -q "bad.scip" /tmp/cli_test_err.$$ && pass=$((pass + 1)) || { echo "FAIL scip-bad-index: error does not name the index"; fail=$((fail + 1)); }
check scip-missing-index 4 "$bin" build "$tmp/repo" -o "$tmp/scipout" --scip "$tmp/nope.scip"
check scip-both-flags 1 "$bin" build "$tmp/repo" -o "$tmp/scipout" --scip "$tmp/bad.scip" --scip-python
[ "$(scip_state)" = "$scip_before" ] && pass=$((pass + 1)) || { echo "FAIL scip-bad-index: output changed ($scip_before -> $(scip_state))"; fail=$((fail + 1)); }
# With scip-python installed (npm, scripts/setup): index the tiny repository and ingest it.
if node --version >/dev/null 2>&1 && [ -f "$(dirname "$bin")/../../node_modules/@sourcegraph/scip-python/index.js" ]; then
  check scip-python 0 "$bin" --json build "$tmp/repo" -o "$tmp/scipout" --scip-python
  printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mode"]=="full" and d["nodes_by_kind"]["SCIP_DOCUMENT"]==2 and d["edges_by_kind"]["PY_DEFINES_SYMBOL"]>=3, d' \
    && pass=$((pass + 1)) || { echo "FAIL scip-python: summary JSON"; fail=$((fail + 1)); }
else
  echo "SKIP scip-python: node or node_modules/@sourcegraph/scip-python missing (run scripts/setup)"
fi
# The derived tables are opt-in: not written by default, written with --derived-tables.
[ ! -d "$out/cpg_edges_by_dst" ] && pass=$((pass + 1)) || { echo "FAIL derived-default: derived tables written by default"; fail=$((fail + 1)); }
check build-derived 0 "$bin" build "$tmp/repo" -o "$tmp/derived-out" -q --derived-tables
[ -d "$tmp/derived-out/cpg_edges_by_dst" ] && [ -d "$tmp/derived-out/cpg_props_map" ] && pass=$((pass + 1)) || { echo "FAIL build-derived: no derived tables"; fail=$((fail + 1)); }
# Change detection from git: --since REF looks only at what git says changed.
g="$tmp/gitrepo"
mkdir -p "$g/pkg" && printf 'def a():\n    return 1\n' > "$g/pkg/a.py" && printf 'from pkg.a import a\n' > "$g/b.py"
git -C "$g" init -q && git -C "$g" -c user.name=t -c user.email=t@t add -A && git -C "$g" -c user.name=t -c user.email=t@t commit -qm one
check git-build 0 "$bin" build "$g" -o "$tmp/gitout" -q
printf 'def a():\n    return 2\n' > "$g/pkg/a.py"
check git-since 0 "$bin" --json build "$g" -o "$tmp/gitout" --since HEAD
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mode"]=="incremental" and d["files_changed"]==1 and d["build"]["strategy"]=="dependencies+resolution-hash+git-diff", d["build"]' \
  && pass=$((pass + 1)) || { echo "FAIL git-since: not a git-diff incremental build"; fail=$((fail + 1)); }
check git-since-bad-ref 2 "$bin" build "$g" -o "$tmp/gitout" --since no-such-ref
check git-head-needs-base 1 "$bin" build "$g" -o "$tmp/gitout" --git-head HEAD
check changes-rows-json 0 "$bin" changes "$out" --rows --json
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d, list) and all(r["_change_type"] in ("insert","delete","update_preimage","update_postimage") and "node_kind" in r for r in d)' \
  && pass=$((pass + 1)) || { echo "FAIL changes-rows-json: bad JSON"; fail=$((fail + 1)); }
check changes-rows-csv 0 "$bin" changes "$out" --rows --table cpg_props --format csv
expect_out changes-rows-csv "_change_type,_commit_version,_commit_timestamp$"
check changes-unknown-build 4 "$bin" changes "$out" --since-build ffffffff
check changes-first-build 4 "$bin" changes "$out" --build "${oldest:0:8}"
check changes-not-older 2 "$bin" changes "$out" --since-build "${newest:0:8}" --build "${oldest:0:8}"
check changes-bad-by 2 "$bin" changes "$out" --by path
check changes-bad-table 2 "$bin" changes "$out" --table cpg_nodez
check changes-bad-format 2 "$bin" changes "$out" --format xml
check changes-no-builds 4 "$bin" changes "$tmp"
check changes-missing-out 4 "$bin" changes "$tmp/nowhere"
# SQL over the output: tables pinned to one build, formats, named queries, the shell.
out="$tmp/repo/.cpglake"
for sub in "query --help" "callers --help" "callees --help" "imports --help"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub && expect_out "help $sub" "Usage"
done
check query-kinds 0 "$bin" query "$out" "SELECT node_kind, count(*) AS n FROM cpg_nodes GROUP BY node_kind ORDER BY node_kind" --format csv
expect_out query-kinds "^CST_FUNCTION_DEF,2$"
check query-json 0 "$bin" --json query "$out" "SELECT qualified_name FROM cpg_nodes WHERE node_kind = 'CST_FUNCTION_DEF' ORDER BY 1"
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [r["qualified_name"] for r in d]==["pkg.m.f","pkg.m.fixed"], d' \
  && pass=$((pass + 1)) || { echo "FAIL query-json: bad JSON"; fail=$((fail + 1)); }
check query-jsonl 0 "$bin" query "$out" "SELECT 1 AS a, NULL AS b, 'x' AS c" --format jsonl
expect_out query-jsonl '^{"a":1,"b":null,"c":"x"}$'
check query-empty-json 0 "$bin" query "$out" "SELECT 1 WHERE 0" --format json
expect_out query-empty-json '^\[\]$'
check query-bad-sql 2 "$bin" query "$out" "SELEC nope"
check query-no-table 2 "$bin" query "$out" "SELECT * FROM nope"
check query-read-only 6 "$bin" query "$out" "DELETE FROM cpg_nodes"
check query-bad-format 2 "$bin" query "$out" "SELECT 1" --format xml
check query-missing-out 4 "$bin" query "$tmp/nowhere" "SELECT 1"
check query-callers 0 "$bin" callers "$out" builtins.len --format csv
expect_out query-callers "^pkg.m.f,CST_FUNCTION_DEF,pkg/m.py,2,"
check query-callees 0 "$bin" --json callees "$out" pkg.m.f
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [r["callee"] for r in d]==["builtins.len"], d' \
  && pass=$((pass + 1)) || { echo "FAIL query-callees: bad JSON"; fail=$((fail + 1)); }
check query-imports 0 "$bin" imports "$out" pkg --format csv
expect_out query-imports "^1,f,pkg.m.f,CST_FUNCTION_DEF,"
check query-imports-reverse 0 "$bin" imports "$out" pkg.m --reverse --format csv
expect_out query-imports-reverse "^pkg,pkg/__init__.py,1,pkg.m.f,"
# Pinning: the oldest build's tables, by id prefix.
oldest=$("$bin" builds "$out" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["build_id"])')
oldv=$("$bin" builds "$out" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["table_versions"]["cpg_nodes"])')
check query-build 0 "$bin" query "$out" "SELECT max(delta_version) FROM cpg_nodes" --build "${oldest:0:8}" --format csv
expect_out query-build "^$oldv$"
check query-build-unknown 4 "$bin" query "$out" "SELECT 1" --build ffffffff
# The shell on piped input: dot commands, statements over several lines.
LAST_OUT=$(printf '.tables\n.schema cpg_edges\nSELECT count(*) AS n\n  FROM cpg_nodes\n  WHERE node_kind = %s;\n.quit\n' "'PY_FILE'" | "$bin" query "$out" 2>&1); rc=$?
[ "$rc" -eq 0 ] && pass=$((pass + 1)) || { echo "FAIL query-shell: exit $rc"; fail=$((fail + 1)); }
expect_out query-shell-tables "^cpg_nodes  *version"
expect_out query-shell-schema "edge_owner_file_id TEXT"
expect_out query-shell-sql "^2$"
LAST_OUT=$(printf 'SELEC 1;\nSELECT 2;\n' | "$bin" query "$out" 2>&1); rc=$?
[ "$rc" -eq 2 ] && pass=$((pass + 1)) || { echo "FAIL query-shell-error: exit $rc, expected 2"; fail=$((fail + 1)); }
expect_out query-shell-continues "^2$"
# Writes: CTAS creates a Delta table in the output; a later query sees it.
check query-ctas 0 "$bin" query "$out" "CREATE TABLE defs AS SELECT qualified_name FROM cpg_nodes WHERE node_kind = 'CST_FUNCTION_DEF'; INSERT INTO defs VALUES ('extra')"
check query-ctas-read 0 "$bin" query "$out" "SELECT count(*) FROM defs" --format csv
expect_out query-ctas-read "^3$"
check query-ctas-history 0 "$bin" delta history "$out/defs" --json
root="$(cd "$(dirname "$0")/../.." && pwd)"
# COPY: Delta by default; Parquet refused (and recorded) unless the policy allows it.
check query-copy-delta 0 "$bin" query "$out" "COPY (SELECT node_id FROM cpg_nodes) TO '$tmp/copy_delta'"
[ -d "$tmp/copy_delta/_delta_log" ] && pass=$((pass + 1)) || { echo "FAIL query-copy-delta: no Delta table"; fail=$((fail + 1)); }
check query-copy-parquet-refused 2 "$bin" query "$out" "COPY (SELECT node_id FROM cpg_nodes) TO '$tmp/copy_pq' (FORMAT parquet)"
[ ! -e "$tmp/copy_pq" ] && pass=$((pass + 1)) || { echo "FAIL query-copy-parquet-refused: wrote $tmp/copy_pq"; fail=$((fail + 1)); }
# (recorded after the build: the latest version of the table, not the build's pinned one)
check query-copy-refusal-recorded 0 "$bin" delta scan "$out/_cpglake/diagnostics" --where "code = 'REFUSED_SINK'" --columns code,source --format csv
expect_out query-copy-refusal-recorded "^REFUSED_SINK,policy$"
check query-copy-parquet-allowed 0 env CPGLAKE_OUTPUT_ALLOW_PARQUET_EXPORTS=true "$bin" query "$out" "COPY (SELECT node_id FROM cpg_nodes) TO '$tmp/copy_pq' (FORMAT parquet)"
duck=$(cd "$root" && node tools/oracle/duckdb.mjs sql "SELECT count(*) AS n FROM read_parquet('$tmp/copy_pq/*.parquet')")
nodes=$("$bin" query "$out" "SELECT count(*) FROM cpg_nodes" --format csv | tail -1)
[ "$duck" = "{\"n\":$nodes}" ] && pass=$((pass + 1)) || { echo "FAIL query-copy-parquet-duckdb: $duck vs $nodes"; fail=$((fail + 1)); }
# Configuration: a default cpglake.toml, the effective values with their sources.
root="$(cd "$(dirname "$0")/../.." && pwd)"
for sub in "config --help" "config show --help" "config init --help" "export --help"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub && expect_out "help $sub" "Usage"
done
check export-help-policy 0 "$bin" export --help && expect_out export-help-policy "allow_parquet_exports"
check config-init 0 "$bin" config init "$tmp/repo"
check config-init-again 2 "$bin" config init "$tmp/repo"
check config-init-force 0 "$bin" config init "$tmp/repo" --force
check config-show 0 "$bin" config show "$tmp/repo" --with-sources
expect_out config-show "^compression = \"zstd\"  # from file:$tmp/repo/cpglake.toml:"
check config-show-env 0 env CPGLAKE_BUILD_JOBS=3 "$bin" config show "$tmp/repo" --with-sources
expect_out config-show-env "^jobs = 3  # from env:CPGLAKE_BUILD_JOBS"
check config-show-json 0 "$bin" --json config show "$tmp/repo" --with-sources
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["writer"]["compression"]=="zstd" and d["sources"]["build.jobs"].startswith("file:")' \
  && pass=$((pass + 1)) || { echo "FAIL config-show-json: bad JSON"; fail=$((fail + 1)); }
printf '[scan]\nexlude = ["x"]\n' > "$tmp/bad.toml"
check config-bad-key 2 "$bin" config show "$tmp/repo" --config "$tmp/bad.toml"
check build-config-bad 2 "$bin" build "$tmp/repo" --config "$tmp/bad.toml"
check build-with-config 0 "$bin" --json build "$tmp/repo" --jobs 2
# Export: Parquet files DuckDB reads with the same row count as the table.
check export-parquet 0 "$bin" --json export "$tmp/repo/.cpglake" cpg_nodes "$tmp/exp" --format parquet
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["format"]=="parquet" and d["rows"]>0 and d["files"][0]["path"].endswith("part-00000.parquet")' \
  && pass=$((pass + 1)) || { echo "FAIL export-parquet: bad JSON"; fail=$((fail + 1)); }
check export-count 0 "$bin" delta scan "$tmp/repo/.cpglake/cpg_nodes" --count
rows="$LAST_OUT"
duck=$(cd "$root" && node tools/oracle/duckdb.mjs sql "SELECT count(*) AS n FROM read_parquet('$tmp/exp/*.parquet')")
[ "$duck" = "{\"n\":$rows}" ] && pass=$((pass + 1)) || { echo "FAIL export-duckdb: duckdb says $duck, delta scan $rows"; fail=$((fail + 1)); }
[ "$(ls -A "$tmp/exp")" = "part-00000.parquet" ] && pass=$((pass + 1)) || { echo "FAIL export-files: $(ls -A "$tmp/exp")"; fail=$((fail + 1)); }
check export-parquet-again 2 "$bin" export "$tmp/repo/.cpglake" cpg_nodes "$tmp/exp" --format parquet
check export-parquet-overwrite 0 "$bin" export "$tmp/repo/.cpglake" cpg_nodes "$tmp/exp" --format parquet --overwrite --where "node_kind = 'CST_FUNCTION_DEF'" --columns node_id,name
check export-delta 0 "$bin" --json export "$tmp/repo/.cpglake" _cpglake/repo_files "$tmp/expd" --version 0
printf '%s' "$LAST_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["format"]=="delta" and d["target_version"]==0 and d["rows"]==2' \
  && pass=$((pass + 1)) || { echo "FAIL export-delta: bad JSON"; fail=$((fail + 1)); }
check export-delta-history 0 "$bin" delta history "$tmp/expd" --json
expect_out export-delta-history '"cpglake.export_source_version": "0"'
check export-delta-again 2 "$bin" export "$tmp/repo/.cpglake" _cpglake/repo_files "$tmp/expd"
check export-unknown-table 4 "$bin" export "$tmp/repo/.cpglake" cpg_nodez "$tmp/exp2"
check export-bad-format 2 "$bin" export "$tmp/repo/.cpglake" cpg_nodes "$tmp/exp2" --format csv
# DML: delete / update / merge, with --json metrics and one-line errors.
dml=$(mktemp -d)
printf 'k,v\n1,10\n2,20\n3,30\n' > "$dml/a.csv"
printf 'k,v\n2,200\n5,500\n' > "$dml/s.csv"
check dml-create 0 "$bin" delta write "$dml/t" --input "$dml/a.csv" --property delta.enableDeletionVectors=true --property delta.enableChangeDataFeed=true
check dml-source 0 "$bin" delta write "$dml/src" --input "$dml/s.csv"
src_file=$(ls "$dml/src" | grep parquet)
check dml-delete 0 "$bin" --json delta delete "$dml/t" --where "k = 1"
expect_out dml-delete '"rows_deleted": 1'
expect_out dml-delete-dv '"strategy": "deletion_vectors"'
check dml-delete-no-predicate 2 "$bin" delta delete "$dml/t"
check dml-delete-bad-predicate 2 "$bin" delta delete "$dml/t" --where "nope = 1"
check dml-update 0 "$bin" --json delta update "$dml/t" --set "v=v+1" --where "k = 3"
expect_out dml-update '"rows_updated": 1'
check dml-update-bad-type 2 "$bin" delta update "$dml/t" --set "v='x'"
check dml-merge 0 "$bin" --json delta merge "$dml/t" --source "$dml/src/$src_file" --on "target.k = source.k" --when-matched-update-all --when-not-matched-insert-all
expect_out dml-merge '"rows_inserted": 1'
check dml-merge-no-clause 2 "$bin" delta merge "$dml/t" --source "$dml/src/$src_file" --on "target.k = source.k"
check dml-scan 0 "$bin" delta scan "$dml/t" --count
[ "$LAST_OUT" = "3" ] && pass=$((pass + 1)) || { echo "FAIL dml-scan: $LAST_OUT rows"; fail=$((fail + 1)); }
check dml-delete-all 0 "$bin" delta delete "$dml/t" --all
rm -rf "$dml"
# migrate: a DuckDB-written Hive tree into Delta (copy, in place, dry run, modes, report).
mig=$(mktemp -d)
(cd "$root" && node tools/oracle/duckdb.mjs sql "COPY (SELECT i AS id, i % 2 AS k FROM range(10) t(i)) TO '$mig/src' (FORMAT parquet, PARTITION_BY (k))") >/dev/null
check migrate-help 0 "$bin" migrate --help && expect_out migrate-help "in-place"
check migrate-dry-run 0 "$bin" --json migrate "$mig/src" "$mig/t" --dry-run
expect_out migrate-dry-run '"rows": 10'
[ ! -e "$mig/t" ] && pass=$((pass + 1)) || { echo "FAIL migrate-dry-run: wrote something"; fail=$((fail + 1)); }
check migrate-copy 0 "$bin" migrate "$mig/src" "$mig/t" --verify --report "$mig/r.json"
expect_out migrate-copy "verified"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["rows"]==10 and d["delta_version"]==0 and d["verification"]["ok"]' "$mig/r.json" \
  && pass=$((pass + 1)) || { echo "FAIL migrate-report: bad JSON"; fail=$((fail + 1)); }
check migrate-error-mode 2 "$bin" migrate "$mig/src" "$mig/t"
check migrate-append 0 "$bin" migrate "$mig/src" "$mig/t" --mode append
check migrate-append-count 0 "$bin" delta scan "$mig/t" --count
[ "$LAST_OUT" = "20" ] && pass=$((pass + 1)) || { echo "FAIL migrate-append: $LAST_OUT rows"; fail=$((fail + 1)); }
check migrate-in-place 0 "$bin" migrate "$mig/src" "$mig/src" --in-place --verify
check migrate-in-place-count 0 "$bin" delta scan "$mig/src" --count
[ "$LAST_OUT" = "10" ] && pass=$((pass + 1)) || { echo "FAIL migrate-in-place: $LAST_OUT rows"; fail=$((fail + 1)); }
check migrate-in-place-outside 2 "$bin" migrate "$mig/src" "$mig/other" --in-place
check migrate-bad-mode 2 "$bin" migrate "$mig/src" "$mig/t2" --mode ignore
check migrate-missing 4 "$bin" migrate "$mig/nope" "$mig/t3"
mkdir -p "$mig/bad" && printf 'PAR1 garbage PAR1' > "$mig/bad/x.parquet"
check migrate-corrupt 5 "$bin" migrate "$mig/bad" "$mig/t4"
[ ! -e "$mig/t4/_delta_log" ] && pass=$((pass + 1)) || { echo "FAIL migrate-corrupt: committed"; fail=$((fail + 1)); }
rm -rf "$mig"

rm -rf "$tmp"
rm -f /tmp/cli_test_err.$$
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
