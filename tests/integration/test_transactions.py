"""Kafka transactions against a real `sluice broker`, with clients we did not write:
confluent-kafka's transactional producer (commit, abort, several partitions, fencing,
timeouts), read_committed / read_uncommitted consumers (confluent-kafka, kcat,
kafka-python), and a kill -9 of the broker with transactions open."""
import time

import pytest
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import kcat, read_to_end

PARTITIONS = 3


def create_topic(bootstrap, name, partitions=PARTITIONS):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def txn_producer(bootstrap, txn_id, **conf):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                  "linger.ms": 2, **conf})
    p.init_transactions(30)
    return p


def produce_txn(p, topic, prefix, n, commit):
    p.begin_transaction()
    for i in range(n):
        p.produce(topic, key=f"{prefix}-{i}", value=f"{prefix}-{i}", partition=i % PARTITIONS)
    if commit:
        p.commit_transaction(30)
    else:
        p.flush(30)
        p.abort_transaction(30)


def expected(prefixes, n):
    """Per partition, the values produce_txn writes for `prefixes`, in order."""
    out = {p: [] for p in range(PARTITIONS)}
    for prefix in prefixes:
        for i in range(n):
            out[i % PARTITIONS].append(f"{prefix}-{i}")
    return out


def values(got):
    return {p: [m.value().decode() for m in msgs] for p, msgs in got.items()}


def committed_and_aborted(broker, topic, n=40):
    create_topic(broker.bootstrap, topic)
    p = txn_producer(broker.bootstrap, f"{topic}-txn")
    produce_txn(p, topic, "c1", n, commit=True)
    produce_txn(p, topic, "a1", n, commit=False)
    produce_txn(p, topic, "c2", n, commit=True)
    produce_txn(p, topic, "a2", n, commit=False)
    return p


def test_confluent_commit_and_abort_over_several_partitions(broker):
    committed_and_aborted(broker, "orders")
    got = values(read_to_end(broker.bootstrap, "orders", range(PARTITIONS),
                             **{"isolation.level": "read_committed"}))
    assert got == expected(["c1", "c2"], 40)
    everything = values(read_to_end(broker.bootstrap, "orders", range(PARTITIONS),
                                    **{"isolation.level": "read_uncommitted"}))
    assert everything == expected(["c1", "a1", "c2", "a2"], 40)


def test_kcat_read_committed_sees_only_committed_records(broker):
    committed_and_aborted(broker, "kc")
    for partition in range(PARTITIONS):
        rc = kcat(broker.bootstrap, "-C", "-t", "kc", "-p", str(partition), "-o", "beginning",
                  "-e", "-q", "-f", "%s\\n", "-X", "isolation.level=read_committed").stdout
        ru = kcat(broker.bootstrap, "-C", "-t", "kc", "-p", str(partition), "-o", "beginning",
                  "-e", "-q", "-f", "%s\\n", "-X", "isolation.level=read_uncommitted").stdout
        assert rc.decode().split() == expected(["c1", "c2"], 40)[partition]
        assert ru.decode().split() == expected(["c1", "a1", "c2", "a2"], 40)[partition]


CONTROL_KEYS = (b"\x00\x00\x00\x00", b"\x00\x00\x00\x01")  # abort, commit markers


def kafka_python_values(bootstrap, topic, read_committed):
    """kafka-python 2.0.2 has no isolation_level option and does not know control batches
    (it hands their records to the application): the fetcher's isolation level is set
    directly, and marker records are dropped here."""
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                      enable_auto_commit=False, consumer_timeout_ms=3000)
    try:
        c._fetcher._isolation_level = 1 if read_committed else 0
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        c.assign(tps)
        c.seek_to_beginning()
        out = {p: [] for p in range(PARTITIONS)}
        for m in c:
            if m.key in CONTROL_KEYS and m.value is not None and len(m.value) == 6:
                continue
            out[m.partition].append(m.value.decode())
        return out
    finally:
        c.close()


def test_kafka_python_isolation_levels(broker):
    create_topic(broker.bootstrap, "kp")
    p = txn_producer(broker.bootstrap, "kp-txn")
    produce_txn(p, "kp", "c1", 30, commit=True)
    p.begin_transaction()
    for i in range(30):
        p.produce("kp", value=f"open-{i}", partition=i % PARTITIONS)
    p.flush(30)
    # read_committed Fetches stop at the last stable offset: the open transaction's
    # records are not served; read_uncommitted ones get them.
    assert kafka_python_values(broker.bootstrap, "kp", True) == expected(["c1"], 30)
    assert kafka_python_values(broker.bootstrap, "kp", False) == expected(["c1", "open"], 30)
    p.commit_transaction(30)
    assert kafka_python_values(broker.bootstrap, "kp", True) == expected(["c1", "open"], 30)


def test_an_open_transaction_holds_read_committed_back_until_it_ends(broker):
    create_topic(broker.bootstrap, "open")
    p = txn_producer(broker.bootstrap, "open-txn")
    produce_txn(p, "open", "c1", 9, commit=True)
    p.begin_transaction()
    for i in range(9):
        p.produce("open", value=f"o-{i}", partition=i % PARTITIONS)
    p.flush(30)
    # An idempotent (non-transactional) producer writes after the open transaction: it is
    # behind the LSO too, as in Kafka.
    plain = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    plain.produce("open", value="plain", partition=0)
    plain.flush(30)
    rc = values(read_to_end(broker.bootstrap, "open", range(PARTITIONS),
                            **{"isolation.level": "read_committed"}))
    assert rc == expected(["c1"], 9)
    p.commit_transaction(30)
    rc = values(read_to_end(broker.bootstrap, "open", range(PARTITIONS),
                            **{"isolation.level": "read_committed"}))
    want = expected(["c1", "o"], 9)
    want[0].append("plain")
    assert rc == want


