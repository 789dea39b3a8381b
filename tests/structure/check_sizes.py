#!/usr/bin/env python3
"""Fails when a file outgrows the size the project keeps it to, so one concept stays easy to see:
every program's main file (src/programs/*.cpp) under 80 lines, every file of the layer code
(src/nn/) at most 250 lines. Usage: check_sizes.py [ROOT]"""
import sys
from pathlib import Path

LIMITS = [("src/programs/*.cpp", 79, "a program's main: move its parts into a library or programs/<verb>/"),
          ("src/nn/*", 250, "a file of src/nn/: split it by concern")]


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    errors = []
    for pattern, limit, advice in LIMITS:
        files = sorted(root.glob(pattern))
        if not files:
            errors.append(f"{pattern}: no files (wrong root?)")
        for f in files:
            n = len(f.read_text(errors="replace").splitlines())
            if n > limit:
                errors.append(f"{f.relative_to(root)}: {n} lines, over {limit} ({advice})")
    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print("sizes: every main under 80 lines, every src/nn/ file at most 250")


if __name__ == "__main__":
    main()
