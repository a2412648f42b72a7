"""A plain Python review worker: the reference peer of the end-to-end benchmark (issue 14, item 3).

What a team would write in an afternoon instead of running synth-review: a confluent-kafka
consumer, one pyahocorasick automaton over the default lexicon's terms, and routing by the
strongest action found. No identity check, no news, rumour, reprint or label stages, no folding
beyond lower-casing, no transactions.

    python bench/peer_worker.py --brokers HOST:PORT --group G --input T \
        --approved A --held H --rejected R [--lexicon-dir data/lexicon]

Per event (JSON, as `schema/publish-event.v1.json`): `content.title` and `content.text`, joined by
a newline and lower-cased, are searched with `Automaton.iter_long` (leftmost-longest,
non-overlapping), so an allow phrase that contains a reject term (`刷单返利诈骗` over `刷单返利`)
is found instead of the term. The strongest action found decides: `reject` → rejected topic,
`hold` → held topic, `allow` or nothing → approved topic. A message that is not a JSON object
goes to held. The output record is JSON (`event_id`, `decision`, `terms`, `source`), keyed like
the input.

At-least-once: the consumer never auto-commits; offsets are stored as messages are consumed and
committed (synchronously) only after `producer.flush()` has every output acknowledged, once per
second and whenever the input runs dry. A crash between the two duplicates outputs, never loses
them. SIGTERM or SIGINT: flush, commit, close, exit 0. A delivery error is fatal (exit 1).
"""

import argparse
import csv
import json
import os
import signal
import sys
import time

import ahocorasick
from confluent_kafka import Consumer, KafkaException, Producer

#: Action strength: the strongest action found decides the route.
STRENGTH = {"allow": 0, "hold": 1, "reject": 2}
ROUTE = {0: "approve", 1: "hold", 2: "reject"}

#: How often stored offsets are committed while messages keep coming (seconds).
COMMIT_EVERY_S = 1.0


def load_automaton(lexicon_dir: str) -> ahocorasick.Automaton:
    """Every `term` of every CSV in `lexicon_dir` (header `term,category,action,note`), mapped
    to the strength of its `action`. A term listed twice keeps its strongest action."""
    automaton = ahocorasick.Automaton()
    terms = {}
    for name in sorted(os.listdir(lexicon_dir)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(lexicon_dir, name), encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                term = row["term"].strip().lower()
                strength = STRENGTH[row["action"].strip()]
                if term and strength >= terms.get(term, (-1, ""))[0]:
                    terms[term] = (strength, term)
    for term, value in terms.items():
        automaton.add_word(term, value)
    automaton.make_automaton()
    print(f"peer_worker: {len(terms)} terms from {lexicon_dir}", file=sys.stderr)
    return automaton


def review(automaton: ahocorasick.Automaton, payload: bytes) -> tuple[str, dict]:
    """(decision, output record) of one input message."""
    try:
        event = json.loads(payload)
        content = event.get("content") or {}
        text = f"{content.get('title') or ''}\n{content.get('text') or ''}".lower()
    except (ValueError, AttributeError, TypeError):
        return "hold", {"event_id": None, "decision": "hold", "terms": [], "error": "malformed"}
    strongest, found = 0, []
    for _end, (strength, term) in automaton.iter_long(text):
        found.append(term)
        strongest = max(strongest, strength)
    decision = ROUTE[strongest]
    return decision, {"event_id": event.get("event_id"), "decision": decision, "terms": found}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--approved", required=True)
    ap.add_argument("--held", required=True)
    ap.add_argument("--rejected", required=True)
    ap.add_argument(
        "--lexicon-dir",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "lexicon"),
    )
    args = ap.parse_args()

    automaton = load_automaton(args.lexicon_dir)
    topics = {"approve": args.approved, "hold": args.held, "reject": args.rejected}

    consumer = Consumer(
        {
            "bootstrap.servers": args.brokers,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            # Offsets are stored as messages are handed out and committed by us after flush().
            "enable.auto.offset.store": True,
        }
    )
    producer = Producer({"bootstrap.servers": args.brokers, "acks": "all", "linger.ms": 5})
    failed = []

    def on_delivery(err, _msg):
        if err is not None:
            failed.append(err)

    stop = False

    def on_signal(_signum, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    consumer.subscribe([args.input])
    uncommitted = 0
    last_commit = time.monotonic()

    def commit() -> None:
        nonlocal uncommitted, last_commit
        producer.flush()
        if failed:
            raise KafkaException(failed[0])
        if uncommitted:
            consumer.commit(asynchronous=False)
        uncommitted = 0
        last_commit = time.monotonic()

    try:
        while not stop:
            msgs = consumer.consume(num_messages=1000, timeout=0.2)
            for msg in msgs:
                if msg.error():
                    raise KafkaException(msg.error())
                decision, record = review(automaton, msg.value() or b"")
                record["source"] = f"{msg.topic()}/{msg.partition()}/{msg.offset()}"
                while True:
                    try:
                        producer.produce(
                            topics[decision],
                            key=msg.key(),
                            value=json.dumps(record, ensure_ascii=False).encode("utf-8"),
                            on_delivery=on_delivery,
                        )
                        break
                    except BufferError:
                        # Local queue full: serve delivery reports until there is room.
                        producer.poll(0.1)
                uncommitted += 1
            producer.poll(0)
            if uncommitted and (not msgs or time.monotonic() - last_commit >= COMMIT_EVERY_S):
                commit()
        commit()
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
