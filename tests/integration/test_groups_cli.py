"""`sluice groups list|describe|reset-offsets|delete` against a real `sluice broker`, on a group
that a confluent-kafka (librdkafka) consumer created: lag against the produced counts, the
refusals while the group has members, each reset mode followed by a consumer that resumes
where the reset put it, and delete."""
import datetime
import json
import time

import pytest
from confluent_kafka import Consumer, KafkaException, Producer

from conftest import SLUICE_BIN, run

TOPIC = "cli-orders"
GROUP = "cli-group"
COUNTS = {0: 10, 1: 20, 2: 30}  # records produced per partition in the first round


def groups(broker, *args, check=True):
    """Runs `sluice groups -b BROKER args...`; returns CompletedProcess (bytes)."""
    return run([SLUICE_BIN, "groups", "-b", broker.bootstrap, "--timeout", "10", *args],
               check=check, timeout=60)


def describe(broker, group=GROUP):
    out = groups(broker, "describe", group, "--json").stdout.decode()
    return json.loads(out)


def committed(desc):
    return {p["partition"]: p["committed_offset"] for p in desc["partitions"]}


def produce(broker, counts, tag):
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    for partition, n in counts.items():
        for i in range(n):
            p.produce(TOPIC, value=f"{tag}-{partition}-{i}".encode(), partition=partition)
    assert p.flush(30) == 0


def make_consumer(broker, **extra):
    conf = {"bootstrap.servers": broker.bootstrap, "group.id": GROUP,
            "client.id": "cli-test-consumer", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500}
    conf.update(extra)
    c = Consumer(conf)
    c.subscribe([TOPIC])
    return c


