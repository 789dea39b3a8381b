#!/usr/bin/env python3
"""Fails when an include climbs a layer.

Two rules, both read from the tree itself:

1. Folder layers (LAYERS below, lowest first): a file in src/<folder>/ includes headers of its own
   folder or of folders in lower layers only; kernels/ includes nothing of src/.
2. Libraries (src/CMakeLists.txt): a file compiled into a torch-free library (every axnn_* library
   but axnn_torch) never reaches a LibTorch header (<torch/...>, <ATen/...>, <c10/...>), directly
   or through the project headers it includes.

Usage: check_layers.py [ROOT]  (ROOT: the repository, default: two folders up)
       check_layers.py --self-test  (the check fails on a tree with an upward include)
"""
import re
import shutil
import sys
import tempfile
from pathlib import Path

# Lowest first. A folder sees its own layer's other folders only where the layer says so (same=True).
LAYERS = [
    ("core",),
    ("config", "io"),
    ("cli", "inspect"),
    ("multipliers", "data", "parallel"),
    ("nn", "tensor"),
    ("models",),
    ("train",),
    ("method", "prune"),
    ("experiment",),
    ("programs",),
]
# Folders of one layer that may include each other.
SAME_LAYER_OK = set()
TORCH = re.compile(r'#\s*include\s*<(torch|ATen|c10)/')
PROJECT = re.compile(r'#\s*include\s*"([a-z_]+)/([^"]+)"')


def rank_of(folder):
    for i, group in enumerate(LAYERS):
        if folder in group:
            return i
    return None


def sources(root):
    for base in ("src", "kernels"):
        for p in sorted((root / base).rglob("*")):
            if p.suffix in (".h", ".cpp", ".cu", ".cuh") and "pch" not in p.parts:
                yield p


def folder_of(root, path):
    rel = path.relative_to(root)
    return "kernels" if rel.parts[0] == "kernels" else rel.parts[1]


def folder_errors(root):
    errors = []
    for p in sources(root):
        own = folder_of(root, p)
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
            m = PROJECT.match(line.strip())
            if not m or m.group(1) == own:
                continue
            dep = m.group(1)
            where = f"{p.relative_to(root)}:{n}: includes {dep}/{m.group(2)}"
            if own == "kernels":
                if (root / "src" / dep).is_dir():
                    errors.append(f"{where}: kernels/ must not include src/")
                continue
            if dep == "kernels" or (root / "kernels" / dep).exists():
                continue
            if rank_of(own) is None or rank_of(dep) is None:
                errors.append(f"{where}: folder {own if rank_of(own) is None else dep}/ has no layer in "
                              "tests/structure/check_layers.py")
            elif rank_of(dep) > rank_of(own) or (rank_of(dep) == rank_of(own) and (own, dep) not in SAME_LAYER_OK):
                errors.append(f"{where}: {dep}/ is not below {own}/ (layers: {' < '.join('/'.join(g) for g in LAYERS)})")
    return errors


def libraries(root):
    """{library or program: [source paths]} from src/CMakeLists.txt: add_library calls, and programs
    (axnn_add_program) that link no axnn_torch, named by their executable."""
    text = (root / "src" / "CMakeLists.txt").read_text()
    out = {}
    for m in re.finditer(r"add_library\((axnn_\w+)\s+STATIC\s+([^)]*)\)", text):
        out[m.group(1)] = [root / "src" / f for f in m.group(2).split() if f.endswith(".cpp")]
    for m in re.finditer(r"axnn_add_program\((\w+)\s+([^)]*)\)", text):
        words = m.group(2).split()
        if "axnn_torch" not in words:
            out["axnn-" + m.group(1)] = [root / "src" / f for f in words if f.endswith(".cpp")]
    return out


def reaches_torch(root, path, seen):
    if path in seen:
        return None
    seen.add(path)
    for line in path.read_text(errors="replace").splitlines():
        if TORCH.match(line.strip()):
            return [path]
        m = PROJECT.match(line.strip())
        if m:
            for base in ("src", "."):
                header = root / base / m.group(1) / m.group(2)
                if header.is_file():
                    chain = reaches_torch(root, header, seen)
                    if chain:
                        return [path] + chain
                    break
    return None


def library_errors(root):
    errors = []
    for lib, files in libraries(root).items():
        if lib == "axnn_torch":
            continue
        for f in files:
            chain = reaches_torch(root, f, set())
            if chain:
                errors.append(f"{f.relative_to(root)} ({lib}, torch-free) reaches LibTorch: "
                              + " -> ".join(str(c.relative_to(root)) for c in chain))
    return errors


def check(root):
    return folder_errors(root) + library_errors(root)


def self_test(root):
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tree"
        for base in ("src", "kernels"):
            shutil.copytree(root / base, copy / base)
        assert not check(copy), "the copied tree should pass"
        (copy / "src/io/h5.cpp").write_text('#include "method/matching.h"\n' + (copy / "src/io/h5.cpp").read_text())
        errors = check(copy)
        assert any("src/io/h5.cpp:1: includes method/matching.h" in e for e in errors), errors
        (copy / "src/config/spec.cpp").write_text("#include <torch/torch.h>\n" + (copy / "src/config/spec.cpp").read_text())
        assert any("src/config/spec.cpp (axnn_core, torch-free) reaches LibTorch" in e for e in check(copy))
    print("self-test: an upward include and a torch include in a torch-free library are both caught")


def main():
    root = Path(__file__).resolve().parents[2]
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        return self_test(Path(args[1]) if len(args) > 1 else root)
    root = Path(args[0]) if args else root
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print(f"layers: no include climbs ({' < '.join('/'.join(g) for g in LAYERS)}); torch-free libraries stay torch-free")


if __name__ == "__main__":
    main()
