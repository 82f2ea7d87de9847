#!/usr/bin/env python3
"""The CPython `ast` oracle for the syntax extractor (tests/python/ast_oracle_test.cc).

Usage: ast_dump.py FILE... | ast_dump.py @LISTFILE   (LISTFILE: one path per line)

Prints one JSON object per input file, in input order:
  {"file": PATH, "ok": true, "enc": ENCODING, "items": [[TAG, L1, C1, L2, C2, EXTRA], ...]}
  {"file": PATH, "ok": false, "error": MESSAGE}   when ast.parse itself fails

Positions are CPython's: 1-based lines and 0-based columns in UTF-8 bytes of the decoded
line. For a source in another encoding (a coding cookie such as latin-1) the columns are
converted to bytes of the raw file line, so that the test can map every position to a
byte offset of the file with its line index. EXTRA is a "|"-separated string per tag:

  def     is_async|decorator_count|name         FunctionDef / AsyncFunctionDef
  class   decorator_count|name                  ClassDef
  lambda  ""                                    Lambda
  param   kind|has_default|name                 kind: posonly args vararg kwonly kwarg
  dec     ""                                    one decorator expression
  doc     ""                                    the docstring expression (get_docstring)
  import  "import" | "from|level|module"        Import / ImportFrom
  alias   name|asname                           ast.alias
  call    argument_count                        Call (positional + keyword arguments)
  arg     index|keyword|star                    one call argument in source order
  ann     ""                                    an annotation (argument, return, AnnAssign)
  name    ctx|id                                Name (ctx L/S/D) and the names that ast
                                                keeps as plain strings but that bind like
                                                a Name Store: except-as names and match
                                                capture names (MatchAs, MatchStar,
                                                MatchMapping rest)
  attr    ctx|attr                              Attribute
  encl    L:C | "module"                        for each def, class, lambda and call: where
                                                the innermost function, lambda or class that
                                                evaluates it starts (decorators, defaults,
                                                annotations and class arguments belong to
                                                the scope around the definition)
  qual    qualname                              co_qualname of every function, lambda and
                                                class body code object (no position: L1 =
                                                C1 = L2 = C2 = 0); only when the file also
                                                compiles ("qual": true)
"""

import ast
import bisect
import json
import re
import sys
import tokenize
import warnings

_COMPREHENSIONS = ("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>")
_NEWLINE = re.compile(rb"\r\n|\r|\n")
_CTX = {ast.Load: "L", ast.Store: "S", ast.Del: "D"}
# After an except clause's type: closing parentheses, blanks, comments, continuations, `as`.
_EXCEPT_AS = re.compile(rb"(?:[ \t\f)]|\\\r?\n|\r?\n|#[^\r\n]*)*as(?:[ \t\f]|\\\r?\n)+")


class _Source:
    """UTF-8 text of the decoded source with CPython's line splitting (LF, CRLF, CR)."""

    def __init__(self, raw, encoding):
        text = raw.decode(encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
        self.blob = text.encode("utf-8")
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(self.blob)]
        self.encoding = None if encoding in ("utf-8", "utf-8-sig") else encoding

    def offset(self, line, col):
        return self.starts[line - 1] + col

    def position(self, offset):
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1]

    def raw_col(self, line, col):
        """The column in bytes of the raw file line (differs only for non-UTF-8 files)."""
        if self.encoding is None:
            return col
        start = self.starts[line - 1]
        return len(self.blob[start:start + col].decode("utf-8").encode(self.encoding))


