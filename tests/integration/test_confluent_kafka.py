"""confluent-kafka-python 1.7 (librdkafka 2.0) against a real `sluice broker`: Producer with
delivery callbacks, Consumer with assign() and no commits, watermarks and offsets for times,
AdminClient create_topics / list_topics / describe_configs / alter_configs."""
import pytest
from conftest import read_to_end
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

PARTITIONS = 3


@pytest.fixture
def broker3(broker_factory):
    return broker_factory(extra_args=["--partitions", str(PARTITIONS)])


def make_consumer(bootstrap, **extra):
    # librdkafka's KafkaConsumer wants a group.id even for assign(); with assign() and no
    # commits the group coordinator is never needed to fetch.
    conf = {"bootstrap.servers": bootstrap, "group.id": "confluent-assign-only",
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "enable.partition.eof": True, "check.crcs": True}
    conf.update(extra)
    return Consumer(conf)


def read_partitions(bootstrap, topic, partitions, timeout=60):
    """Every record of the partitions from the beginning: {partition: [Message, ...]}."""
    return read_to_end(bootstrap, topic, partitions, timeout)


def produce_with_reports(bootstrap, topic, records, **extra):
    """Produces (key, value, headers, partition-or-None) tuples with acks=all; returns the
    delivery reports [(err, partition, offset, index)] in callback order."""
    reports = []
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5}
    conf.update(extra)
    p = Producer(conf)
    for i, (key, value, headers, partition) in enumerate(records):
        kwargs = dict(key=key, value=value, headers=headers,
                      on_delivery=lambda err, msg, i=i: reports.append(
                          (err, msg.partition(), msg.offset(), i)))
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                p.produce(topic, **kwargs)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "messages left undelivered"
    return reports


@pytest.mark.parametrize("codec", ["none", "snappy", "zstd"])
def test_producer_delivery_callbacks_and_assign_consumer(broker3, codec):
    topic = f"ck-{codec}"
    records = []
    for i in range(5000):
        key = None if i % 4 == 0 else b"k%d" % (i % 40)
        headers = [("i", b"%d" % i)] if i % 2 else None
        records.append((key, b"v%d:" % i + b"x" * (i % 300), headers, None))
    reports = produce_with_reports(broker3.bootstrap, topic, records, **{"compression.codec": codec})

    assert len(reports) == len(records)
    assert [r for r in reports if r[0] is not None] == []
    offsets = {}
    for _, p, o, i in reports:
        offsets.setdefault(p, []).append((o, i))
    assert len(offsets) > 1
    for p, lst in offsets.items():
        assert [o for o, _ in lst] == list(range(len(lst))), f"partition {p}"
        assert [i for _, i in lst] == sorted(i for _, i in lst), f"partition {p} order"

    got = read_partitions(broker3.bootstrap, topic, list(range(PARTITIONS)))
    for p in range(PARTITIONS):
        expected = offsets.get(p, [])
        msgs = got[p]
        assert [m.offset() for m in msgs] == [o for o, _ in expected]
        for m, (_, i) in zip(msgs, expected):
            key, value, headers, _ = records[i]
            assert (m.key(), m.value()) == (key, value)
            assert m.headers() == headers
            assert m.topic() == topic and m.partition() == p


@pytest.mark.parametrize("codec", ["none", "gzip"])
def test_watermarks_and_offsets_for_times(broker3, codec):
    """ListOffsets by timestamp answers the first record at or after it, also inside a batch
    (all 100 records go in one batch here), compressed or not, as Kafka does."""
    topic = f"ck-times-{codec}"
    base = 1_600_000_000_000
    conf_records = [(None, b"r%d" % i, None, 0) for i in range(100)]
    p = Producer({"bootstrap.servers": broker3.bootstrap, "acks": "all", "linger.ms": 200,
                  "compression.codec": codec})
    for i, (_, value, _, part) in enumerate(conf_records):
        p.produce(topic, value=value, partition=part, timestamp=base + i * 1000)
    assert p.flush(30) == 0

    c = make_consumer(broker3.bootstrap)
    try:
        assert c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (0, 100)
        assert c.get_watermark_offsets(TopicPartition(topic, 1), timeout=10) == (0, 0)
        res = c.offsets_for_times([TopicPartition(topic, 0, base + 41_500),
                                   TopicPartition(topic, 1, base)], timeout=10)
        assert res[0].offset == 42 and res[0].error is None
        assert res[1].offset == -1  # empty partition: no such record (end)
        res = c.offsets_for_times([TopicPartition(topic, 0, base + 10_000_000)], timeout=10)
        assert res[0].offset == -1
        res = c.offsets_for_times([TopicPartition(topic, 0, 0)], timeout=10)
        assert res[0].offset == 0
    finally:
        c.close()
    got = read_partitions(broker3.bootstrap, topic, [0])
    assert [m.timestamp()[1] for m in got[0]] == [base + i * 1000 for i in range(100)]


