"""pair-sum (JOBS.md, seed 001) end to end through the embedded broker. The test writes the
numbers itself (with corrupt ones), runs `sluice run pair-sum --bounded`, reads the raw topic
back to know the value at every offset, and checks the enriched and dead-letter topics against
what it computes here:
- every corrupt record is in the DLQ with its reason (`error` header) and its source offset;
- every pair sums to pairSum and names two offsets holding its a and b;
- no input offset is used twice, and only valid numbers are used;
- the number of pairs is the maximum possible: per key min(count(n), count(pairSum-n)), and
  floor(count/2) for pairSum/2;
- on one partition at parallelism 1, the pairs are exactly the FIFO pairing's."""
import json
import random
import re
from collections import Counter, defaultdict, deque

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

PAIR_SUM = 12
NOT_INTEGERS = ["abc", "seven", "12abc", "3.5", "", "NaN", "0x0C", "--1", "1e3", '{"n":7}', "null", "7 7", "+-3"]


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def produce_numbers(bootstrap, topic, n, seed, corrupt_fraction=0.01):
    rnd = random.Random(seed)
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for i in range(n):
        if rnd.random() < corrupt_fraction:
            kind = rnd.randrange(4)
            if kind == 0:
                value = str(PAIR_SUM + 1 + rnd.randrange(100))
            elif kind == 1:
                value = str(-1 - rnd.randrange(100))
            elif kind == 2:
                value = "99999999999999999999"
            else:
                value = rnd.choice(NOT_INTEGERS)
        else:
            value = str(rnd.randrange(PAIR_SUM + 1))
        p.produce(topic, value=value.encode())
        if i % 10000 == 0:
            p.poll(0)
    assert p.flush(60) == 0


def classify(value):
    """(number, None) for a valid value, (None, reason prefix) for a corrupt one."""
    text = value.decode(errors="replace").strip(" \t\r\n")
    if not re.fullmatch(r"-?[0-9]+", text):
        return None, "not an integer"
    n = int(text)
    if n < 0 or n > PAIR_SUM:
        return None, "out of range"
    return n, None


def read_input(bootstrap, topic, partitions):
    """{"p:o": value bytes} and the records in offset order per partition."""
    got = read_to_end(bootstrap, topic, range(partitions))
    by_offset = {}
    for part, msgs in got.items():
        for m in msgs:
            by_offset[f"{part}:{m.offset()}"] = m.value()
    return by_offset, got


def run_job(bootstrap, suffix, parallelism, raw_topic):
    # The seed's own flags (camelCase), as its `flink run` line passes them.
    return run([SLUICE_BIN, "run", "pair-sum", "--pairSum", str(PAIR_SUM), "--bootstrapServers", bootstrap,
                "--rawTopic", raw_topic, "--groupId", f"ps-{suffix}", "--enrichedTopic", f"enriched-{suffix}",
                "--DLQ", f"dlq-{suffix}", "--bounded", "--starting-offsets", "earliest",
                "-p", str(parallelism)], timeout=300)


def max_pairs(valid_values):
    c = Counter(valid_values)
    total = 0
    for n in range(PAIR_SUM + 1):
        m = PAIR_SUM - n
        if n < m:
            total += min(c[n], c[m])
        elif n == m:
            total += c[n] // 2
    return total


def check_dead_letters(bootstrap, suffix, by_offset):
    corrupt = {}
    for pos, value in by_offset.items():
        n, reason = classify(value)
        if n is None:
            corrupt[pos] = (value, reason)
    dlq = [m for msgs in read_to_end(bootstrap, f"dlq-{suffix}", [0]).values() for m in msgs]
    seen = {}
    for m in dlq:
        headers = {k: (v.decode() if v is not None else None) for k, v in (m.headers() or [])}
        pos = f"{headers['source.partition']}:{headers['source.offset']}"
        assert pos not in seen, f"{pos} dead-lettered twice"
        seen[pos] = (m.value(), headers.get("error") or "")
    assert set(seen) == set(corrupt), (
        f"missing from the DLQ: {sorted(set(corrupt) - set(seen))[:10]}, "
        f"in the DLQ but valid: {sorted(set(seen) - set(corrupt))[:10]}")
    for pos, (value, reason) in corrupt.items():
        dlq_value, error = seen[pos]
        assert dlq_value == value, (pos, dlq_value, value)
        assert error.startswith(reason), f"{value!r}: error header {error!r}, expected '{reason}: ...'"
    return len(corrupt)


