#!/usr/bin/env bash
# The peer comparison of issue 11 "Measure" (benches/peers/README.md): writes the inputs of
# benches/matcher.rs with `examples/peer_inputs`, then runs houbb/sensitive-word (Java) and
# pyahocorasick (Python) over the same lines with the same dictionaries, and prints a table.
#
#   benches/peers/run.sh              # everything; tools are installed into the cache once
#   ROUNDS=7 WARMUP=2 benches/peers/run.sh
#
# Everything downloaded or built goes to $PEERS_CACHE (default ~/.cache/synth-review/peers):
# the Maven repository (m2/), the Java build (java-target/), the Python venv (venv/), the inputs
# (inputs/) and sensitive-word's own word list (sensitive_word_dict.txt, for
# `cargo run --release --example dictionary_lines`). Nothing is written into the repository
# (cargo's target directory aside: CARGO_TARGET_DIR is respected). Not part of the test suite.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PEERS_CACHE:-$HOME/.cache/synth-review/peers}
warmup=${WARMUP:-2}
rounds=${ROUNDS:-5}
sw_version=0.25.0
pyac_version=2.3.1
mkdir -p "$cache"

# --- tools, installed once ---------------------------------------------------------------
m2="$cache/m2"
jbuild="$cache/java-target"
jar="$jbuild/sensitive-word-peer-0.1.0.jar"
if [[ ! -f $jar || $here/java/pom.xml -nt $jar || \
      $here/java/src/main/java/peers/SensitiveWordPeer.java -nt $jar ]]; then
    echo "== building the Java harness (Maven, sensitive-word $sw_version)" >&2
    (cd "$here/java" && mvn -B -q -Dmaven.repo.local="$m2" -Dpeers.build="$jbuild" \
        -Dsensitive-word.version="$sw_version" package)
fi
venv="$cache/venv"
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import ahocorasick' 2>/dev/null; then
    echo "== creating the Python venv (pyahocorasick $pyac_version)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "pyahocorasick==$pyac_version"
fi

# sensitive-word's own deny word list (its Chinese list; WordDenys.defaults() also reads the
# 11 words of sensitive_word_dict_en.txt, left out here).
sw_jar="$m2/com/github/houbb/sensitive-word/$sw_version/sensitive-word-$sw_version.jar"
dict="$cache/sensitive_word_dict.txt"
if [[ ! -f $dict ]]; then
    unzip -p "$sw_jar" sensitive_word_dict.txt > "$dict.tmp" && mv "$dict.tmp" "$dict"
fi

# --- inputs ------------------------------------------------------------------------------
inputs="$cache/inputs"
echo "== writing the inputs to $inputs" >&2
(cd "$repo" && cargo run -q --release --example peer_inputs -- "$inputs") >&2

# --- runs --------------------------------------------------------------------------------
cp="$jar:$jbuild/lib/*"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "== load before: $(uptime)" >&2
for d in jieba-50k default; do
    for mode in defaults plain; do
        echo "== sensitive-word ($mode) on $d" >&2
        line=$(java -Xss16m -Xmx4g -cp "$cp" peers.SensitiveWordPeer \
            "$inputs/lines.txt" "$inputs/$d.txt" "$mode" "$warmup" "$rounds")
        printf 'sensitive-word %s (%s)\t%s\t%s\n' "$sw_version" "$mode" "$d" "$line" >> "$results"
    done
    echo "== pyahocorasick on $d" >&2
    line=$("$venv/bin/python" "$here/python/peer.py" "$inputs/lines.txt" "$inputs/$d.txt" \
        "$warmup" "$rounds")
    printf 'pyahocorasick %s\t%s\t%s\n' "$pyac_version" "$d" "$line" >> "$results"
done
echo "== load after: $(uptime)" >&2

# --- table -------------------------------------------------------------------------------
echo
echo "| peer | dictionary | words | MB/s per CPU-second, median | min–max | matches |"
echo "|---|---|---:|---:|---:|---:|"
# fields: peer, dictionary, mode, words, lines, bytes, matches, median, min, max
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s–%s | %s |\n", $1, $2, $4, $8, $9, $10, $7 }' "$results"
echo
echo "lines: $(awk -F'\t' 'NR==1{print $5}' "$results"), bytes: $(awk -F'\t' 'NR==1{print $6}' "$results");" \
    "$rounds rounds after $warmup warm-up rounds; sensitive-word's own word list: $dict"