def wait_assigned(consumer, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        consumer.poll(0.2)
        if len(consumer.assignment()) == n:
            return
    raise AssertionError(f"consumer not assigned {n} partitions within {timeout}s")


def first_offsets(broker, expect_partitions, timeout=30):
    """Joins the group with a fresh consumer and returns {partition: offset of the first record
    it receives}; auto.offset.reset=latest, so a partition without a committed offset yields
    nothing."""
    c = make_consumer(broker, **{"auto.offset.reset": "latest"})
    try:
        first = {}
        deadline = time.time() + timeout
        while set(first) != set(expect_partitions) and time.time() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                raise KafkaException(m.error())
            first.setdefault(m.partition(), m.offset())
        return first
    finally:
        c.close()


@pytest.fixture
def topic_broker(broker):
    run([SLUICE_BIN, "topic", "-b", broker.bootstrap, "create", TOPIC, "-p", "3"])
    return broker


def test_describe_list_reset_delete(topic_broker):
    broker = topic_broker
    produce(broker, COUNTS, "a")

    # A live member that committed 5 on partition 0, everything on 1 and nothing on 2.
    c = make_consumer(broker)
    try:
        wait_assigned(c, 3)
        from confluent_kafka import TopicPartition
        c.commit(offsets=[TopicPartition(TOPIC, 0, 5), TopicPartition(TOPIC, 1, 20)],
                 asynchronous=False)
        desc = describe(broker)
        assert desc["state"] == "Stable"
        assert desc["protocol_type"] == "consumer"
        assert desc["coordinator"]["port"] == broker.port
        assert len(desc["members"]) == 1
        member = desc["members"][0]
        assert member["client_id"] == "cli-test-consumer"
        assert member["host"].endswith("127.0.0.1")
        assert sorted(a["partition"] for a in member["assignment"]) == [0, 1, 2]
        rows = {p["partition"]: p for p in desc["partitions"]}
        assert sorted(rows) == [0, 1, 2]
        for p, n in COUNTS.items():
            assert rows[p]["log_end_offset"] == n
            assert rows[p]["member_id"] == member["member_id"]
        assert [rows[p]["committed_offset"] for p in (0, 1, 2)] == [5, 20, None]
        assert [rows[p]["lag"] for p in (0, 1, 2)] == [5, 0, None]

        text = groups(broker, "describe", GROUP).stdout.decode()
        assert "State: Stable" in text
        line0 = next(l for l in text.splitlines() if l.startswith(f"{GROUP} ") and
                     l.split()[2] == "0")
        assert line0.split()[:6] == [GROUP, TOPIC, "0", "5", "10", "5"]

        listed = [json.loads(l) for l in groups(broker, "list", "--json").stdout.splitlines()]
        assert {"group": GROUP, "state": "Stable", "protocol_type": "consumer"} in listed
        assert GROUP in groups(broker, "list").stdout.decode()

        # Refused while the group has a member, as Kafka does.
        p = groups(broker, "delete", GROUP, check=False)
        assert p.returncode == 1
        assert b"active members" in p.stderr
        p = groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest",
                   check=False)
        assert p.returncode == 1
        assert b"inactive" in p.stderr and b"Stable" in p.stderr
        p = groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest",
                   "--dry-run", check=False)
        assert p.returncode == 1
        assert committed(describe(broker)) == {0: 5, 1: 20, 2: None}
    finally:
        c.close()

    desc = describe(broker)
    assert desc["state"] == "Empty" and desc["members"] == []
    assert committed(desc) == {0: 5, 1: 20}  # the offsets outlive the members

    # --to-earliest, dry run first: nothing changes.
    out = groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest", "--dry-run",
                 "--json").stdout
    assert [json.loads(l)["offset"] for l in out.splitlines()] == [0, 0, 0]
    assert committed(describe(broker)) == {0: 5, 1: 20}
    out = groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest").stdout.decode()
    assert out.splitlines()[0].split() == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]
    assert committed(describe(broker)) == {0: 0, 1: 0, 2: 0}
    assert {r["partition"]: r["lag"] for r in describe(broker)["partitions"]} == COUNTS
    assert first_offsets(broker, [0, 1, 2]) == {0: 0, 1: 0, 2: 0}

    # --to-latest: lag 0; a consumer sees only what comes after.
    groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-latest")
    desc = describe(broker)
    assert committed(desc) == COUNTS
    assert all(r["lag"] == 0 for r in desc["partitions"])

    # --to-offset on one partition; the others keep their offsets. Out of range: clamped.
    groups(broker, "reset-offsets", GROUP, "--topic", f"{TOPIC}:1", "--to-offset", "7")
    assert committed(describe(broker)) == {0: 10, 1: 7, 2: 30}
    p = groups(broker, "reset-offsets", GROUP, "--topic", f"{TOPIC}:0", "--to-offset", "999")
    assert b"outside 0..10" in p.stderr
    assert committed(describe(broker)) == {0: 10, 1: 7, 2: 30}
    assert first_offsets(broker, [1]) == {1: 7}

    # --to-timestamp / --to-datetime: the first record at or after the time.
    time.sleep(0.3)
    cut_ms = int(time.time() * 1000)
    time.sleep(0.3)
    produce(broker, {0: 4, 1: 4, 2: 4}, "b")
    groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest")
    iso = datetime.datetime.fromtimestamp(cut_ms / 1000, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    out = groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-datetime", iso,
                 "--dry-run", "--json").stdout
    assert {json.loads(l)["partition"]: json.loads(l)["offset"] for l in out.splitlines()} == COUNTS
    assert committed(describe(broker)) == {0: 0, 1: 0, 2: 0}
    groups(broker, "reset-offsets", GROUP, "--topic", TOPIC, "--to-timestamp", str(cut_ms))
    assert committed(describe(broker)) == COUNTS
    assert first_offsets(broker, [0, 1, 2]) == COUNTS

    # --shift-by from the committed offsets (first_offsets committed nothing).
    groups(broker, "reset-offsets", GROUP, "--all-topics", "--shift-by", "-3")
    assert committed(describe(broker)) == {0: 7, 1: 17, 2: 27}

    # Delete: the group and its offsets are gone.
    out = groups(broker, "delete", GROUP).stdout.decode()
    assert f"deleted consumer group {GROUP}" in out
    assert GROUP not in groups(broker, "list").stdout.decode()
    p = groups(broker, "describe", GROUP, check=False)
    assert p.returncode == 1 and b"does not exist" in p.stderr
    p = groups(broker, "delete", GROUP, check=False)
    assert p.returncode == 1 and b"does not exist" in p.stderr


def test_errors_say_what_went_wrong(topic_broker):
    broker = topic_broker
    p = groups(broker, "reset-offsets", "nobody", "--topic", "no-such-topic", "--to-earliest",
               check=False)
    assert p.returncode == 1 and b"topic 'no-such-topic' does not exist" in p.stderr
    p = groups(broker, "reset-offsets", "nobody", "--topic", f"{TOPIC}:7", "--to-earliest",
               check=False)
    assert p.returncode == 1 and b"has no partition 7" in p.stderr
    p = groups(broker, "reset-offsets", "nobody", "--topic", TOPIC, check=False)
    assert p.returncode != 0 and b"exactly one of" in p.stderr
    p = groups(broker, "reset-offsets", "nobody", "--topic", TOPIC, "--to-datetime", "yesterday",
               check=False)
    assert p.returncode != 0 and b"invalid datetime 'yesterday'" in p.stderr
    p = groups(broker, "reset-offsets", "nobody", "--topic", TOPIC, "--shift-by", "1",
               check=False)
    assert p.returncode == 1 and b"no committed offset" in p.stderr
    # A group that does not exist yet may be given offsets (as with Kafka), then described.
    groups(broker, "reset-offsets", "fresh", "--topic", TOPIC, "--to-latest")
    assert describe(broker, "fresh")["state"] in ("Empty", "Dead")
    p = run([SLUICE_BIN, "groups", "-b", "127.0.0.1:1", "--timeout", "2", "list"], check=False)
    assert p.returncode == 1 and b"127.0.0.1:1" in p.stderr
