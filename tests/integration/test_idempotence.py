"""Idempotent producers with a real client: librdkafka (confluent-kafka) with
enable.idempotence=true, through a TCP proxy in this test that cuts every connection every
few hundred milliseconds, ends with every record exactly once and in order; and a batch the
broker appended but whose acknowledgement never arrived, retried by librdkafka after the
broker restarted (SIGTERM, then kill -9), is deduplicated: acknowledged with its original
offsets and stored once.

The broker advertises 127.0.0.2 (--advertised-host) on its own port; the proxy listens
there and forwards to 127.0.0.1, so every connection a client opens after the bootstrap one
goes through the proxy too."""
import random
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from conftest import free_port, read_to_end
from confluent_kafka import Producer

PROXY_HOST = "127.0.0.2"


class CuttingProxy:
    """Forwards PROXY_HOST:port to 127.0.0.1:port. cut() closes every open connection (both
    sides, wherever their bytes are); with cut_every=(lo, hi) a thread does so every lo..hi
    seconds. With swallow_responses set, bytes from the broker are dropped, as if the
    broker died after appending and before answering; response_delay holds them back for
    that many seconds first (a slow network: more cuts land between append and answer)."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.conns = set()
        self.accepted = 0
        self.cuts = 0
        self.swallow_responses = False
        self.response_delay = 0.0
        self.stopping = threading.Event()
        self.cutting = threading.Event()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((PROXY_HOST, port))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.threads = [threading.Thread(target=self._accept_loop, daemon=True),
                        threading.Thread(target=self._cut_loop, daemon=True)]
        for t in self.threads:
            t.start()
        self.cut_every = (0.2, 0.5)

    def start_cutting(self, lo=0.2, hi=0.5):
        self.cut_every = (lo, hi)
        self.cutting.set()

    def stop_cutting(self):
        self.cutting.clear()

    def cut(self):
        with self.lock:
            conns, self.conns = self.conns, set()
            if conns:
                self.cuts += 1
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.stopping.set()
        self.cut()
        for t in self.threads:
            t.join(5)
        self.listener.close()

    def _cut_loop(self):
        while not self.stopping.is_set():
            if self.cutting.is_set():
                time.sleep(random.uniform(*self.cut_every))
                if self.cutting.is_set():
                    self.cut()
            else:
                time.sleep(0.05)

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            except OSError:  # broker down: the client sees a closed connection and retries
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.accepted += 1
                self.conns.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src, dst, from_broker):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_broker and self.swallow_responses:
                    continue
                if from_broker and self.response_delay:
                    time.sleep(self.response_delay)
                dst.sendall(data)
        except OSError:
            pass
        # One side ended: end both, as a connection cut would.
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            self.conns.discard(src)
            self.conns.discard(dst)


@pytest.fixture
def proxied_broker(broker_factory, tmp_path):
    """(broker, proxy): a broker advertising the proxy's address, and the proxy."""
    port = free_port()
    proxy = CuttingProxy(port)
    broker = broker_factory(extra_args=["--advertised-host", PROXY_HOST, "--log-level", "debug",
                                        "--partitions", "3"],
                            port=port)
    yield broker, proxy
    proxy.close()


def idempotent_producer(bootstrap, **extra):
    conf = {"bootstrap.servers": bootstrap, "enable.idempotence": True,
            "client.id": "idempotence-test", "linger.ms": 5, "batch.num.messages": 200,
            "message.timeout.ms": 300000, "request.timeout.ms": 10000,
            "reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 200,
            "retry.backoff.ms": 20, "log_level": 3}
    conf.update(extra)
    return Producer(conf)


def produce_numbered(p, topic, numbers, partitions, reports, pace=None):
    """Record n goes to partition n % partitions with value b"%08d" % n. With pace=(k, s):
    a pause of s seconds after every k records, so that the sending spans many cuts."""
    for i, n in enumerate(numbers):
        if pace and i and i % pace[0] == 0:
            time.sleep(pace[1])
            p.poll(0)
        while True:
            try:
                p.produce(topic, value=b"%08d" % n, partition=n % partitions,
                          on_delivery=lambda err, msg, n=n: reports.append(
                              (n, err, msg.partition(), msg.offset())))
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)


def read_partitions(bootstrap, topic, partitions, timeout=120):
    """{partition: [(offset, value), ...]} from the beginning to the end."""
    got = read_to_end(bootstrap, topic, partitions, timeout)
    return {p: [(m.offset(), m.value()) for m in msgs] for p, msgs in got.items()}


