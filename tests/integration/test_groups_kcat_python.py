"""One consumer group of different clients against a real `sluice broker`: a 6-partition topic
read by three `kcat -G` members (librdkafka) and one kafka-python KafkaConsumer, while a
producer keeps writing.

- every partition has exactly one owner at a time (the group as DescribeGroups reports it,
  through `sluice groups describe`);
- `kill -9` of one member: its partitions move to the others once its session times out;
- every record produced is consumed at least once, none is lost;
- after all consumers and then the broker restart (same data dir), a new set of members
  resumes from the committed offsets: nothing before them is read again."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from confluent_kafka import Producer

from conftest import KCAT, SLUICE_BIN, run

TOPIC = "clicks6"
GROUP = "mixed-group"
PARTITIONS = 6
SESSION_MS = 6000
# After the session of a killed member times out, the others learn of the rebalance at their
# next heartbeat and join again: a few heartbeat intervals on an idle 2-core machine.
REBALANCE_SLACK_S = 4.0
COMMON = {"session.timeout.ms": str(SESSION_MS), "heartbeat.interval.ms": "500",
          "auto.offset.reset": "earliest", "enable.auto.commit": "true",
          "auto.commit.interval.ms": "300"}

# A kafka-python member: prints "partition offset value" per record, commits automatically,
# leaves the group on SIGTERM.
KAFKA_PYTHON_MEMBER = r"""
import signal, sys
from kafka import KafkaConsumer
bootstrap, group, topic, session_ms = sys.argv[1:5]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                  client_id="kafka-python-member", session_timeout_ms=int(session_ms),
                  heartbeat_interval_ms=500, auto_offset_reset="earliest",
                  enable_auto_commit=True, auto_commit_interval_ms=300)
while not stop:
    for tp, records in c.poll(timeout_ms=200).items():
        for r in records:
            sys.stdout.write(f"{r.partition} {r.offset} {r.value.decode()}\n")
    sys.stdout.flush()
c.close()  # commits, then leaves the group
sys.stdout.flush()
"""


class Member:
    """A consumer process whose stdout ("partition offset value" lines) goes to a file."""

    def __init__(self, tmp_path, name, cmd):
        self.name = name
        self.out_path = tmp_path / f"{name}.out"
        self.err_path = tmp_path / f"{name}.err"
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err)

    def records(self):
        """[(partition, offset, value)] printed so far (complete lines only)."""
        text = self.out_path.read_bytes().decode()
        lines = text.split("\n")[:-1]
        return [(int(p), int(o), v) for p, o, v in (l.split(" ", 2) for l in lines)]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not stop within {timeout}s on {sig}:\n"
                                     f"{self.err_path.read_text(errors='replace')[-2000:]}")
        self.out.close()
        self.err.close()


def kcat_member(tmp_path, broker, name):
    props = [x for k, v in {**COMMON, "client.id": name}.items() for x in ("-X", f"{k}={v}")]
    return Member(tmp_path, name, [KCAT, "-b", broker.bootstrap, "-G", GROUP, "-q", "-u",
                                   "-f", "%p %o %s\\n", *props, TOPIC])


def python_member(tmp_path, broker, name="kafka-python-member"):
    return Member(tmp_path, name, [sys.executable, "-c", KAFKA_PYTHON_MEMBER, broker.bootstrap,
                                   GROUP, TOPIC, str(SESSION_MS)])


class ContinuousProducer:
    """Writes "r-N" records round-robin over the partitions from a thread until stopped;
    keeps what was acknowledged."""

    def __init__(self, bootstrap, prefix, interval=0.01):
        self.acked = {}  # value -> (partition, offset)
        self.failed = []
        self.prefix = prefix
        self.interval = interval
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "linger.ms": 5})
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _report(self, err, msg):
        if err is not None:
            self.failed.append((msg.value(), err))
        else:
            self.acked[msg.value().decode()] = (msg.partition(), msg.offset())

    def _run(self):
        n = 0
        while not self._stop.is_set():
            self.producer.produce(TOPIC, value=f"{self.prefix}-{n}".encode(),
                                  partition=n % PARTITIONS, on_delivery=self._report)
            self.producer.poll(0)
            n += 1
            time.sleep(self.interval)

    def stop(self):
        self._stop.set()
        self.thread.join()
        assert self.producer.flush(30) == 0
        assert not self.failed, f"deliveries failed: {self.failed[:5]}"
        return self.acked


def describe(broker):
    p = run([SLUICE_BIN, "groups", "-b", broker.bootstrap, "--timeout", "5", "describe", GROUP,
             "--json"], check=False, timeout=30)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def owners(desc):
    """{partition: [member ids assigned it]} for TOPIC."""
    out = {}
    for m in desc["members"]:
        for a in m["assignment"]:
            if a["topic"] == TOPIC:
                out.setdefault(a["partition"], []).append(m["member_id"])
    return out


class OwnershipWatch:
    """Polls the group from a thread; records any moment where a partition had two owners."""

    def __init__(self, broker):
        self.broker = broker
        self.violations = []
        self.samples = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.is_set():
            d = describe(self.broker)
            if d is not None:
                self.samples += 1
                for p, ms in owners(d).items():
                    if len(ms) > 1:
                        self.violations.append((d["state"], p, ms))
            time.sleep(0.3)

    def stop(self):
        self._stop.set()
        self.thread.join()


def wait_stable(broker, n_members, timeout, exclude=()):
    """Waits until the group is Stable with n_members, every partition owned by exactly one of
    them and none by a member in `exclude`; returns the description."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        d = describe(broker)
        last = d
        if d and d["state"] == "Stable" and len(d["members"]) == n_members:
            own = owners(d)
            ids = {m["member_id"] for m in d["members"]}
            if (sorted(own) == list(range(PARTITIONS)) and
                    all(len(v) == 1 for v in own.values()) and not ids & set(exclude)):
                return d
        time.sleep(0.2)
    raise AssertionError(f"group not stable with {n_members} members within {timeout}s: {last}")


