"""transactions (JOBS.md, seed 004) end to end through the embedded broker: this test
produces seeded transactions (with bad records) into `transactions`, runs
`sluice run transactions --bounded` in event time at parallelism 1 and 3, and checks the
four outputs (processed_transactions, high_value_transactions, user_aggregations, the
per-category totals on stdout) and the dead-letter topic against a reference computed here,
in integer cents, from the records the test wrote."""
import calendar
import json
import random
import time
from collections import defaultdict
from datetime import datetime, timezone

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

CATEGORIES = {  # product -> category; "toys" has no discount
    "laptop": "electronics", "headphones": "electronics", "jeans": "clothing",
    "novel": "books", "lamp": "home", "bicycle": "sports", "puzzle": "toys"}
DISCOUNT_PERCENT = {"electronics": 10, "clothing": 15, "books": 5, "home": 8, "sports": 12}
WINDOW_MS = 60_000
START = calendar.timegm((2024, 5, 23, 12, 0, 0)) * 1000


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def produce_transactions(bootstrap, n, seed):
    """n transactions keyed by user, event time rising about 0.25 s per record with up to 2 s
    of disorder (under the job's 5 s bound, so nothing is late), over about 12 windows.
    About 2% are bad. Returns (good transactions as dicts with amount_cents and ts_ms,
    bad values)."""
    rnd = random.Random(seed)
    good, bad = [], []
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    clock = START
    for i in range(n):
        clock += rnd.randint(0, 500)
        ts = clock - rnd.randint(0, 2000)
        ts -= ts % 1000  # whole seconds, as the seed writes them
        user = f"user_{rnd.randint(1, 40)}"
        product = rnd.choice(list(CATEGORIES))
        cents = rnd.choice([rnd.randint(100, 10_000), rnd.randint(10_001, 50_000),
                            rnd.randint(50_001, 200_000), 10_000, 50_000])
        t = {"transaction_id": f"txn_{i:06d}", "user_id": user, "product": product,
             "category": CATEGORIES[product], "amount": None, "quantity": rnd.randint(1, 3),
             "payment_method": rnd.choice(["credit_card", "paypal"]),
             "timestamp": iso(ts), "location": f"city_{rnd.randint(1, 9)}"}
        body = json.dumps(t).replace('"amount": null', f'"amount": {cents // 100}.{cents % 100:02d}')
        if rnd.random() < 0.02:
            kind = rnd.randrange(5)
            value = [body[: rnd.randint(1, len(body) - 2)],
                     body.replace(f'"amount": {cents // 100}.{cents % 100:02d}', '"amount": "a lot"'),
                     body.replace(f'"category": "{t["category"]}", ', ""),
                     body.replace(t["timestamp"], "yesterday"),
                     f"not json {i}"][kind]
            bad.append(value)
        else:
            value = body
            good.append(dict(t, amount_cents=cents, ts_ms=ts))
        p.produce("transactions", key=user, value=value)
    assert p.flush(30) == 0
    return good, bad


def money(cents):
    return cents / 100


def window_of(ts):
    start = ts - ts % WINDOW_MS
    fmt = lambda ms: datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return fmt(start), fmt(start + WINDOW_MS)