def log_end_offset(data_dir, topic, partition):
    """The log end offset as the partition's segment files say (not asking the broker)."""
    end = 0
    for path in sorted((Path(data_dir) / f"{topic}-{partition}").glob("*.log")):
        data = path.read_bytes()
        pos = 0
        while len(data) - pos >= 61:
            base_offset, length = struct.unpack_from(">qi", data, pos)
            (last_delta,) = struct.unpack_from(">i", data, pos + 23)
            if pos + 12 + length > len(data):
                break
            end = base_offset + last_delta + 1
            pos += 12 + length
    return end


def test_every_record_exactly_once_and_in_order_through_a_cutting_proxy(proxied_broker):
    broker, proxy = proxied_broker
    topic, partitions, total = "idem-cut", 3, 20000
    bootstrap = f"{PROXY_HOST}:{broker.port}"
    reports = []
    p = idempotent_producer(bootstrap)
    proxy.response_delay = 0.03
    proxy.start_cutting(0.15, 0.45)
    started = time.time()
    produce_numbered(p, topic, range(total), partitions, reports, pace=(60, 0.05))
    remaining = p.flush(240)
    elapsed = time.time() - started
    proxy.stop_cutting()
    assert remaining == 0, f"{remaining} records undelivered after {elapsed:.0f}s"
    errors = [r for r in reports if r[1] is not None]
    assert errors == [], f"delivery errors: {errors[:5]}"
    assert len(reports) == total
    assert proxy.cuts >= 5, f"only {proxy.cuts} cuts in {elapsed:.1f}s"

    got = read_partitions(bootstrap, topic, list(range(partitions)))
    for part in range(partitions):
        values = [int(v) for _, v in got[part]]
        expected = list(range(part, total, partitions))
        dupes = len(values) - len(set(values))
        assert values == expected, (
            f"partition {part}: {len(values)} records, {dupes} duplicates, "
            f"first difference at {next((i for i, (a, b) in enumerate(zip(values, expected)) if a != b), None)}")
        assert [o for o, _ in got[part]] == list(range(len(expected)))
    # The delivery reports name the offsets the records are at.
    for n, _, part, offset in reports:
        assert part == n % partitions and offset == n // partitions
    retried = broker.log().count("retried the batch")
    assert retried > 0, "no cut fell between an append and its acknowledgement"
    print(f"{total} records in {elapsed:.1f}s through {proxy.accepted} connections, "
          f"{proxy.cuts} cuts, {retried} retried batches deduplicated")


@pytest.mark.parametrize("restart", ["sigterm", "kill9"])
def test_a_batch_retried_after_a_broker_restart_is_deduplicated(proxied_broker, restart,
                                                                broker_factory):
    broker, proxy = proxied_broker
    topic = f"idem-restart-{restart}"
    bootstrap = f"{PROXY_HOST}:{broker.port}"
    reports = []
    p = idempotent_producer(bootstrap, **{"linger.ms": 50})
    produce_numbered(p, topic, range(0, 300, 3), 3, reports)  # all to partition 0
    assert p.flush(60) == 0
    assert [r[1] for r in reports] == [None] * 100

    # The broker appends the next records but its answers never reach the producer.
    proxy.swallow_responses = True
    produce_numbered(p, topic, range(300, 450, 3), 3, reports)
    deadline = time.time() + 30
    while log_end_offset(broker.data_dir, topic, 0) < 150 and time.time() < deadline:
        p.poll(0.05)
    assert log_end_offset(broker.data_dir, topic, 0) == 150
    assert len(reports) == 100, "no acknowledgement may have reached the producer"

    if restart == "kill9":
        broker.kill9()
    else:
        assert broker.stop() == 0
    proxy.cut()
    proxy.swallow_responses = False
    broker.start()  # same port and data dir

    # librdkafka retries the unacknowledged batch(es) with the same sequence numbers.
    assert p.flush(120) == 0
    late = sorted(r for r in reports if r[0] >= 300)
    assert [r[1] for r in late] == [None] * 50, late[:3]
    assert [r[3] for r in late] == list(range(100, 150)), "acknowledged with the original offsets"
    got = read_partitions(bootstrap, topic, [0])
    assert [int(v) for _, v in got[0]] == list(range(0, 450, 3))

    # And the producer goes on in sequence after the restart.
    produce_numbered(p, topic, range(450, 480, 3), 3, reports)
    assert p.flush(60) == 0
    assert sorted(r[3] for r in reports if r[0] >= 450) == list(range(150, 160))
    assert log_end_offset(broker.data_dir, topic, 0) == 160
    assert "retried the batch" in broker.log()
