"""kafka-python 2.0.2 (a pure-Python client with its own protocol code) against a real
`sluice broker`: API version auto-detection through ApiVersions, produce and consume with and
without keys (no consumer group: assign()), KafkaAdminClient create_topics / list_topics."""
import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

PARTITIONS = 3


@pytest.fixture
def broker3(broker_factory):
    return broker_factory(extra_args=["--partitions", str(PARTITIONS)])


def consume_everything(bootstrap, topic, expected, timeout=60, **config):
    """Reads every partition of topic from the beginning with assign() and no group until
    `expected` records arrived; returns {partition: [ConsumerRecord, ...]}."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             consumer_timeout_ms=1000, **config)
    try:
        partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"no partitions for {topic}"
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        got = {p: [] for p in partitions}
        n = 0
        deadline = time.time() + timeout
        while n < expected and time.time() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                got[tp.partition].extend(records)
                n += len(records)
        # Nothing more than expected arrives.
        for tp, records in consumer.poll(timeout_ms=500).items():
            got[tp.partition].extend(records)
        return got
    finally:
        consumer.close()


def test_api_version_is_autodetected(broker):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    try:
        version = producer.config["api_version"]
        # Record batches v2 (and headers) need 0.11+; kafka-python infers the version from
        # the API ranges that our ApiVersions response advertises.
        assert version >= (0, 11), version
    finally:
        producer.close()


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_produce_and_consume_with_and_without_keys(broker3, compression):
    topic = f"kp-{compression or 'plain'}"
    producer = KafkaProducer(bootstrap_servers=broker3.bootstrap, acks="all",
                             compression_type=compression, linger_ms=5)
    sent = []  # (partition, offset, key, value, headers)
    futures = []
    for i in range(3000):
        if i % 3 == 0:
            key, headers = None, []
        else:
            key, headers = b"user-%d" % (i % 50), [("seq", b"%d" % i), ("bin", bytes([0, 255]))]
        value = b"event %d " % i + bytes(range(256))[i % 256:]
        if key is not None and i % 500 == 499:
            value = None  # a tombstone
        futures.append((key, value, headers,
                        producer.send(topic, key=key, value=value, headers=headers)))
    producer.flush(60)
    for key, value, headers, f in futures:
        md = f.get(timeout=30)
        sent.append((md.partition, md.offset, key, value, headers))
    producer.close()

    by_partition = {}
    for p, o, k, v, h in sent:
        by_partition.setdefault(p, []).append((o, k, v, h))
    assert len(by_partition) > 1
    for p, recs in by_partition.items():
        assert [o for o, *_ in recs] == list(range(len(recs))), f"partition {p} offsets"

    got = consume_everything(broker3.bootstrap, topic, len(sent))
    assert sum(len(r) for r in got.values()) == len(sent)
    for p, recs in by_partition.items():
        records = got[p]
        assert [(r.offset, r.key, r.value, [(hk, hv) for hk, hv in r.headers]) for r in records] \
            == recs, f"partition {p}"
    # Keyed records of one key share a partition.
    key_partition = {}
    for p, _, k, _, _ in sent:
        if k is not None:
            assert key_partition.setdefault(k, p) == p


def test_admin_create_topics_and_list_topics(broker_factory):
    b = broker_factory(extra_args=["--auto-create-topics", "false"])
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
    try:
        admin.create_topics([NewTopic("kp-five", num_partitions=5, replication_factor=1),
                             NewTopic("kp-one", num_partitions=1, replication_factor=1)])
        assert {"kp-five", "kp-one"} <= set(admin.list_topics())
        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics([NewTopic("kp-one", num_partitions=1, replication_factor=1)])
    finally:
        admin.close()

    consumer = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None)
    try:
        assert consumer.topics() == {"kp-five", "kp-one"}
        assert consumer.partitions_for_topic("kp-five") == {0, 1, 2, 3, 4}
        assert consumer.partitions_for_topic("kp-one") == {0}
    finally:
        consumer.close()

    # A created topic takes records on each of its partitions.
    producer = KafkaProducer(bootstrap_servers=b.bootstrap, acks="all")
    for p in range(5):
        md = producer.send("kp-five", value=b"to %d" % p, partition=p).get(timeout=30)
        assert (md.partition, md.offset) == (p, 0)
    producer.close()
    got = consume_everything(b.bootstrap, "kp-five", 5)
    assert {p: [r.value for r in recs] for p, recs in got.items()} == \
        {p: [b"to %d" % p] for p in range(5)}
