#!/usr/bin/env python3
"""Incremental builds equal full builds (issue 8), end to end through the CLI.

A copy of a real package (/usr/lib/python3.11/email) plus a multi-package fixture (re-exports,
star imports, subclasses across packages) is edited by random scripts — edit, add, delete,
rename, move between packages, change an exported name, make a package a plain directory and
back, introduce a syntax error and fix it, touch without changing. After every step an
incremental build of the edited tree must give the same table contents, row for row, as a
full build of it into a fresh output (graph tables, repo_files, and diagnostics without their
build id).

Then:
  * switching a file to new content and back parses nothing the second time (extraction
    cache);
  * the change feed after a one-line edit holds only rows of the edited file, and resolver
    edges (IMPORTS / CALLS / INHERITS) of the files the build reports as impacted;
  * builds killed (SIGKILL) at random points: the next build still equals a full build.

Usage: incremental_equivalence_test.py CPGLAKE_BINARY [STEPS] [SEED]
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CPGLAKE = sys.argv[1]
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 20261122
EMAIL = "/usr/lib/python3.11/email"
TABLES = ["cpg_nodes", "cpg_edges", "cpg_props", "cpg_edges_by_src", "cpg_edges_by_dst",
          "cpg_props_map", "_cpglake/repo_files", "_cpglake/diagnostics"]
# Every incremental build stays incremental, however large the work set.
# CPGLAKE_CHECK_IMPACT: every build also resolves the files its dependency records left out and
# fails if one of them changed (docs/incremental.md).
# CPGLAKE_DERIVED_ENABLED: the derived tables (off by default) are compared too.
ENV = dict(os.environ, CPGLAKE_INCREMENTAL_MAX_WORK_PERCENT="100", CPGLAKE_CHECK_IMPACT="1",
           CPGLAKE_DERIVED_ENABLED="1")

FIXTURE = {
    "fixture/pkg_a/__init__.py": "from .core import helper_0, Base\nfrom .util import *\n"
                                 "__all__ = ['helper_0', 'Base', 'shout']\n",
    "fixture/pkg_a/core.py": "import os\n\n\nclass Base:\n    def run(self):\n"
                             "        return self.step()\n\n    def step(self):\n"
                             "        return os.getcwd()\n\n\ndef helper_0(x):\n"
                             "    return Base().run() + str(x)\n",
    "fixture/pkg_a/util.py": "__all__ = ['shout']\n\n\ndef shout(s):\n    return s.upper()\n\n\n"
                             "def _private():\n    return 1\n",
    "fixture/pkg_b/__init__.py": "",
    "fixture/pkg_b/user.py": "from pkg_a import helper_0, Base, shout\nimport pkg_a.core as c\n\n\n"
                             "class Child(Base):\n    def step(self):\n"
                             "        return shout(helper_0(1))\n\n\ndef go():\n"
                             "    return Child().run(), c.helper_0(2)\n",
    "fixture/pkg_b/star.py": "from pkg_a.util import *\n\n\ndef loud():\n    return shout('x')\n",
    "fixture/scripts/tool.py": "import pkg_b.user\nfrom email import message_from_string\n\n"
                               "pkg_b.user.go()\nmessage_from_string('x')\n",
}


def run(args, check=True):
    p = subprocess.run([CPGLAKE] + args, capture_output=True, text=True, env=ENV)
    if check and p.returncode != 0:
        raise SystemExit("cpglake %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                       p.stderr.strip()))
    return p


def build(repo, out, full=False):
    args = ["build", repo, "-o", out, "--repo-id", "eq", "--no-git", "--json", "--jobs", "2"]
    if full:
        args.append("--full")
    return json.loads(run(args).stdout)


def dump(out, table):
    path = os.path.join(out, table)
    rows = [line for line in run(["delta", "scan", path, "--format", "jsonl"]).stdout.splitlines()
            if line.strip()]
    if table == "_cpglake/diagnostics":
        parsed = [json.loads(line) for line in rows]
        for row in parsed:
            row.pop("build_id", None)  # the build that wrote the table
        rows = [json.dumps(row, sort_keys=True) for row in parsed]
    rows.sort()
    return rows


def compare(inc, full, step, what):
    for table in TABLES:
        a, b = dump(inc, table), dump(full, table)
        if a != b:
            sa, sb = set(a), set(b)
            only_inc = sorted(sa - sb)[:5]
            only_full = sorted(sb - sa)[:5]
            raise SystemExit(
                "step %d (%s): %s differs: incremental %d rows, full %d rows\n"
                "  only in incremental: %s\n  only in full: %s"
                % (step, what, table, len(a), len(b), "\n    ".join(only_inc),
                   "\n    ".join(only_full)))


class Editor:
    def __init__(self, repo, rng):
        self.repo = repo
        self.rng = rng
        self.counter = 0
        self.broken = []  # files with a syntax error appended

    def files(self):
        out = []
        for root, _, names in os.walk(self.repo):
            for n in names:
                if n.endswith(".py"):
                    out.append(os.path.relpath(os.path.join(root, n), self.repo))
        return sorted(out)

    def dirs(self):
        out = set()
        for f in self.files():
            out.add(os.path.dirname(f))
        return sorted(out)

    def path(self, rel):
        return os.path.join(self.repo, rel)

    def next(self):
        self.counter += 1
        return self.counter

    def edit_append(self):
        f = self.rng.choice(self.files())
        with open(self.path(f), "a") as h:
            h.write("\n\ndef cpglake_added_%d(a, b=2):\n    return helper(a) + len(str(b))\n"
                    % self.next())
        return "append a function to " + f

    def edit_line(self):
        f = self.rng.choice(self.files())
        with open(self.path(f)) as h:
            lines = h.read().split("\n")
        # A comment line at the start of a random top-level statement (shifts spans).
        starts = [i for i, l in enumerate(lines) if l and not l[0].isspace()
                  and not l.startswith(("#", ")", "]", "}", '"', "'")) and
                  (i == 0 or not lines[i - 1].rstrip().endswith("\\"))]
        i = self.rng.choice(starts) if starts else 0
        lines.insert(i, "# edit %d" % self.next())
        with open(self.path(f), "w") as h:
            h.write("\n".join(lines))
        return "insert a line in " + f

    def add_file(self):
        d = self.rng.choice(self.dirs())
        rel = os.path.join(d, "added_%d.py" % self.next())
        with open(self.path(rel), "w") as h:
            h.write("from pkg_a import helper_0, shout\nimport email.utils\n\n\n"
                    "class Added(object):\n    def m(self):\n        return helper_0(shout('a'))"
                    "\n\n\ndef f():\n    return Added().m(), email.utils.quote('x')\n")
        return "add " + rel

    def delete_file(self):
        fs = [f for f in self.files() if not f.endswith("__init__.py")]
        f = self.rng.choice(fs)
        os.remove(self.path(f))
        return "delete " + f

    def rename(self):
        fs = [f for f in self.files() if not f.endswith("__init__.py")]
        f = self.rng.choice(fs)
        new = os.path.join(os.path.dirname(f), "renamed_%d.py" % self.next())
        os.rename(self.path(f), self.path(new))
        return "rename %s -> %s" % (f, new)

    def move(self):
        fs = [f for f in self.files() if not f.endswith("__init__.py")]
        f = self.rng.choice(fs)
        d = self.rng.choice(self.dirs())
        new = os.path.join(d, "moved_%d_%s" % (self.next(), os.path.basename(f)))
        os.rename(self.path(f), self.path(new))
        return "move %s -> %s" % (f, new)

    def change_export(self):
        core = self.path("fixture/pkg_a/core.py")
        if not os.path.exists(core):
            return "no core.py"
        with open(core) as h:
            text = h.read()
        n = self.next()
        import re
        m = re.search(r"def helper_(\d+)\(", text)
        if m and self.rng.random() < 0.7:
            text = text.replace("def helper_%s(" % m.group(1), "def helper_%d(" % n, 1)
            what = "rename helper_%s -> helper_%d in core.py" % (m.group(1), n)
        else:
            text += "\n\ndef helper_0(x):\n    return x\n"
            what = "define helper_0 again in core.py"
        with open(core, "w") as h:
            h.write(text)
        return what

    def syntax_error(self):
        if self.broken and self.rng.random() < 0.6:
            f, original = self.broken.pop()
            if os.path.exists(self.path(f)):
                with open(self.path(f), "w") as h:
                    h.write(original)
                return "fix the syntax error in " + f
            return "broken file gone"
        f = self.rng.choice(self.files())
        with open(self.path(f)) as h:
            original = h.read()
        with open(self.path(f), "a") as h:
            h.write("\ndef broken(:\n    pass\n")
        self.broken.append((f, original))
        return "syntax error in " + f

    def toggle_package(self):
        d = self.rng.choice(["fixture/pkg_b", "fixture/scripts", "email/mime"])
        init = self.path(os.path.join(d, "__init__.py"))
        if not os.path.isdir(self.path(d)):
            return "no " + d
        if os.path.exists(init):
            os.rename(init, init + ".off")
            return "make %s a plain directory" % d
        if os.path.exists(init + ".off"):
            os.rename(init + ".off", init)
        else:
            open(init, "w").close()
        return "make %s a package" % d

    # Content-only edits that change what other files resolve to without changing the module
    # table: the incremental build must find the affected files through its dependency
    # records (a new subclass seen by a search of `self.step()` overrides, a method gone from a
    # base class, a name leaving __all__).
    def add_subclass(self):
        f = self.rng.choice([f for f in self.files() if f.startswith("fixture/")])
        n = self.next()
        with open(self.path(f), "a") as h:
            h.write("\n\nfrom pkg_a.core import Base as _Base%d\n\n\nclass Sub%d(_Base%d):\n"
                    "    def step(self):\n        return %d\n\n    def extra_%d(self):\n"
                    "        return self.run()\n" % (n, n, n, n, n))
        return "add a subclass of Base to " + f

    def edit_base_method(self):
        core = self.path("fixture/pkg_a/core.py")
        if not os.path.exists(core):
            return "no core.py"
        with open(core) as h:
            text = h.read()
        if "    def step(self):" in text:
            text = text.replace("    def step(self):", "    def step_off(self):", 1)
            what = "Base.step renamed away"
        else:
            text = text.replace("    def step_off(self):", "    def step(self):", 1)
            what = "Base.step back"
        with open(core, "w") as h:
            h.write(text)
        return what

    def change_all(self):
        util = self.path("fixture/pkg_a/util.py")
        if not os.path.exists(util):
            return "no util.py"
        with open(util) as h:
            text = h.read()
        if "__all__ = ['shout']" in text:
            text = text.replace("__all__ = ['shout']", "__all__ = ['shout', '_private']", 1)
        else:
            text = text.replace("__all__ = ['shout', '_private']", "__all__ = ['shout']", 1)
        with open(util, "w") as h:
            h.write(text)
        return "change __all__ of util.py"

    def touch(self):
        f = self.rng.choice(self.files())
        t = time.time() + self.next()
        os.utime(self.path(f), (t, t))
        return "touch " + f

    def step(self):
        ops = [self.edit_append, self.edit_line, self.edit_line, self.add_file, self.delete_file,
               self.rename, self.move, self.change_export, self.change_export,
               self.syntax_error, self.toggle_package, self.touch, self.add_subclass,
               self.edit_base_method, self.change_all]
        return "; ".join(self.rng.choice(ops)() for _ in range(self.rng.randint(1, 3)))


def make_repo(base):
    repo = os.path.join(base, "repo")
    shutil.copytree(EMAIL, os.path.join(repo, "email"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for rel, text in FIXTURE.items():
        os.makedirs(os.path.dirname(os.path.join(repo, rel)), exist_ok=True)
        with open(os.path.join(repo, rel), "w") as h:
            h.write(text)
    return repo


def changes(out, table, from_version):
    path = os.path.join(out, table)
    rows = []
    for line in run(["delta", "changes", path, "--from", str(from_version),
                     "--format", "jsonl"]).stdout.splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def check_change_feed(repo, inc):
    """A one-line edit inside a function body of a leaf module: the change feed names only
    that file's rows, plus resolver edges of the impacted files."""
    # A leaf module of the copy that the random edits left in place (or a copy of one).
    target = "email/cf_target.py"
    shutil.copyfile(os.path.join(EMAIL, "quoprimime.py"), os.path.join(repo, target))
    with open(os.path.join(repo, target)) as h:
        text = h.read()
    before = build(repo, inc)
    versions = before["table_versions"]
    text = text.replace("    return ", "    return  ", 1)  # one line, one byte
    with open(os.path.join(repo, target), "w") as h:
        h.write(text)
    after = build(repo, inc)
    if after["mode"] != "incremental" or after["files_changed"] != 1:
        raise SystemExit("one-line edit: expected an incremental build of one file: %s" % after)
    node_rows = changes(inc, "cpg_nodes", versions["cpg_nodes"] + 1)
    edge_rows = changes(inc, "cpg_edges", versions["cpg_edges"] + 1)
    prop_rows = changes(inc, "cpg_props", versions["cpg_props"] + 1)
    if not node_rows:
        raise SystemExit("one-line edit: the change feed of cpg_nodes is empty")
    bad = [r for r in node_rows if r.get("path") != target]
    bad += [r for r in prop_rows if r.get("file_id") != node_rows[0].get("file_id")]
    bad += [r for r in edge_rows if r.get("path") != target and
            r.get("edge_kind") not in ("IMPORTS", "CALLS", "INHERITS")]
    if bad:
        raise SystemExit("one-line edit: change feed rows outside the edited file: %s" % bad[:3])
    owners = {r.get("edge_owner_file_id") for r in edge_rows if r.get("path") != target}
    if len(owners) > after["files_impacted"]:
        raise SystemExit("one-line edit: edges of %d other files changed, %d impacted"
                         % (len(owners), after["files_impacted"]))
    # The edit shifts spans after it: far fewer rows change than the file has.
    print("one-line edit: %d node, %d edge, %d prop change rows; %d impacted files"
          % (len(node_rows), len(edge_rows), len(prop_rows), after["files_impacted"]))


