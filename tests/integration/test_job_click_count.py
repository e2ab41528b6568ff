"""click-count (JOBS.md, seed 000) end to end through the embedded broker: clicks with some
bad records are produced by this test, `sluice run click-count --bounded` counts them at
parallelism 1 and 4, and the outputs are checked against counts computed here."""
import random
from collections import defaultdict

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

USERS = [f"u{i}" for i in range(25)]
ACTIONS = ["CLICK", "VIEW", "ADD_TO_CART"]


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def produce_clicks(bootstrap, topic, n, seed):
    """n records keyed by user (a user's events stay in order in one partition); about 1% are
    bad: not JSON, or JSON without a userId. Returns (good events in order, bad values)."""
    rnd = random.Random(seed)
    good, bad = [], []
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(n):
        user = rnd.choice(USERS)
        if rnd.random() < 0.01:
            value = rnd.choice([f"not json {i}", f'{{"action":"CLICK","n":{i}}}'])
            bad.append(value)
        else:
            action = rnd.choice(ACTIONS)
            value = f'{{"userId":"{user}","action":"{action}"}}'
            good.append((user, action))
        p.produce(topic, key=user, value=value)
    assert p.flush(30) == 0
    return good, bad


def read_all(bootstrap, topic, partitions):
    got = read_to_end(bootstrap, topic, range(partitions))
    return [m for p in sorted(got) for m in got[p]]


def run_job(bootstrap, parallelism, suffix, *extra):
    return run([SLUICE_BIN, "run", "click-count", "--bootstrap-servers", bootstrap, "--bounded",
                "--starting-offsets", "earliest", "-p", str(parallelism),
                "--group-id", f"cc-{suffix}", "--output-topic", f"out-{suffix}",
                "--dlq", f"dlq-{suffix}", *extra], timeout=180)


def counts_per_user(messages):
    seq = defaultdict(list)
    for m in messages:
        user = m.key().decode()
        text = m.value().decode()
        prefix, suffix = f"User {user} clicked ", " times"
        assert text.startswith(prefix) and text.endswith(suffix), text
        seq[user].append(int(text[len(prefix):-len(suffix)]))
    return dict(seq)


def test_counts_at_parallelism_1_and_4_equal_the_reference(broker):
    create_topic(broker.bootstrap, "input-topic", 3)
    good, bad = produce_clicks(broker.bootstrap, "input-topic", 4000, seed=11)
    expected = defaultdict(int)
    for user, _ in good:
        expected[user] += 1

    for parallelism in (1, 4):
        suffix = f"p{parallelism}"
        run_job(broker.bootstrap, parallelism, suffix)
        out = counts_per_user(read_all(broker.bootstrap, f"out-{suffix}", 1))
        # Every user's counts rise by one per event, from 1 to the number of its events.
        assert {u: s[-1] for u, s in out.items()} == dict(expected), suffix
        for user, seq in out.items():
            assert seq == list(range(1, expected[user] + 1)), (suffix, user)
        dlq = read_all(broker.bootstrap, f"dlq-{suffix}", 1)
        assert sorted(m.value().decode() for m in dlq) == sorted(bad), suffix
        for m in dlq:
            headers = dict(m.headers() or [])
            assert headers.get("error"), f"a dead letter without its reason: {m.value()!r}"


def test_action_flag_counts_only_that_action(broker):
    create_topic(broker.bootstrap, "input-topic", 2)
    good, _ = produce_clicks(broker.bootstrap, "input-topic", 1000, seed=5)
    expected = defaultdict(int)
    for user, action in good:
        if action == "CLICK":
            expected[user] += 1
    run_job(broker.bootstrap, 2, "clicks", "--action", "CLICK")
    out = counts_per_user(read_all(broker.bootstrap, "out-clicks", 1))
    assert {u: s[-1] for u, s in out.items()} == dict(expected)
