// DuckDB side of the Parquet benchmark: loads FILE (our output) into memory untimed, then
// times COPY ... TO (ZSTD) and a full read of its own file, with threads=1 and default threads.
// Prints one JSON object per thread setting.
//   node bench/duckdb_parquet_bench.mjs FILE OUTDIR
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';

const [file, outdir] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`CREATE TABLE nodes AS SELECT * FROM read_parquet('${file}')`);
const full = (f) => `SELECT count(*), max(node_id), max(node_kind), max(path), sum(bstart), sum(bend), max(name) FROM read_parquet('${f}')`;
for (const threads of [1, 'default']) {
  if (threads === 1) await con.run('SET threads = 1');
  else await con.run('RESET threads');
  const out = `${outdir}/duckdb_nodes_${threads}.parquet`;
  let t = performance.now();
  await con.run(`COPY nodes TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
  const write_s = (performance.now() - t) / 1000;
  t = performance.now();
  await con.runAndReadAll(full(out));
  const read_s = (performance.now() - t) / 1000;
  t = performance.now();
  await con.runAndReadAll(full(file));
  const read_ours_s = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ duckdb_threads: threads, write_s, read_own_s: read_s,
    read_cpglake_file_s: read_ours_s, file_bytes: fs.statSync(out).size }));
}