def check_branch_switch(repo, inc):
    """Content seen before comes from the extraction cache: switching a file to new content and
    back parses only the new content."""
    target = os.path.join(repo, "fixture/switch_target.py")
    original = FIXTURE["fixture/pkg_a/util.py"]
    with open(target, "w") as h:
        h.write(original)
    build(repo, inc)
    with open(target, "w") as h:
        h.write(original + "\n\ndef switched():\n    return 1\n")
    there = build(repo, inc)
    with open(target, "w") as h:
        h.write(original)
    back = build(repo, inc)
    if there["files_parsed"] < 1:
        raise SystemExit("branch switch: new content was not parsed: %s" % there)
    if back["files_changed"] < 1 or back["files_parsed"] != 0 or back["files_cached"] < 1:
        raise SystemExit("branch switch: old content was parsed again: %s" % back)
    print("branch switch: back to old content parsed %d files, %d from the cache"
          % (back["files_parsed"], back["files_cached"]))


def check_crashes(repo, inc, base, rng, rounds=8):
    editor = Editor(repo, rng)
    for k in range(rounds):
        what = editor.step()
        p = subprocess.Popen([CPGLAKE, "build", repo, "-o", inc, "--repo-id", "eq", "--no-git",
                              "--jobs", "2"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=ENV)
        time.sleep(rng.uniform(0.0, 0.4))
        p.send_signal(signal.SIGKILL)
        p.wait()
        build(repo, inc)
        full = os.path.join(base, "crash_full_%d" % k)
        build(repo, full, full=True)
        compare(inc, full, k, "after a killed build: " + what)
        shutil.rmtree(full)
    print("killed builds: %d rounds, every next build equal to a full build" % rounds)


def main():
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="cpglake-incr-") as base:
        repo = make_repo(base)
        inc = os.path.join(base, "inc")
        first = build(repo, inc)
        assert first["mode"] == "full", first
        again = build(repo, inc)
        if again["mode"] != "incremental" or again["files_changed"] != 0:
            raise SystemExit("a build without changes: %s" % again)
        editor = Editor(repo, rng)
        modes = {}
        for step in range(1, STEPS + 1):
            what = editor.step()
            r = build(repo, inc)
            modes[r["mode"]] = modes.get(r["mode"], 0) + 1
            full = os.path.join(base, "full_%d" % step)
            build(repo, full, full=True)
            compare(inc, full, step, what)
            shutil.rmtree(full)
            print("step %d ok (%s; %s: %d changed, %d deleted, %d impacted)"
                  % (step, what, r["mode"], r["files_changed"], r["files_deleted"],
                     r["files_impacted"]), flush=True)
        if modes.get("incremental", 0) != STEPS:
            raise SystemExit("expected every step to build incrementally: %s" % modes)
        check_change_feed(repo, inc)
        check_branch_switch(repo, inc)
        check_crashes(repo, inc, base, rng)
    print("ok: %d random edit steps, incremental == full" % STEPS)


if __name__ == "__main__":
    main()
