#!/usr/bin/env python3
"""File-level cycles in the C sources: file X uses a function defined in file Y, and Y (or a
file Y uses, and so on) uses one defined in X. Such files cannot be read bottom-up; the helper
they share belongs one level down, in a file of its own.

usage: file_cycles.py [ROOT_DIR ...]   (default: app base datasets engine, from the checkout)

A file uses a function when it calls it or takes it as a value (outside comments and
strings; a struct's member of the same name is not a use), unless the file defines a static
function of that name. Functions are the non-static definitions at file scope of the .c files
under the roots; main is left out, and a name defined in several files (the alternatives of a
build option) links to each. Prints the files of each cycle (the files that reach each other)
and the uses between them, one name for each pair, and exits 1 if there is one; exits 0 with
"no file-level cycles" otherwise (2: a root is not a folder). Python 3 standard library only.
"""
import os
import re
import sys

IDENT = re.compile(r"[A-Za-z_]\w*")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "_Alignof", "_Generic",
            "_Static_assert", "static_assert", "defined"}


def strip(text):
    """The text without comments, string and character literals, and #include lines (a
    comment becomes its newlines, a literal an empty one)."""
    def blank(m):
        token = m.group(0)
        if token.startswith("/"):
            return "\n" * token.count("\n") or " "
        return token[0] * 2
    out = re.sub(r"/\*.*?\*/|//[^\n]*|\"(\\.|[^\"\\\n])*\"|'(\\.|[^'\\\n])*'", blank, text,
                 flags=re.S)
    return re.sub(r"^[ \t]*#[ \t]*include[^\n]*", "", out, flags=re.M)


def definitions(code):
    """(external, static): the names of the functions the file defines at file scope, split
    by linkage. A definition is NAME ( ... ) { at brace depth 0."""
    external, static = set(), set()
    depth, i, n = 0, 0, len(code)
    stmt_start = 0
    while i < n:
        c = code[i]
        if c == "{":
            if depth == 0:
                head = code[stmt_start:i]
                m = re.search(r"([A-Za-z_]\w*)\s*\(([^()]|\([^()]*\))*\)\s*$", head)
                if m and m.group(1) not in KEYWORDS and "=" not in head:
                    (static if re.search(r"\bstatic\b", head) else external).add(m.group(1))
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                stmt_start = i + 1
        elif c == ";" and depth == 0:
            stmt_start = i + 1
        elif c == "#" and depth == 0 and (i == 0 or code[i - 1] == "\n"):
            # a preprocessor line (with its continuations) is no part of a declaration
            end = i
            while True:
                end = code.find("\n", end)
                if end < 0 or code[end - 1] != "\\":
                    break
                end += 1
            i = n if end < 0 else end
            stmt_start = i
            continue
        i += 1
    return external, static


def uses(code):
    """The names the file calls (NAME followed by "(") or takes as values (NAME between one of
    = , { ( & return and one of , ; } )), except members (after . or ->)."""
    names = set()
    for m in IDENT.finditer(code):
        before = code[max(0, m.start() - 200):m.start()].rstrip()
        after = code[m.end():m.end() + 200].lstrip()[:1]
        if before.endswith(".") or before.endswith("->"):
            continue
        called = after == "("
        value = after in (",", ";", "}", ")") and (before[-1:] in ("=", ",", "{", "(", "&") or
                                                   re.search(r"\breturn$", before))
        if called or value:
            names.add(m.group(0))
    return names


def sources(roots):
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".c"):
                    yield os.path.join(folder, name)


def graph(roots):
    """{file: {used file: a name it uses from there}} over the .c files under roots."""
    code = {}
    for path in sources(roots):
        with open(path, encoding="utf-8", errors="replace") as f:
            code[path] = strip(f.read())
    defs, statics, owner = {}, {}, {}
    for path, text in code.items():
        defs[path], statics[path] = definitions(text)
        for name in defs[path] - {"main"}:
            owner.setdefault(name, []).append(path)
    edges = {}
    for path, text in code.items():
        out = edges.setdefault(path, {})
        for name in sorted(uses(text) - statics[path] - defs[path]):
            for other in owner.get(name, []):
                out.setdefault(other, name)
    return edges


def cycles(edges):
    """The strongly connected components of more than one file (Tarjan): the files that reach
    each other, each component as its sorted list of files."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def describe(part, edges):
    """Lines naming the component's files and the names they use from each other."""
    lines = []
    for a in part:
        for b in part:
            if b in edges[a]:
                lines.append(f"  {a} -> {b} ({edges[a][b]})")
    return lines


def main(argv):
    roots = argv[1:]
    if not roots:
        top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        roots = [os.path.relpath(os.path.join(top, d)) for d in ("app", "base", "datasets",
                                                                  "engine")]
    for root in roots:
        if not os.path.isdir(root):
            print(f"file_cycles: no folder {root}", file=sys.stderr)
            return 2
    edges = graph(roots)
    found = cycles(edges)
    for part in found:
        print("file-level cycle: " + " ".join(part))
        print("\n".join(describe(part, edges)))
    if found:
        print(f"{len(found)} file-level cycle(s) in {len(edges)} files")
        return 1
    print(f"no file-level cycles in {len(edges)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
