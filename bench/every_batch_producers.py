#!/usr/bin/python3
"""Many small acks=all producers against `sluice broker --flush every-batch`: what group
commit is for. Starts the broker (--sluice PATH) on a free port with a fresh data dir, runs
--producers processes, each a confluent-kafka Producer (acks=all, linger.ms=0, 100 B values,
its own connection) producing as fast as it is acknowledged (--in-flight records unacked at
most) for --seconds; prints acknowledged records/s and the produce-to-ack latency p50/p99,
and the disk's floor: 4 KiB appends + fdatasync back to back in the same directory."""
import argparse, multiprocessing as mp, os, shutil, socket, subprocess, tempfile, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def producer(bootstrap, topic, seconds, in_flight, out):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
    lat, errors = [], [0]
    value = b"x" * 100

    def done(err, msg, t0):
        if err:
            errors[0] += 1
        else:
            lat.append(time.monotonic() - t0)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if len(p) >= in_flight:
            p.poll(0.001)
            continue
        t0 = time.monotonic()
        p.produce(topic, value=value, on_delivery=lambda e, m, t0=t0: done(e, m, t0))
        p.poll(0)
    p.flush(60)
    out.put((lat, errors[0]))


def fdatasync_rate(directory, seconds=2.0):
    path = os.path.join(directory, "floor.bin")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND)
    n, buf, end = 0, b"\0" * 4096, time.monotonic() + seconds
    while time.monotonic() < end:
        os.write(fd, buf)
        os.fdatasync(fd)
        n += 1
    os.close(fd)
    os.unlink(path)
    return n / seconds


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--sluice", required=True)
    a.add_argument("--producers", type=int, default=8)
    a.add_argument("--in-flight", type=int, default=5)
    a.add_argument("--seconds", type=float, default=5)
    a.add_argument("--flush", default="every-batch")
    o = a.parse_args()
    d = tempfile.mkdtemp(prefix="gc-bench-")
    port = free_port()
    broker = subprocess.Popen([o.sluice, "broker", "--listen", f"127.0.0.1:{port}", "--data-dir",
                               d + "/data", "--flush", o.flush], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        bootstrap = f"127.0.0.1:{port}"
        subprocess.run(["kcat", "-b", bootstrap, "-L", "-t", "gc"], capture_output=True)  # create
        floor = fdatasync_rate(d)
        q = mp.Queue()
        procs = [mp.Process(target=producer, args=(bootstrap, "gc", o.seconds, o.in_flight, q))
                 for _ in range(o.producers)]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
        wall = time.monotonic() - t0
        lat = sorted(x for r, _ in results for x in r)
        errors = sum(e for _, e in results)
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
        print(f"RESULT every_batch_producers producers={o.producers} in_flight={o.in_flight} "
              f"acked_per_s={len(lat) / wall:.0f} p50_ms={pct(0.5):.1f} p99_ms={pct(0.99):.1f} "
              f"errors={errors} fdatasync_per_s={floor:.0f} "
              f"acked_per_fdatasync={len(lat) / wall / floor:.2f}")
    finally:
        broker.terminate()
        broker.wait(30)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
