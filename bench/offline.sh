#!/usr/bin/env bash
# Offline review time per stage (issue 14): every non-blank line of the two full corpora
# (data/corpus/*.xz, 54,607 lines, 12.9 MB of text) as one publish event with an explicit AI
# label, reviewed by `synth-review review` with identity only, identity + one stage, and the
# default pipeline; each binary given is run in turn, ROUNDS times (interleaved), and the median,
# min and max wall seconds are printed per binary and pipeline. Startup (loading the pipeline,
# ~0.3 s for the segmenter's dictionary where a stage needs it) is included.
#
#   cargo build --release --bin synth-review
#   bench/offline.sh target/release/synth-review [/tmp/synth-review-old …]
#
# ROUNDS (default 5) and WORK (default a temporary folder) may be set in the environment.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 SYNTH_REVIEW_BIN [MORE_BINS…]" >&2; exit 2; }
rounds=${ROUNDS:-5}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
python3 - "$root" "$work" <<'PY'
import json, lzma, re, sys
root, work = sys.argv[1], sys.argv[2]
n = 0
with open(f"{work}/events.jsonl", "w", encoding="utf-8") as out:
    for f in ["peoples-daily-199801.txt.xz", "reviews.txt.xz"]:
        for line in lzma.open(f"{root}/data/corpus/{f}", "rt", encoding="utf-8"):
            t = line.strip()
            if not t:
                continue
            n += 1
            out.write(json.dumps({
                "event_id": f"c-{n}", "occurred_at": "2026-12-01T00:00:00Z",
                "user": {"id": f"u-{n % 977}", "identity_verified": True},
                "content": {"kind": "text", "title": "", "text": t},
                "synthesis": {"technique": "text_generation"},
                "labels": {"explicit": {"present": True, "text": "本内容由AI生成"}},
            }, ensure_ascii=False) + "\n")
default = open(f"{root}/pipelines/default.toml", encoding="utf-8").read()
default = default.replace("../data/", f"{root}/data/")
head, _, rest = default.partition("[[stages]]")
blocks = ["[[stages]]" + b for b in rest.split("[[stages]]")]
kind = lambda b: re.search(r'kind = "(\w+)"', b).group(1)
for name, keep in [("identity", {"identity"}), ("prohibited", {"identity", "prohibited"}),
                   ("news_source", {"identity", "news_source"}), ("labels", {"identity", "labels"}),
                   ("default", None)]:
    with open(f"{work}/{name}.toml", "w", encoding="utf-8") as f:
        f.write(head + "".join(b for b in blocks if keep is None or kind(b) in keep))
print(f"{n} events in {work}/events.jsonl", file=sys.stderr)
PY
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
times="$work/times.txt"
: >"$times"
for _ in $(seq "$rounds"); do
  for bin in "$@"; do
    for p in identity prohibited news_source labels default; do
      start=$EPOCHREALTIME
      "$bin" review --pipeline "$work/$p.toml" --input "$work/events.jsonl" --output /dev/null 2>"$work/stderr.txt" \
        || { echo "$bin failed on $p:" >&2; cat "$work/stderr.txt" >&2; exit 1; }
      echo "$bin $p $start $EPOCHREALTIME" >>"$times"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$times" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    b, p, start, end = line.split()
    rows.setdefault(b, {}).setdefault(p, []).append(float(end) - float(start))
print("| binary | pipeline | median s | min–max s | ÷ identity (medians) |")
print("|---|---|---:|---:|---:|")
for b, ps in rows.items():
    ident = statistics.median(ps["identity"])
    for p, ts in ps.items():
        m = statistics.median(ts)
        print(f"| `{b}` | {p} | {m:.2f} | {min(ts):.2f}–{max(ts):.2f} | {m / ident:.1f}× |")
PY
