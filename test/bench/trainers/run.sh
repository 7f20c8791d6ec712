#!/usr/bin/env bash
# Compares the built-in trainers with scikit-learn in one run, on the same data and split:
# LogisticRegression and HistGradientBoosting on 100k × 50 synthetic rows, and an image classifier
# on scikit-learn's digits written out as PNG folders. scikit-learn comes from PyPI into a
# throwaway virtual environment. Prints a table; it asserts nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "setting up scikit-learn in a throwaway venv…" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check 'scikit-learn==1.6.1' >&2
mkdir -p "$work/data"
echo "writing the shared data and split…" >&2
"$work/venv/bin/python" "$here/sklearn_side.py" data "$work/data"
echo "fitting scikit-learn…" >&2
"$work/venv/bin/python" "$here/sklearn_side.py" fit "$work/data" > "$work/sklearn.jsonl"
echo "fitting Bosun's trainers…" >&2
(cd "$root" && BOSUN_LOG_LEVEL=warn node "$here/bosun_side.ts" "$work/data") > "$work/bosun.jsonl"
"$work/venv/bin/python" - "$work/sklearn.jsonl" "$work/bosun.jsonl" <<'PY'
import json, sys
sk = {r["model"]: r for r in map(json.loads, open(sys.argv[1]))}
bo = {r["model"]: r for r in map(json.loads, open(sys.argv[2]))}
names = {"logistic": ("logistic regression, 100k×50", 2), "gbdt": ("gradient-boosted trees, 100k×50", 3),
         "digits": ("digits images (sklearn: %s, bosun: %s)" % (sk["digits"]["classifier"], bo["digits"]["classifier"]), None)}
print("| model | sklearn acc | bosun acc | Δ points | sklearn fit s | bosun fit s | ratio | target |")
print("|---|---|---|---|---|---|---|---|")
for key, (label, limit) in names.items():
    s, b = sk[key], bo[key]
    delta = (b["accuracy"] - s["accuracy"]) * 100
    ratio = b["seconds"] / s["seconds"]
    target = "acc within 1 pt" + (", fit ≤ %d×" % limit if limit else "")
    ok = delta >= -1 and (limit is None or ratio <= limit)
    print(f"| {label} | {s['accuracy']*100:.2f} | {b['accuracy']*100:.2f} | {delta:+.2f} | {s['seconds']:.2f} | {b['seconds']:.2f} | {ratio:.2f}× | {target}: {'met' if ok else 'NOT met'} |")
PY