def source_of(entry):
    """A ConfigEntry's source as a ConfigSource (the C extension hands over an int)."""
    return entry.source if isinstance(entry.source, ConfigSource) else ConfigSource(entry.source)


def test_admin_create_list_describe_alter(broker_factory):
    b = broker_factory(extra_args=["--auto-create-topics", "false"])
    admin = AdminClient({"bootstrap.servers": b.bootstrap})

    futures = admin.create_topics([
        NewTopic("ck-admin", num_partitions=4, replication_factor=1),
        NewTopic("ck-admin-retained", num_partitions=1, replication_factor=1,
                 config={"retention.ms": "60000"}),
    ], request_timeout=15)
    for name, f in futures.items():
        assert f.result(timeout=30) is None, name

    # Creating it again fails with TOPIC_ALREADY_EXISTS; zero partitions is invalid.
    f = admin.create_topics([NewTopic("ck-admin", num_partitions=1, replication_factor=1)])
    with pytest.raises(KafkaException) as e:
        f["ck-admin"].result(timeout=30)
    assert e.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
    f = admin.create_topics([NewTopic("ck-zero", num_partitions=0, replication_factor=1)])
    with pytest.raises(KafkaException) as e:
        f["ck-zero"].result(timeout=30)
    assert e.value.args[0].code() == KafkaError.INVALID_PARTITIONS

    md = admin.list_topics(timeout=10)
    assert set(md.topics) == {"ck-admin", "ck-admin-retained"}
    assert sorted(md.topics["ck-admin"].partitions) == [0, 1, 2, 3]
    assert list(md.brokers) == [md.controller_id]
    assert str(md.brokers[md.controller_id]) == f"127.0.0.1:{b.port}/{md.controller_id}"
    for p in md.topics["ck-admin"].partitions.values():
        assert p.leader == md.controller_id and p.error is None

    def describe(name):
        res = ConfigResource(ConfigResource.Type.TOPIC, name)
        return admin.describe_configs([res])[res].result(timeout=30)

    configs = describe("ck-admin")
    assert "retention.ms" in configs and "cleanup.policy" in configs, sorted(configs)
    default_retention = configs["retention.ms"]
    assert source_of(default_retention) in (ConfigSource.DEFAULT_CONFIG,
                                            ConfigSource.STATIC_BROKER_CONFIG), default_retention
    retained = describe("ck-admin-retained")["retention.ms"]
    assert retained.value == "60000"
    assert source_of(retained) == ConfigSource.DYNAMIC_TOPIC_CONFIG

    res = ConfigResource(ConfigResource.Type.TOPIC, "ck-admin",
                         set_config={"retention.ms": "3600000"})
    assert admin.alter_configs([res])[res].result(timeout=30) is None
    altered = describe("ck-admin")["retention.ms"]
    assert altered.value == "3600000"
    assert source_of(altered) == ConfigSource.DYNAMIC_TOPIC_CONFIG
    # The other topic kept its own value.
    assert describe("ck-admin-retained")["retention.ms"].value == "60000"

    # An invalid value is refused and changes nothing.
    res = ConfigResource(ConfigResource.Type.TOPIC, "ck-admin",
                         set_config={"retention.ms": "not-a-number"})
    with pytest.raises(KafkaException) as e:
        admin.alter_configs([res])[res].result(timeout=30)
    assert e.value.args[0].code() == KafkaError.INVALID_CONFIG
    assert describe("ck-admin")["retention.ms"].value == "3600000"

    # Describing a missing topic fails with UNKNOWN_TOPIC_OR_PART.
    res = ConfigResource(ConfigResource.Type.TOPIC, "ck-missing")
    with pytest.raises(KafkaException) as e:
        admin.describe_configs([res])[res].result(timeout=30)
    assert e.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART

    # The altered setting survives a broker restart.
    b.stop()
    b.start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    assert describe("ck-admin")["retention.ms"].value == "3600000"