def wait_consumed(members, values, timeout):
    deadline = time.time() + timeout
    missing = set(values)
    while time.time() < deadline:
        seen = {v for m in members for _, _, v in m.records()}
        missing = set(values) - seen
        if not missing:
            return
        time.sleep(0.3)
    raise AssertionError(f"{len(missing)} records never consumed, e.g. {sorted(missing)[:5]}")


def wait_no_lag(broker, timeout):
    deadline = time.time() + timeout
    d = None
    while time.time() < deadline:
        d = describe(broker)
        if d and len(d["partitions"]) == PARTITIONS and all(
                p["lag"] == 0 for p in d["partitions"]):
            return d
        time.sleep(0.3)
    raise AssertionError(f"the group's commits did not reach the log end within {timeout}s: {d}")


def test_kill9_rebalance_and_resume_after_restart(broker_factory, tmp_path):
    broker = broker_factory()
    run([SLUICE_BIN, "topic", "-b", broker.bootstrap, "create", TOPIC, "-p", str(PARTITIONS)])
    producer = ContinuousProducer(broker.bootstrap, "a")
    members = [kcat_member(tmp_path, broker, f"kcat-{i}") for i in range(3)]
    members.append(python_member(tmp_path, broker))
    all_members = list(members)
    watch = OwnershipWatch(broker)
    try:
        desc = wait_stable(broker, 4, timeout=60)
        clients = sorted(m["client_id"] for m in desc["members"])
        assert clients == ["kafka-python-member", "kcat-0", "kcat-1", "kcat-2"]
        assert all(m["assignment"] for m in desc["members"]), desc  # 6 partitions, 4 members
        time.sleep(2)  # records flow to every member

        # kill -9 a kcat member: no LeaveGroup, the broker must notice the silence.
        victim = next(m for m in desc["members"] if m["client_id"] == "kcat-1")
        moved = sorted(a["partition"] for a in victim["assignment"])
        killed = members.pop(1)
        t0 = time.time()
        killed.stop(signal.SIGKILL)
        desc = wait_stable(broker, 3, timeout=SESSION_MS / 1000 + 30,
                           exclude={victim["member_id"]})
        elapsed = time.time() - t0
        own = owners(desc)
        assert all(own[p][0] != victim["member_id"] for p in moved)
        assert elapsed <= SESSION_MS / 1000 + REBALANCE_SLACK_S, \
            f"partitions {moved} of the killed member moved after {elapsed:.1f}s"
        print(f"partitions {moved} of the killed member moved after {elapsed:.1f}s")
        time.sleep(2)  # the survivors read the moved partitions while the producer goes on
    finally:
        phase1 = producer.stop()
        watch.stop()

    assert watch.samples > 10
    assert not watch.violations, f"partitions with two owners: {watch.violations[:5]}"
    assert len(phase1) > 500
    wait_consumed(all_members, phase1, timeout=30)
    committed_at_stop = {p["partition"]: p["committed_offset"]
                         for p in wait_no_lag(broker, timeout=30)["partitions"]}
    ends = {}
    for part, off in phase1.values():
        ends[part] = max(ends.get(part, -1), off + 1)
    assert committed_at_stop == ends

    # Every consumer leaves, then the broker restarts on the same data dir and port.
    for m in members:
        m.stop()
    d = describe(broker)
    assert d["state"] == "Empty" and d["members"] == []
    port, data_dir = broker.port, broker.data_dir
    assert broker.stop() == 0
    broker = broker_factory(data_dir=data_dir, port=port)
    d = describe(broker)
    assert d is not None and d["state"] == "Empty"
    assert {p["partition"]: p["committed_offset"] for p in d["partitions"]} == committed_at_stop

    # New members (two kcat, one kafka-python) resume at the committed offsets.
    more = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    phase2 = [f"b-{i}" for i in range(60)]
    for i, v in enumerate(phase2):
        more.produce(TOPIC, value=v.encode(), partition=i % PARTITIONS)
    assert more.flush(30) == 0
    resumed = [kcat_member(tmp_path, broker, f"kcat-after-{i}") for i in range(2)]
    resumed.append(python_member(tmp_path, broker, "kafka-python-after"))
    try:
        wait_consumed(resumed, phase2, timeout=60)
        records = [r for m in resumed for r in m.records()]
        before = [r for r in records if r[1] < committed_at_stop[r[0]]]
        assert not before, f"records before the committed offsets read again: {before[:5]}"
        assert sorted(v for _, _, v in records) == sorted(phase2)
    finally:
        for m in resumed:
            m.stop()
