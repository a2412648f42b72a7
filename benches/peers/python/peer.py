"""pyahocorasick over the lines of a corpus: the peer comparison of issue 11 (benches/peers/README.md).

Usage: peer.py LINES DICT [WARMUP] [ROUNDS]

Builds one `ahocorasick.Automaton` (str keys) of the dictionary's words, then each round runs
`iter_long` (leftmost-longest, non-overlapping) over every line and counts the matches. The time of
a round is the thread's CPU time (`time.thread_time`). Prints one tab-separated line: mode, words,
lines, bytes (UTF-8, no line ends), matches of one round, MB/s per CPU-second as median, min and
max over the rounds (MB = 10^6 bytes). No folding: the text is searched as it is.
"""

import statistics
import sys
import time

import ahocorasick


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: peer.py LINES DICT [WARMUP] [ROUNDS]")
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    with open(sys.argv[2], encoding="utf-8") as f:
        words = [w.strip() for w in f if w.strip()]
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5

    automaton = ahocorasick.Automaton()
    for i, w in enumerate(words):
        automaton.add_word(w, i)
    automaton.make_automaton()
    size = sum(len(line.encode("utf-8")) for line in lines)

    def one_round() -> int:
        n = 0
        for line in lines:
            for _ in automaton.iter_long(line):
                n += 1
        return n

    matches = 0
    for _ in range(warmup):
        matches = one_round()
    rates = []
    for _ in range(rounds):
        t0 = time.thread_time()
        m = one_round()
        dt = time.thread_time() - t0
        if warmup and m != matches:
            raise SystemExit(f"match count changed: {matches} then {m}")
        matches = m
        rates.append(size / dt / 1e6)
    print(
        "iter_long\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f"
        % (len(words), len(lines), size, matches, statistics.median(rates), min(rates), max(rates))
    )


if __name__ == "__main__":
    main()
