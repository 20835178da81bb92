#!/usr/bin/env python3
"""Inclusive shares of frames in an async-profiler collapsed-stack file.

    shares.py FILE.collapsed [REGEX ...]     # share of samples whose stack contains a frame matching REGEX
    shares.py FILE.collapsed --top N         # the N frames with the largest inclusive share

Used for benchmarks/profiles/README.md: "x % of the event loop's samples are under JsonBodies.read".
"""
import re
import sys
from collections import Counter


def load(path):
    stacks = []
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            stacks.append((stack.split(";"), int(n)))
    return stacks


def main():
    path, args = sys.argv[1], sys.argv[2:]
    stacks = load(path)
    total = sum(n for _, n in stacks)
    if args[:1] == ["--top"]:
        inclusive = Counter()
        for frames, n in stacks:
            for fr in set(frames):
                inclusive[fr] += n
        for fr, n in inclusive.most_common(int(args[1])):
            print(f"{100.0 * n / total:6.2f}%  {fr}")
        return
    print(f"total {total}")
    for rx in args:
        pat = re.compile(rx)
        n = sum(c for frames, c in stacks if any(pat.search(fr) for fr in frames))
        print(f"{100.0 * n / total:6.2f}%  {rx}")


if __name__ == "__main__":
    main()