def _dump(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        encoding, _ = tokenize.detect_encoding(iter(raw.splitlines(True)).__next__)
        tree = ast.parse(raw, filename=path)
    except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError) as e:
        return {"file": path, "ok": False, "error": f"{type(e).__name__}: {e}"}
    src = _Source(raw, encoding)
    items = []

    def emit(tag, l1, c1, l2, c2, extra=""):
        items.append([tag, l1, src.raw_col(l1, c1), l2, src.raw_col(l2, c2), extra])

    def span(tag, node, extra=""):
        emit(tag, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, extra)

    def emit_offsets(tag, start, end, extra):
        l1, c1 = src.position(start)
        l2, c2 = src.position(end)
        emit(tag, l1, c1, l2, c2, extra)

    def docstring(node):
        if ast.get_docstring(node, clean=False) is not None:
            span("doc", node.body[0].value)

    def params(args):
        positional = args.posonlyargs + args.args
        first_default = len(positional) - len(args.defaults)
        for i, a in enumerate(positional):
            kind = "posonly" if i < len(args.posonlyargs) else "args"
            span("param", a, f"{kind}|{int(i >= first_default)}|{a.arg}")
        if args.vararg:
            span("param", args.vararg, f"vararg|0|{args.vararg.arg}")
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            span("param", a, f"kwonly|{int(d is not None)}|{a.arg}")
        if args.kwarg:
            span("param", args.kwarg, f"kwarg|0|{args.kwarg.arg}")
        for a in positional + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                span("ann", a.annotation)

    def name_at_end(node, name):
        end = src.offset(node.end_lineno, node.end_col_offset)
        emit_offsets("name", end - len(name.encode("utf-8")), end, f"S|{name}")

    docstring(tree)
    for node in ast.walk(tree):
        t = type(node)
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            span("def", node, f"{int(t is ast.AsyncFunctionDef)}|{len(node.decorator_list)}|{node.name}")
            for d in node.decorator_list:
                span("dec", d)
            docstring(node)
            params(node.args)
            if node.returns is not None:
                span("ann", node.returns)
        elif t is ast.ClassDef:
            span("class", node, f"{len(node.decorator_list)}|{node.name}")
            for d in node.decorator_list:
                span("dec", d)
            docstring(node)
        elif t is ast.Lambda:
            span("lambda", node)
            params(node.args)
        elif t is ast.Call:
            args = sorted(node.args + node.keywords, key=lambda a: (a.lineno, a.col_offset))
            span("call", node, str(len(args)))
            for i, a in enumerate(args):
                if type(a) is ast.keyword:
                    span("arg", a, f"{i}|{a.arg or ''}|{'' if a.arg else '**'}")
                else:
                    span("arg", a, f"{i}||{'*' if type(a) is ast.Starred else ''}")
        elif t is ast.Import:
            span("import", node, "import")
        elif t is ast.ImportFrom:
            span("import", node, f"from|{node.level}|{node.module or ''}")
        elif t is ast.alias:
            span("alias", node, f"{node.name}|{node.asname or ''}")
        elif t is ast.AnnAssign:
            span("ann", node.annotation)
        elif t is ast.Name:
            span("name", node, f"{_CTX[type(node.ctx)]}|{node.id}")
        elif t is ast.Attribute:
            span("attr", node, f"{_CTX[type(node.ctx)]}|{node.attr}")
        elif t is ast.ExceptHandler and node.name is not None:
            pos = src.offset(node.type.end_lineno, node.type.end_col_offset)
            m = _EXCEPT_AS.match(src.blob, pos)
            if m is None:
                raise AssertionError(f"{path}:{node.lineno}: cannot find the except-as name")
            emit_offsets("name", m.end(), m.end() + len(node.name.encode("utf-8")), f"S|{node.name}")
        elif (t is ast.MatchAs or t is ast.MatchStar) and node.name is not None:
            name_at_end(node, node.name)
        elif t is ast.MatchMapping and node.rest is not None:
            start = src.offset(node.lineno, node.col_offset)
            end = src.offset(node.end_lineno, node.end_col_offset)
            star = src.blob.rfind(b"**", start, end) + 2
            while src.blob[star:star + 1] in (b" ", b"\t", b"\f", b"\\", b"\r", b"\n"):
                star += 1
            emit_offsets("name", star, star + len(node.rest.encode("utf-8")), f"S|{node.rest}")
    # The enclosing definition of each definition and call.
    def where(node):
        return f"{node.lineno}:{src.raw_col(node.lineno, node.col_offset)}"

    stack = [(tree, "module")]
    while stack:
        node, encl = stack.pop()
        t = type(node)
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef or t is ast.ClassDef or t is ast.Lambda:
            span("encl", node, encl)
            inner = where(node)
            body = node.body if t is not ast.Lambda else [node.body]
            stack.extend((b, inner) for b in body)
            outer = [c for c in ast.iter_child_nodes(node) if all(c is not b for b in body)]
            stack.extend((c, encl) for c in outer)
            continue
        if t is ast.Call:
            span("encl", node, encl)
        stack.extend((c, encl) for c in ast.iter_child_nodes(node))

    # Qualified names as the compiler gives them to code objects.
    try:
        code = compile(tree, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        code = None
    if code is not None:
        stack = [code]
        while stack:
            for c in stack.pop().co_consts:
                if type(c) is type(code):
                    if c.co_name not in _COMPREHENSIONS:
                        items.append(["qual", 0, 0, 0, 0, c.co_qualname])
                    stack.append(c)
    return {"file": path, "ok": True, "enc": encoding, "qual": code is not None, "items": items}


def main(argv):
    paths = []
    for a in argv:
        if a.startswith("@"):
            with open(a[1:], encoding="utf-8", errors="surrogateescape") as f:
                paths.extend(line.rstrip("\n") for line in f if line.strip())
        else:
            paths.append(a)
    out = sys.stdout
    for p in paths:
        out.write(json.dumps(_dump(p), ensure_ascii=True))
        out.write("\n")
    out.flush()


if __name__ == "__main__":
    sys.setrecursionlimit(100000)
    warnings.simplefilter("ignore")  # compile()'s SyntaxWarnings about the sources
    main(sys.argv[1:])
