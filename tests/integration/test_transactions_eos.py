"""Exactly-once consume-transform-produce with confluent-kafka against a real `sluice
broker`: a worker process reads `in` (read_committed), writes each record's result to
`out` and commits its input offsets with send_offsets_to_transaction, all in one
transaction per batch. It is killed with SIGKILL at 20 random moments and restarted; at
the end the read_committed output holds each input's result exactly once, in order."""
import os
import random
import signal
import subprocess
import sys
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import read_to_end

PARTITIONS = 3
RECORDS = 6000
KILLS = 20

WORKER = r'''
import sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap, until_done = sys.argv[1], sys.argv[2] == "1"
producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "eos-worker",
                     "linger.ms": 1})
producer.init_transactions(30)  # fences and aborts what a killed instance left open
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "eos",
                     "isolation.level": "read_committed", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "enable.partition.eof": True})
parts = [TopicPartition("in", p) for p in range(3)]
committed = consumer.committed(parts, timeout=30)
consumer.assign(committed)  # offsets as committed by the last transaction (or earliest)
print("ready", [tp.offset for tp in committed], flush=True)
eof = set()
while True:
    msgs = consumer.consume(num_messages=25, timeout=0.5)
    data = []
    for m in msgs:
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
                continue
            raise RuntimeError(m.error())
        eof.discard(m.partition())
        data.append(m)
    if not data:
        if until_done and len(eof) == 3:
            break
        continue
    producer.begin_transaction()
    for m in data:
        producer.produce("out", key=m.key(), value=m.value() + b"-processed",
                         partition=m.partition())
    producer.flush(30)
    time.sleep(0.01)  # a window in which a kill leaves the transaction open
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                         consumer.consumer_group_metadata(), 30)
    producer.commit_transaction(30)
print("done", flush=True)
'''


def test_consume_transform_produce_is_exactly_once_across_20_kills(broker, tmp_path):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for f in admin.create_topics([NewTopic("in", PARTITIONS, 1),
                                  NewTopic("out", PARTITIONS, 1)]).values():
        f.result(30)
    p = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True,
                  "linger.ms": 5})
    for k in range(RECORDS):
        p.produce("in", key=str(k), value=f"i-{k}", partition=k % PARTITIONS)
    p.flush(60)

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    rng = random.Random(int(os.environ.get("SLUICE_EOS_SEED", "4")))
    log = open(tmp_path / "worker.log", "ab")

    def start(until_done):
        return subprocess.Popen([sys.executable, str(script), broker.bootstrap,
                                 "1" if until_done else "0"], stdout=log, stderr=log)

    started = time.time()
    for _ in range(KILLS):
        w = start(False)
        time.sleep(rng.uniform(0.5, 2.5))
        assert w.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        w.send_signal(signal.SIGKILL)
        w.wait()
    w = start(True)
    assert w.wait(timeout=120) == 0, (tmp_path / "worker.log").read_text()[-3000:]
    log.close()
    assert time.time() - started < 90

    inputs = read_to_end(broker.bootstrap, "in", range(PARTITIONS))
    out = read_to_end(broker.bootstrap, "out", range(PARTITIONS),
                      **{"isolation.level": "read_committed"})
    for part in range(PARTITIONS):
        want = [m.value() + b"-processed" for m in inputs[part]]
        got = [m.value() for m in out[part]]
        assert len(got) == len(want), f"partition {part}: {len(got)} results of {len(want)} inputs"
        assert got == want, f"partition {part}: duplicates or gaps in the committed output"
    # The kills did land inside transactions: their records are in the log, aborted.
    everything = read_to_end(broker.bootstrap, "out", range(PARTITIONS),
                             **{"isolation.level": "read_uncommitted"})
    assert sum(len(v) for v in everything.values()) > RECORDS
    assert broker.log().count("aborts the open transaction") >= 1