def read_pairs(bootstrap, suffix):
    msgs = [m for ms in read_to_end(bootstrap, f"enriched-{suffix}", [0]).values() for m in ms]
    return [json.loads(m.value()) for m in msgs]


def test_100k_numbers_with_1_percent_corrupt(broker):
    create_topic(broker.bootstrap, "raw-topic", 3)
    produce_numbers(broker.bootstrap, "raw-topic", 100_000, seed=1)
    by_offset, _ = read_input(broker.bootstrap, "raw-topic", 3)
    assert len(by_offset) == 100_000
    run_job(broker.bootstrap, "p2", 2, "raw-topic")

    n_corrupt = check_dead_letters(broker.bootstrap, "p2", by_offset)
    assert 700 < n_corrupt < 1300, n_corrupt  # about 1%

    valid = [classify(v)[0] for v in by_offset.values() if classify(v)[0] is not None]
    pairs = read_pairs(broker.bootstrap, "p2")
    used = set()
    for pair in pairs:
        assert set(pair) == {"a", "b", "sum", "aOffset", "bOffset"}, pair
        assert pair["sum"] == PAIR_SUM and pair["a"] + pair["b"] == PAIR_SUM, pair
        for side in ("a", "b"):
            pos = pair[side + "Offset"]
            assert re.fullmatch(r"[0-9]+:[0-9]+", pos), pair
            assert pos not in used, f"input offset {pos} used twice"
            used.add(pos)
            assert classify(by_offset[pos])[0] == pair[side], (pair, by_offset[pos])
        # a is the earlier number: within one partition, the smaller offset.
        (pa, oa), (pb, ob) = (tuple(map(int, pair[s + "Offset"].split(":"))) for s in ("a", "b"))
        if pa == pb:
            assert oa < ob, pair
    assert len(pairs) == max_pairs(valid), f"{len(pairs)} pairs, {max_pairs(valid)} possible"


def fifo_pairs(values):
    """The expected pairing over (position, value) in arrival order: each n takes the oldest
    waiting pairSum-n."""
    waiting = defaultdict(deque)
    pairs = set()
    for pos, n in values:
        partner = waiting[PAIR_SUM - n]
        if partner:
            pairs.add((partner.popleft(), pos))
        else:
            waiting[n].append(pos)
    return pairs


def test_one_partition_pairs_are_exactly_the_fifo_pairing(broker):
    create_topic(broker.bootstrap, "raw-one", 1)
    produce_numbers(broker.bootstrap, "raw-one", 5000, seed=2, corrupt_fraction=0.05)
    _, got = read_input(broker.bootstrap, "raw-one", 1)
    values = [(f"0:{m.offset()}", classify(m.value())[0]) for m in got[0]]
    values = [(pos, n) for pos, n in values if n is not None]
    run_job(broker.bootstrap, "one", 1, "raw-one")
    pairs = read_pairs(broker.bootstrap, "one")
    assert {(p["aOffset"], p["bOffset"]) for p in pairs} == fifo_pairs(values)
    assert len(pairs) == len(fifo_pairs(values))


def test_help_and_missing_broker(tmp_path):
    out = run([SLUICE_BIN, "run", "pair-sum", "--help"]).stdout.decode()
    for flag in ("--pairSum", "--bootstrapServers", "--rawTopic", "--groupId", "--enrichedTopic", "--DLQ"):
        assert flag in out, flag
    # Nothing listens on this port: a clear error and a non-zero exit, not a hang.
    p = run([SLUICE_BIN, "run", "pair-sum", "--bootstrap-servers", "127.0.0.1:1", "--bounded"],
            timeout=120, check=False)
    assert p.returncode != 0
    assert b"127.0.0.1:1" in p.stderr or b"broker" in p.stderr.lower(), p.stderr[-2000:]