def reference(good):
    fields = ["transaction_id", "user_id", "product", "category", "quantity", "payment_method",
              "timestamp", "location"]
    processed, high = {}, {}
    users = defaultdict(lambda: [0, 0])
    categories = defaultdict(lambda: [0, 0])
    for t in good:
        base = {f: t[f] for f in fields}
        base["amount"] = money(t["amount_cents"])
        c = t["amount_cents"]
        if c > 10_000:
            pct = DISCOUNT_PERCENT.get(t["category"], 0)
            discount = (c * pct + 50) // 100
            processed[t["transaction_id"]] = dict(
                base, discount_rate=pct / 100, discount_amount=money(discount),
                discounted_amount=money(c - discount), high_value=c > 50_000)
        if c > 50_000:
            high[t["transaction_id"]] = base
        w = window_of(t["ts_ms"])
        users[(t["user_id"],) + w][0] += 1
        users[(t["user_id"],) + w][1] += c
        categories[(t["category"],) + w][0] += 1
        categories[(t["category"],) + w][1] += c
    user_aggs = {k: {"transaction_count": n, "total_amount": money(s),
                     "average_amount": money((2 * s + n) // (2 * n))}
                 for k, (n, s) in users.items()}
    category_totals = {k: {"transaction_count": n, "total_sales": money(s)}
                       for k, (n, s) in categories.items()}
    return processed, high, user_aggs, category_totals


def read_all(bootstrap, topic):
    got = read_to_end(bootstrap, topic, [0])
    return got[0]


def test_four_outputs_equal_the_reference_at_parallelism_1_and_3(broker):
    create_topic(broker.bootstrap, "transactions", 3)
    good, bad = produce_transactions(broker.bootstrap, 3000, seed=4)
    processed, high, user_aggs, category_totals = reference(good)
    assert len(processed) > 500 and len(high) > 200 and len(user_aggs) > 300

    for parallelism in (1, 3):
        s = f"p{parallelism}"
        started = time.time()
        p = run([SLUICE_BIN, "run", "transactions", "--bootstrap-servers", broker.bootstrap,
                 "--bounded", "--starting-offsets", "earliest", "-p", str(parallelism),
                 "--group-id", f"tx-{s}", "--processed-topic", f"processed-{s}",
                 "--high-value-topic", f"high-{s}", "--user-aggregations-topic", f"users-{s}",
                 "--dlq", f"dlq-{s}", "--window", "60s"], timeout=300)
        print(f"transactions -p {parallelism}: {time.time() - started:.1f}s")

        got = {}
        for m in read_all(broker.bootstrap, f"processed-{s}"):
            v = json.loads(m.value())
            assert m.key().decode() == v["user_id"]
            assert v["transaction_id"] not in got, f"{s}: {v['transaction_id']} twice"
            got[v["transaction_id"]] = v
        assert got == processed, s

        got = {}
        for m in read_all(broker.bootstrap, f"high-{s}"):
            v = json.loads(m.value())
            assert m.key().decode() == v["user_id"]
            got[v["transaction_id"]] = v
        assert got == high, s

        got = {}
        for m in read_all(broker.bootstrap, f"users-{s}"):
            v = json.loads(m.value())
            key = (v.pop("user_id"), v.pop("window_start"), v.pop("window_end"))
            assert m.key().decode() == key[0]
            assert key not in got, f"{s}: window {key} fired twice"
            got[key] = v
        assert got == user_aggs, s

        got = {}
        for line in p.stdout.decode().splitlines():
            if line.startswith("{"):
                v = json.loads(line)
                key = (v.pop("category"), v.pop("window_start"), v.pop("window_end"))
                assert key not in got
                got[key] = v
        assert got == category_totals, s

        dlq = read_all(broker.bootstrap, f"dlq-{s}")
        assert sorted(m.value().decode(errors="replace") for m in dlq) == \
            sorted(b.encode().decode(errors="replace") for b in bad), s
        for m in dlq:
            assert dict(m.headers() or []).get("error"), f"a dead letter without its reason: {m.value()!r}"


def test_processing_time_windows_keep_every_total(broker):
    """--processing-time (the seed's setting): which window a record lands in depends on when
    it is read, so only the totals per user and per category are compared."""
    create_topic(broker.bootstrap, "transactions", 2)
    good, _ = produce_transactions(broker.bootstrap, 800, seed=12)
    p = run([SLUICE_BIN, "run", "transactions", "--bootstrap-servers", broker.bootstrap,
             "--bounded", "--starting-offsets", "earliest", "-p", "2", "--processing-time",
             "--window", "5s", "--dlq", "dlq-pt"], timeout=300)
    per_user = defaultdict(lambda: [0, 0])
    for t in good:
        per_user[t["user_id"]][0] += 1
        per_user[t["user_id"]][1] += t["amount_cents"]
    got = defaultdict(lambda: [0, 0])
    for m in read_all(broker.bootstrap, "user_aggregations"):
        v = json.loads(m.value())
        got[v["user_id"]][0] += v["transaction_count"]
        got[v["user_id"]][1] += round(v["total_amount"] * 100)
    assert dict(got) == dict(per_user)
    per_category = defaultdict(int)
    for t in good:
        per_category[t["category"]] += t["amount_cents"]
    got_categories = defaultdict(int)
    for line in p.stdout.decode().splitlines():
        if line.startswith("{"):
            v = json.loads(line)
            got_categories[v["category"]] += round(v["total_sales"] * 100)
    assert dict(got_categories) == dict(per_category)


def test_help_names_the_flags():
    out = run([SLUICE_BIN, "run", "transactions", "--help"]).stdout.decode()
    for flag in ("--window", "--processed-topic", "--high-value-topic", "--user-aggregations-topic",
                 "--dlq", "--bounded", "--processing-time"):
        assert flag in out, flag
