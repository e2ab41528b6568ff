"""confluent-kafka-python 1.7 (librdkafka 2.0) consumer groups against a real `sluice broker`,
with the eager `range` assignor and with `cooperative-sticky` (incremental rebalancing): a
second member joins and takes partitions over, offsets are committed synchronously, and a
new consumer of the group resumes exactly at the committed offsets."""
import json
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from conftest import SLUICE_BIN, run

PARTITIONS = 4
PER_PARTITION = 50


def produce(bootstrap, topic, tag, per_partition):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    values = []
    for part in range(PARTITIONS):
        for i in range(per_partition):
            v = f"{tag}-{part}-{i}"
            p.produce(topic, value=v.encode(), partition=part)
            values.append(v)
    assert p.flush(30) == 0
    return values


def commit(consumer):
    """Synchronous commit of what was read; nothing new to commit is fine."""
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET:
            raise


class Member:
    """A subscribed consumer that records its assignment events and what it read."""

    def __init__(self, bootstrap, topic, group, strategy, name):
        self.name = name
        self.assigned = set()
        self.events = []  # ("assign"|"revoke", sorted partitions)
        self.records = []  # (partition, offset, value)
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                           "client.id": name, "partition.assignment.strategy": strategy,
                           "enable.auto.commit": False, "auto.offset.reset": "earliest",
                           "session.timeout.ms": 6000, "heartbeat.interval.ms": 300})
        self.c.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke)

    def _on_assign(self, consumer, partitions):
        ps = sorted(tp.partition for tp in partitions)
        self.events.append(("assign", ps))
        self.assigned |= set(ps)

    def _on_revoke(self, consumer, partitions):
        ps = sorted(tp.partition for tp in partitions)
        self.events.append(("revoke", ps))
        # Commit what was read before the partitions go (what a careful application does).
        if ps and self.records:
            commit(consumer)
        self.assigned -= set(ps)

    def poll(self, commit_every=10):
        """Reads one record; commits every `commit_every` records (None: only on revoke).
        While a rebalance is under way a commit can race the member's own JoinGroup: the
        coordinator serves a connection's requests in order, as Kafka does, so the commit is
        judged after the new generation exists and fails with ILLEGAL_GENERATION, which
        librdkafka takes for a lost assignment. So during the takeover the members commit only
        in the revoke callback, which runs within the current generation."""
        m = self.c.poll(0.1)
        if m is None:
            return
        if m.error():
            raise KafkaException(m.error())
        assert m.partition() in self.assigned, \
            f"{self.name} got a record of partition {m.partition()} it does not own"
        self.records.append((m.partition(), m.offset(), m.value().decode()))
        if commit_every and len(self.records) % commit_every == 0:
            commit(self.c)


def poll_until(members, predicate, timeout, what, commit_every=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in members:
            m.poll(commit_every)
        if predicate():
            return
    raise AssertionError(f"{what} not reached within {timeout}s; events: "
                         f"{[(m.name, m.events) for m in members]}")


def describe(bootstrap, group):
    p = run([SLUICE_BIN, "groups", "-b", bootstrap, "describe", group, "--json"])
    return json.loads(p.stdout)


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_group_rebalance_commit_resume(broker, strategy):
    topic = f"orders-{strategy}"
    group = f"group-{strategy}"
    run([SLUICE_BIN, "topic", "-b", broker.bootstrap, "create", topic, "-p", str(PARTITIONS)])
    first = produce(broker.bootstrap, topic, "a", PER_PARTITION)

    a = Member(broker.bootstrap, topic, group, strategy, "member-a")
    poll_until([a], lambda: len(a.assigned) == PARTITIONS and len(a.records) >= 40, 30,
               "member-a owning every partition")
    a_before = set(a.assigned)

    b = Member(broker.bootstrap, topic, group, strategy, "member-b")
    members = [a, b]

    def balanced():
        return (len(a.assigned) == len(b.assigned) == PARTITIONS // 2 and
                not a.assigned & b.assigned)

    poll_until(members, balanced, 40, "two members with two partitions each", commit_every=None)
    d = describe(broker.bootstrap, group)
    assert d["state"] == "Stable" and d["assignor"] == strategy
    by_client = {m["client_id"]: {x["partition"] for x in m["assignment"]} for m in d["members"]}
    assert by_client == {"member-a": a.assigned, "member-b": b.assigned}

    revoked_from_a = [p for kind, ps in a.events if kind == "revoke" for p in ps]
    if strategy == "range":
        # Eager: everything is revoked, then everything reassigned.
        assert set(revoked_from_a) == a_before
    else:
        # Incremental: a gives up only the partitions that move to b, keeps the others
        # without a revoke, and is never handed back what it gave.
        assert set(revoked_from_a) == b.assigned
        assert not set(revoked_from_a) & a.assigned
        assert a.assigned < a_before

    poll_until(members, lambda: {v for m in members for _, _, v in m.records} >= set(first), 40,
               "every record read")
    for m in members:
        if m.records:
            commit(m.c)
    committed = a.c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    assert [tp.offset for tp in committed] == [PER_PARTITION] * PARTITIONS
    for m in members:
        m.c.close()
    d = describe(broker.bootstrap, group)
    assert d["state"] == "Empty"
    assert [p["committed_offset"] for p in d["partitions"]] == [PER_PARTITION] * PARTITIONS

    # A new consumer of the group starts where the group committed: only the new records.
    second = produce(broker.bootstrap, topic, "b", 10)
    c = Member(broker.bootstrap, topic, group, strategy, "member-c")
    try:
        poll_until([c], lambda: len(c.records) >= len(second), 30, "the new records read")
        time.sleep(0.5)
        c.poll()
        assert sorted(v for _, _, v in c.records) == sorted(second)
        assert min(o for _, o, _ in c.records) == PER_PARTITION
    finally:
        c.c.close()
