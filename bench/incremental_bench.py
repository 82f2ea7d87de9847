#!/usr/bin/env python3
"""Incremental builds on the standard library (issue 8): prints numbers, asserts nothing.

  full build                      (median of --runs, `cpglake build --full`)
  no-change build                 (incremental, nothing changed)
  touch N files (N = 1, 10, 100)  (a comment line appended to N files spread over the tree)
  table scan after K incremental builds (each editing a few files), with automatic OPTIMIZE
  (the default thresholds) and without it, against the scan of a fresh full build

Every time is also given as a ratio to the full build measured in the same run (the
machines are noisy; absolute times are not comparable across runs).

Usage: incremental_bench.py CPGLAKE [--corpus DIR] [--runs 3] [--builds 100] [--jobs 2]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time

p = argparse.ArgumentParser()
p.add_argument("cpglake")
p.add_argument("--corpus", default="/usr/lib/python3.11")
p.add_argument("--runs", type=int, default=3)
p.add_argument("--builds", type=int, default=100)
p.add_argument("--jobs", type=int, default=2)
args = p.parse_args()


def build(repo, out, env=None, full=False):
    cmd = [args.cpglake, "build", repo, "-o", out, "--json", "--no-git", "--jobs", str(args.jobs)]
    if full:
        cmd.append("--full")
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t, json.loads(r.stdout)


def scan_time(out):
    # Every row of the three graph tables, every column read (pinned to the latest build).
    sql = ("SELECT (SELECT count(*) FROM cpg_nodes WHERE coalesce(name, '') <> '~'), "
           "(SELECT count(*) FROM cpg_edges WHERE coalesce(resolution_method, '') <> '~'), "
           "(SELECT count(*) FROM cpg_props WHERE coalesce(value_string, '') <> '~')")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([args.cpglake, "query", out, sql, "--format", "csv"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def py_files(repo):
    out = []
    for root, dirs, names in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "build", "dist", "venv"))
        for n in sorted(names):
            if n.endswith(".py"):
                out.append(os.path.join(root, n))
    return out


def touch(files, n, tag):
    step = max(1, len(files) // n)
    for f in files[::step][:n]:
        with open(f, "a") as h:
            h.write("\n# bench %s\n" % tag)


def main():
    with tempfile.TemporaryDirectory(prefix="cpglake-incr-bench-") as base:
        repo = os.path.join(base, "repo")
        shutil.copytree(args.corpus, repo, ignore=shutil.ignore_patterns("__pycache__"),
                        symlinks=True)
        files = py_files(repo)
        out = os.path.join(base, "out")
        fulls = [build(repo, out, full=True)[0] for _ in range(args.runs)]
        full = statistics.median(fulls)
        print("corpus: %s (%d .py files), jobs %d" % (args.corpus, len(files), args.jobs))
        print("full build:          %7.3f s  (median of %d)" % (full, args.runs))
        rows = []
        nochange = statistics.median(build(repo, out)[0] for _ in range(args.runs + 2))
        rows.append(("no-change build", nochange, None))
        for n in (1, 10, 100):
            times, info = [], None
            for k in range(args.runs):
                touch(files, n, "%d-%d" % (n, k))
                t, info = build(repo, out)
                assert info["mode"] == "incremental", info
                times.append(t)
            rows.append(("touch %d file%s" % (n, "" if n == 1 else "s"), statistics.median(times),
                         info))
        for name, t, info in rows:
            extra = ""
            if info:
                extra = "  (%d changed, %d impacted; scan %.3f extract %.3f resolve %.3f " \
                        "write %.3f)" % (info["files_changed"], info["files_impacted"],
                                         info["seconds"]["scan"], info["seconds"]["extract"],
                                         info["seconds"]["resolve"], info["seconds"]["write"])
            print("%-20s %7.3f s  = %5.1f%% of the full build%s" % (name + ":", t,
                                                                    100 * t / full, extra))

        # Scan speed after many incremental builds, with and without automatic OPTIMIZE.
        fresh_scan = scan_time(out)
        rng = random.Random(7)
        results = {}
        for label, env in (("auto-optimize", dict(os.environ)),
                           ("no optimize", dict(os.environ, CPGLAKE_INCREMENTAL_OPTIMIZE_MAX_FILES="0",
                                                CPGLAKE_INCREMENTAL_OPTIMIZE_DELETED_PERCENT="0"))):
            o = os.path.join(base, "out-" + label.replace(" ", "-"))
            build(repo, o, env=env, full=True)
            optimized = 0
            total = 0.0
            for k in range(args.builds):
                for f in rng.sample(files, 3):
                    with open(f, "a") as h:
                        h.write("\ndef bench_added_%d():\n    return %d\n" % (k, k))
                t, info = build(repo, o, env=env)
                total += t
                optimized += len(info.get("optimized", []))
            files_n = {}
            for t in ("cpg_nodes", "cpg_edges", "cpg_props"):
                d = subprocess.run([args.cpglake, "delta", "describe", os.path.join(o, t), "--json"],
                                   capture_output=True, text=True, check=True)
                files_n[t] = json.loads(d.stdout).get("num_files")
            results[label] = (scan_time(o), optimized, total / args.builds, files_n)
        print("table scan (3 graph tables, all rows):")
        print("  fresh full build:           %6.3f s" % fresh_scan)
        for label, (t, optimized, avg, files_n) in results.items():
            print("  after %d builds, %-13s %6.3f s = %.2fx fresh  (%d OPTIMIZE commits; "
                  "mean build %.3f s; data files %s)" % (args.builds, label + ":", t,
                                                         t / fresh_scan, optimized, avg, files_n))


if __name__ == "__main__":
    main()