def test_two_producers_with_one_transactional_id_the_older_is_fenced(broker):
    create_topic(broker.bootstrap, "fence")
    old = txn_producer(broker.bootstrap, "shared-id")
    old.begin_transaction()
    for i in range(6):
        old.produce("fence", value=f"old-{i}", partition=i % PARTITIONS)
    old.flush(30)
    new = txn_producer(broker.bootstrap, "shared-id")  # aborts old's transaction
    produce_txn(new, "fence", "new", 6, commit=True)
    with pytest.raises(KafkaException) as err:
        old.produce("fence", value="late", partition=0)
        old.commit_transaction(30)
    assert err.value.args[0].fatal(), err.value
    assert "fenced" in str(err.value).lower() or "epoch" in str(err.value).lower(), err.value
    rc = values(read_to_end(broker.bootstrap, "fence", range(PARTITIONS),
                            **{"isolation.level": "read_committed"}))
    assert rc == expected(["new"], 6)
    assert "aborts the open transaction" in broker.log()


def test_a_transaction_past_its_timeout_is_aborted_and_its_producer_fenced(broker):
    create_topic(broker.bootstrap, "slow")
    p = txn_producer(broker.bootstrap, "slow-txn", **{"transaction.timeout.ms": 1500})
    p.begin_transaction()
    for i in range(6):
        p.produce("slow", value=f"slow-{i}", partition=i % PARTITIONS)
    p.flush(30)
    time.sleep(3)
    assert "timed out after 1500 ms: aborting it" in broker.log()
    # The LSO moved on without the producer: read_committed readers reach the end.
    rc = values(read_to_end(broker.bootstrap, "slow", range(PARTITIONS), timeout=20,
                            **{"isolation.level": "read_committed"}))
    assert rc == {p: [] for p in range(PARTITIONS)}
    with pytest.raises(KafkaException):
        p.commit_transaction(30)
    # A new producer instance carries on.
    again = txn_producer(broker.bootstrap, "slow-txn")
    produce_txn(again, "slow", "after", 6, commit=True)
    rc = values(read_to_end(broker.bootstrap, "slow", range(PARTITIONS),
                            **{"isolation.level": "read_committed"}))
    assert rc == expected(["after"], 6)


def test_kill9_with_transactions_open_then_restart(broker_factory, tmp_path):
    b = broker_factory(data_dir=tmp_path / "crash")
    create_topic(b.bootstrap, "crash")
    done = txn_producer(b.bootstrap, "crash-done")
    produce_txn(done, "crash", "c1", 30, commit=True)
    produce_txn(done, "crash", "a1", 30, commit=False)
    open_p = txn_producer(b.bootstrap, "crash-open")
    open_p.begin_transaction()
    for i in range(30):
        open_p.produce("crash", value=f"open-{i}", partition=i % PARTITIONS)
    open_p.flush(30)
    done.begin_transaction()  # open, with nothing produced yet
    done.produce("crash", value="late-0", partition=0)
    done.flush(30)
    b.kill9()
    b.start()
    assert "was open at the last stop: aborting it" in b.log()
    rc = values(read_to_end(b.bootstrap, "crash", range(PARTITIONS), timeout=30,
                            **{"isolation.level": "read_committed"}))
    assert rc == expected(["c1"], 30)
    ru = values(read_to_end(b.bootstrap, "crash", range(PARTITIONS), timeout=30,
                            **{"isolation.level": "read_uncommitted"}))
    assert sum(len(v) for v in ru.values()) == 30 * 3 + 1
    # The next InitProducerId of either id works, and so does the next transaction.
    again = txn_producer(b.bootstrap, "crash-open")
    produce_txn(again, "crash", "c2", 30, commit=True)
    rc = values(read_to_end(b.bootstrap, "crash", range(PARTITIONS), timeout=30,
                            **{"isolation.level": "read_committed"}))
    assert rc == expected(["c1", "c2"], 30)
    txn_producer(b.bootstrap, "crash-done")


def test_sluice_transactions_list_and_describe(broker):
    import json
    import subprocess
    from conftest import SLUICE_BIN
    create_topic(broker.bootstrap, "cli")
    p = txn_producer(broker.bootstrap, "cli-open")
    p.begin_transaction()
    p.produce("cli", value="x", partition=2)
    p.flush(30)
    done = txn_producer(broker.bootstrap, "cli-done")
    produce_txn(done, "cli", "c", 3, commit=True)

    def sluice(*args, check=True):
        r = subprocess.run([SLUICE_BIN, "transactions", *args, "-b", broker.bootstrap],
                           capture_output=True, text=True, timeout=60)
        assert not check or r.returncode == 0, r.stderr
        return r

    rows = [json.loads(l) for l in sluice("list", "--json").stdout.splitlines()]
    assert {(r["transactional_id"], r["state"]) for r in rows} == \
        {("cli-open", "Ongoing"), ("cli-done", "CompleteCommit")}
    table = sluice("list", "--state", "Ongoing").stdout.splitlines()
    assert table[0].split() == ["TRANSACTIONAL-ID", "COORDINATOR", "PRODUCER-ID", "STATE"]
    assert [l.split()[0] for l in table[1:]] == ["cli-open"]
    described = json.loads(sluice("describe", "--json", "cli-open").stdout)
    assert described["state"] == "Ongoing" and described["partitions"] == ["cli-2"]
    assert described["start_time_ms"] > 0 and described["producer_epoch"] == 0
    missing = sluice("describe", "nobody", check=False)
    assert missing.returncode == 1 and "no such transactional id" in missing.stderr
    p.abort_transaction(30)
    assert json.loads(sluice("describe", "--json", "cli-open").stdout)["state"] == "CompleteAbort"
