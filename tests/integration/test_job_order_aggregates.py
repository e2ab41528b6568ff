"""order-aggregates (JOBS.md, seed 002) end to end through the embedded broker. The test
writes orders itself (some out of order, some late, some bad), runs `sluice run
order-aggregates --bounded`, and compares every output with what it computes here.

Event time: the input has ONE partition, so the watermark depends only on the record order:
after a record, it is max(ts so far) - 5s - 1ms (JOBS.md, Flink's bounded out-of-orderness).
The source recomputes it after each poll of up to 500 records, so the test only makes records
whose lateness is the same whether the watermark is the one right before them or one from 1000
records earlier (checked below): out-of-order records trail by under 5 s, late ones by minutes.
A record is late when its window's end - 1 <= the watermark (allowed lateness 0)."""
import json
import random
from collections import Counter, defaultdict
from datetime import datetime, timezone
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

STATUSES = ["CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]
REGIONS = ["eu-west", "eu-central", "us-east", "us-west", "ap-south"]
BASE_MS = int(datetime(2024, 5, 23, 12, 0, tzinfo=timezone.utc).timestamp() * 1000)
WINDOW_MS = 30_000
BOUND_MS = 5_000
STEP_MS = 50
POLL_LAG = 1000  # records: more than a source poll (500)


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def iso(ms):
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


def parse_iso(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def make_orders(n, seed):
    """[(text, order dict or None for a bad record)] in the order they are written."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        now = BASE_MS + i * STEP_MS
        r = rnd.random()
        if r < 0.004 and i >= 2 * POLL_LAG:
            ts = now - 120_000 - rnd.randrange(60_000)  # late by minutes
        elif r < 0.30:
            ts = now - rnd.randrange(BOUND_MS)  # out of order, within the bound
        else:
            ts = now
        if rnd.random() < 0.5:
            ts -= ts % 1000  # whole seconds, as the seed's helper writes them
        order = dict(customer=f"customer-{rnd.randrange(1, 200):03d}", status=rnd.choice(STATUSES),
                     region=rnd.choice(REGIONS), cents=rnd.randrange(100, 50_000), ts=ts)
        text = (f"customer={order['customer']},status={order['status']},region={order['region']},"
                f"amount={order['cents'] // 100}.{order['cents'] % 100:02d},ts={iso(ts)}")
        if rnd.random() < 0.01:
            text = rnd.choice([
                f"customer={order['customer']},status={order['status']},region={order['region']},ts={iso(ts)}",
                text.replace("amount=", "amount=eighty-eight"),
                text.replace(iso(ts), "yesterday"),
                f"{order['customer']} {order['status']} {order['region']}",
            ])
            order = None
        out.append((text, order))
    return out


def produce(bootstrap, topic, orders):
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for text, order in orders:
        p.produce(topic, key=(order or {}).get("customer", "bad"), value=text.encode())
    assert p.flush(60) == 0


def split_late(orders):
    """Event-time reference on one partition: (on-time orders, late orders); asserts that
    every record is late under both the exact and the lagged watermark, or under neither."""
    good = [o for _, o in orders if o is not None]
    on_time, late = [], []
    running_max = []
    m = None
    for o in good:
        running_max.append(m)
        m = o["ts"] if m is None else max(m, o["ts"])
    for k, o in enumerate(good):
        end = o["ts"] - o["ts"] % WINDOW_MS + WINDOW_MS

        def is_late(max_ts):
            return max_ts is not None and end - 1 <= max_ts - BOUND_MS - 1

        exact = is_late(running_max[k])
        lagged = is_late(running_max[k - POLL_LAG] if k >= POLL_LAG else None)
        assert exact == lagged, f"test data: record {k} is late or not depending on the poll size"
        (late if exact else on_time).append(o)
    return on_time, late


def expected_windows(orders, key):
    ref = defaultdict(lambda: [0, 0])
    for o in orders:
        start = o["ts"] - o["ts"] % WINDOW_MS
        ref[(o[key], start)][0] += 1
        ref[(o[key], start)][1] += o["cents"]
    return {k: tuple(v) for k, v in ref.items()}


def read_values(bootstrap, topic):
    return [m.value().decode() for ms in read_to_end(bootstrap, topic, [0]).values() for m in ms]


def parse_text_line(line, key):
    fields = dict(kv.split("=", 1) for kv in line.split(","))
    assert list(fields) == [key, "count", "sum", "windowStart", "windowEnd"], line
    return fields


def cents(text):
    d = Decimal(text)
    assert d == d.quantize(Decimal("0.01")) and "." in text and len(text.split(".")[1]) == 2, text
    return int(d * 100)


def run_job(bootstrap, suffix, *extra):
    return run([SLUICE_BIN, "run", "order-aggregates", "--bootstrap-servers", bootstrap, "--bounded",
                "--starting-offsets", "earliest", "--group-id", f"oa-{suffix}",
                "--output-topic", f"agg-{suffix}", "--late-topic", f"late-{suffix}", "--dlq", f"dlq-{suffix}",
                "--window", "30s", *extra], timeout=300)


def check_dlq(bootstrap, suffix, orders):
    dlq = read_to_end(bootstrap, f"dlq-{suffix}", [0])[0]
    assert sorted(m.value().decode() for m in dlq) == sorted(t for t, o in orders if o is None)
    for m in dlq:
        assert dict(m.headers() or []).get("error"), m.value()


def test_event_time_windows_with_out_of_order_and_late_orders(broker):
    create_topic(broker.bootstrap, "partitioned-topic", 1)
    orders = make_orders(8000, seed=3)
    produce(broker.bootstrap, "partitioned-topic", orders)
    on_time, late = split_late(orders)
    assert len(late) > 10 and len(on_time) > 7000

    run_job(broker.bootstrap, "ev", "--event-time", "--max-out-of-orderness", "5s",
            "--allowed-lateness", "0s", "--key", "status", "-p", "2")
    got = {}
    for line in read_values(broker.bootstrap, "agg-ev"):
        f = parse_text_line(line, "status")
        start, end = parse_iso(f["windowStart"]), parse_iso(f["windowEnd"])
        assert end - start == WINDOW_MS, line
        assert (f["status"], start) not in got, f"window fired twice: {line}"
        got[(f["status"], start)] = (int(f["count"]), cents(f["sum"]))
    assert got == expected_windows(on_time, "status")

    late_texts = read_values(broker.bootstrap, "late-ev")
    late_ids = {id(o) for o in late}
    expected_late = [t for t, o in orders if o is not None and id(o) in late_ids]
    assert Counter(late_texts) == Counter(expected_late)
    check_dlq(broker.bootstrap, "ev", orders)


def test_processing_time_windows_count_every_order_once(broker):
    create_topic(broker.bootstrap, "partitioned-topic", 3)
    orders = make_orders(5000, seed=4)
    produce(broker.bootstrap, "partitioned-topic", orders)
    good = [o for _, o in orders if o is not None]

    run_job(broker.bootstrap, "pt", "--key", "region", "--format", "json", "-p", "2")
    totals = defaultdict(lambda: [0, 0])
    seen = set()
    for line in read_values(broker.bootstrap, "agg-pt"):
        r = json.loads(line, parse_float=Decimal)
        assert list(r) == ["region", "count", "sum", "windowStart", "windowEnd"], line
        start, end = parse_iso(r["windowStart"]), parse_iso(r["windowEnd"])
        assert end - start == WINDOW_MS and start % WINDOW_MS == 0, line
        assert (r["region"], start) not in seen, f"window fired twice: {line}"
        seen.add((r["region"], start))
        totals[r["region"]][0] += r["count"]
        totals[r["region"]][1] += int(r["sum"] * 100)
    # Windows follow the wall clock, so only the totals per region are known in advance.
    expected = defaultdict(lambda: [0, 0])
    for o in good:
        expected[o["region"]][0] += 1
        expected[o["region"]][1] += o["cents"]
    assert dict(totals) == dict(expected)
    check_dlq(broker.bootstrap, "pt", orders)


def test_help_and_bad_flags():
    out = run([SLUICE_BIN, "run", "order-aggregates", "--help"]).stdout.decode()
    for flag in ("--key", "--window", "--event-time", "--max-out-of-orderness", "--allowed-lateness",
                 "--late-topic", "--format"):
        assert flag in out, flag
    p = run([SLUICE_BIN, "run", "order-aggregates", "--window", "30 parsecs"], check=False)
    assert p.returncode != 0 and b"unit" in (p.stderr + p.stdout), p.stderr
