#!/bin/sh
# Seed the fuzz corpora from the shipped files: every scenario (plain and variant) for the
# `scenario` target, the pattern files for `patterns`. Run from anywhere; the corpora are not
# committed (fuzz/corpus is ignored).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/fuzz/corpus/scenario" "$root/fuzz/corpus/patterns"
find "$root/scenarios" -name '*.ron' ! -path '*/patterns/*' -exec cp {} "$root/fuzz/corpus/scenario/" \;
cp "$root"/tests/data/*.ron "$root/fuzz/corpus/scenario/" 2>/dev/null || true
cp "$root"/scenarios/patterns/*.ron "$root/fuzz/corpus/patterns/"
echo "seeded: $(ls "$root/fuzz/corpus/scenario" | wc -l) scenario files, $(ls "$root/fuzz/corpus/patterns" | wc -l) pattern files"
