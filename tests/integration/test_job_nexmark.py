"""Nexmark (docs/jobs/nexmark.md) end to end through the embedded broker: `sluice generate
nexmark` writes events to the topic 'nexmark', `sluice run nexmark-q2` and `nexmark-q5`
(--bounded) read them back, and their outputs are compared with q2 and q5 computed here, in
Python, from the events as read from the topic. A record that is not an event goes to the
dead-letter topic without stopping the job."""
import json
from collections import Counter, defaultdict

from confluent_kafka import Producer

from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

EVENTS = 30000  # at 1,000 events/s of event time: 30 s, fifteen 2 s slides


def values(bootstrap, topic):
    got = read_to_end(bootstrap, topic, [0])
    return [json.loads(m.value()) for m in got[0]]


def run_query(bootstrap, query, parallelism):
    run([SLUICE_BIN, "run", f"nexmark-{query}", "--bootstrap-servers", bootstrap, "--bounded",
         "--starting-offsets", "earliest", "-p", str(parallelism), "--group-id", f"{query}-p{parallelism}",
         "--output-topic", f"{query}-p{parallelism}"], timeout=300)
    return values(bootstrap, f"{query}-p{parallelism}")


def expected_q2(bids):
    return sorted((b["auction"], b["price"]) for b in bids if b["auction"] % 123 == 0)


def expected_q5(bids):
    """Per 10 s window sliding by 2 s (keyed by its end), the auctions with the most bids."""
    windows = defaultdict(Counter)
    for b in bids:
        t = b["dateTime"]
        start = t - t % 2000
        while start > t - 10000:
            windows[start + 10000][b["auction"]] += 1
            start -= 2000
    out = []
    for end, counts in windows.items():
        best = max(counts.values())
        out += [(end, auction, n) for auction, n in counts.items() if n == best]
    return sorted(out)


def test_q2_and_q5_through_kafka_equal_the_reference(broker):
    run([SLUICE_BIN, "generate", "nexmark", "-b", broker.bootstrap, "--timeout", "10", "--count", str(EVENTS),
         "--event-rate", "1000", "--seed", "5", "--quiet"], timeout=300)
    events = values(broker.bootstrap, "nexmark")
    assert len(events) == EVENTS
    kinds = Counter(e["event_type"] for e in events)
    assert kinds == {0: EVENTS // 50, 1: EVENTS // 50 * 3, 2: EVENTS // 50 * 46}
    bids = [e["bid"] for e in events if e["event_type"] == 2]

    # A record that is not an event: to the dead-letter topic, the job goes on.
    p = Producer({"bootstrap.servers": broker.bootstrap})
    p.produce("nexmark", value=b'{"event_type":9}')
    assert p.flush(30) == 0

    want_q2 = expected_q2(bids)
    assert len(want_q2) > 50
    for parallelism in (1, 2):
        got = run_query(broker.bootstrap, "q2", parallelism)
        assert sorted((r["auction"], r["price"]) for r in got) == want_q2, parallelism

    want_q5 = expected_q5(bids)
    assert len(want_q5) >= 15
    got = run_query(broker.bootstrap, "q5", 2)
    assert sorted((r["windowEnd"], r["auction"], r["num"]) for r in got) == want_q5

    dlq = values(broker.bootstrap, "nexmark-dlq")
    assert len(dlq) >= 1
