#!/usr/bin/env python3
"""Reports import cycles between the source files of the crate under src/.

Every path that starts with `crate::`, `super::` or `self::` in code (use lines and inline
paths alike; comments are skipped) is resolved to the deepest module *file* it names, which
gives a file-level graph (`a.rs` -> `b.rs`). A file that reaches itself again through that
graph is part of a cycle: the script prints each cycle (a strongly connected component of
more than one file) and exits 1; it exits 0 when there is none.

Two kinds of edge are left out because they are not a tangle between peers: a module file
naming one of its own descendants (a parent re-exporting or calling its children), and a
path into an inline module of the same file (`mod tests { use super::*; }`). A child naming
its parent (`super::Thing` from `parent/child.rs`) does count.

Usage: .ci/cycles.py [SRC_DIR]   (default: src)
"""

import re
import sys
from pathlib import Path

PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
USE_GROUP_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}")
INLINE_MOD_RE = re.compile(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{")


def module_files(src: Path) -> dict:
    """Maps a module path (tuple of names, () for the crate root) to its file."""
    files = {}
    for f in sorted(src.rglob("*.rs")):
        rel = f.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts in (["lib"], ["main"]):
            key = ()
        elif parts[-1] == "mod":
            key = tuple(parts[:-1])
        else:
            key = tuple(parts)
        if parts == ["main"]:
            files[("<bin>",)] = f
        else:
            files.setdefault(key, f)
    return files


def resolve(files: dict, base: tuple, segments: list):
    """The deepest module file named by `segments` starting from module `base`."""
    module = list(base)
    for seg in segments:
        if seg == "super":
            if not module:
                return None
            module.pop()
        elif seg == "self":
            continue
        elif tuple(module + [seg]) in files:
            module.append(seg)
        else:
            break
    return tuple(module)


def edges_of(files: dict, key: tuple, path: Path):
    file_module = () if key == ("<bin>",) else key
    inline = []  # (indent, name)
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.lstrip()
        if stripped.startswith("//"):
            continue
        line = line.split("//", 1)[0] if "://" not in line else line
        m = INLINE_MOD_RE.match(line)
        if m:
            inline.append((len(m.group(1)), m.group(2)))
            continue
        if inline and line.strip() == "}" and len(line) - len(line.lstrip()) == inline[-1][0]:
            inline.pop()
            continue
        base = list(file_module) + [name for _, name in inline]
        found = []
        for g in USE_GROUP_RE.finditer(line):
            head = [g.group(1)] + [s for s in g.group(2).split("::") if s]
            for item in g.group(3).split(","):
                item = item.strip().split(" as ")[0].strip()
                if item:
                    found.append(head + [s for s in item.split("::") if s and s != "{"])
        for p in PATH_RE.finditer(line):
            found.append([p.group(1)] + [s for s in p.group(2).split("::") if s and s != "{"])
        for segs in found:
            target = resolve(files, tuple(base), segs)
            if target is None or target not in files:
                continue
            if target == file_module:
                continue  # the file itself, or an inline module of it
            if target[: len(file_module)] == file_module and key != ("<bin>",):
                continue  # a parent naming its own descendant
            out.add(target)
    return out


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def main() -> int:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    files = module_files(src)
    graph = {key: edges_of(files, key, path) for key, path in files.items()}
    found = cycles(graph)
    if not found:
        print(f"no import cycles between the {len(files)} source files under {src}/")
        return 0
    for comp in found:
        names = [str(files[k].relative_to(src)) for k in comp]
        print("import cycle between: " + ", ".join(names))
        members = set(comp)
        for k in comp:
            for t in sorted(graph[k] & members):
                print(f"  {files[k].relative_to(src)} -> {files[t].relative_to(src)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
