"""click-windows (JOBS.md, seed 003) end to end through the embedded broker. The test writes
clicks itself to three partitions (each in time order apart from disorder under the 20 s
bound, so no click is late whatever the interleaving of partitions), plus a few bad records,
runs `sluice run click-windows --bounded` at parallelism 2 with its own urls.csv, and compares
the three outputs with windows computed here:
- counts: per url per 5 s tumbling window;
- total: every click in 10 s windows sliding by 5 s;
- stdout: per category (urls.csv, `unknown` for urls missing from it) per 1-minute window."""
import json
import random
from collections import Counter

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

BASE_MS = 1716467640000  # 2024-05-23T12:34:00Z
URLS = ["/a", "/b", "/c", "/d", "/e", "/f"]
URLS_CSV = 'url,category,title\n/a,home,Home\n/b,shop,"Shop, all products"\n/c,shop,Basket\n/d,help,Help\n'
CATEGORY = {"/a": "home", "/b": "shop", "/c": "shop", "/d": "help"}  # /e and /f: unknown


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def produce_clicks(bootstrap, topic, partitions, per_partition, seed):
    """Returns (clicks as (ts, url), bad values)."""
    rnd = random.Random(seed)
    clicks, bad = [], []
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for part in range(partitions):
        for i in range(per_partition):
            now = BASE_MS + i * 37 + part * 11
            ts = now - rnd.randrange(15_000) if rnd.random() < 0.3 else now
            url = rnd.choice(URLS)
            user = f"u{rnd.randrange(20)}"
            if rnd.random() < 0.005:
                value = rnd.choice([f'{{"ts":{ts},"url":"{url}","us', f'{{"ts":"soon","url":"{url}","userId":"{user}"}}',
                                    f'{{"ts":{ts},"userId":"{user}"}}'])
                bad.append(value)
            else:
                value = json.dumps({"ts": ts, "url": url, "userId": user})
                clicks.append((ts, url))
            p.produce(topic, value=value.encode(), key=user.encode(), partition=part)
    assert p.flush(60) == 0
    return clicks, bad


def read_json(bootstrap, topic):
    return [json.loads(m.value()) for ms in read_to_end(bootstrap, topic, [0]).values() for m in ms]


def test_counts_total_and_categories_equal_the_reference(broker, tmp_path):
    create_topic(broker.bootstrap, "clicks", 3)
    clicks, bad = produce_clicks(broker.bootstrap, "clicks", 3, 4000, seed=7)
    urls = tmp_path / "urls.csv"
    urls.write_text(URLS_CSV)

    p = run([SLUICE_BIN, "run", "click-windows", "--bootstrap-servers", broker.bootstrap, "--bounded",
             "--starting-offsets", "earliest", "-p", "2", "--urls", str(urls),
             "--counts-topic", "counts", "--total-topic", "total", "--dlq", "clicks-dlq"], timeout=300)

    expected_counts = Counter((url, ts - ts % 5000) for ts, url in clicks)
    got_counts = {}
    for r in read_json(broker.bootstrap, "counts"):
        assert list(r) == ["url", "count", "windowStart", "windowEnd"], r
        assert r["windowEnd"] - r["windowStart"] == 5000 and r["windowStart"] % 5000 == 0, r
        assert (r["url"], r["windowStart"]) not in got_counts, f"window fired twice: {r}"
        got_counts[(r["url"], r["windowStart"])] = r["count"]
    assert got_counts == dict(expected_counts)

    expected_total = Counter()
    for ts, _ in clicks:
        last = ts - ts % 5000
        expected_total[last] += 1
        expected_total[last - 5000] += 1
    got_total = {}
    for r in read_json(broker.bootstrap, "total"):
        assert list(r) == ["count", "windowStart", "windowEnd"], r
        assert r["windowEnd"] - r["windowStart"] == 10_000, r
        assert r["windowStart"] not in got_total, f"window fired twice: {r}"
        got_total[r["windowStart"]] = r["count"]
    assert got_total == dict(expected_total)

    expected_categories = Counter((CATEGORY.get(url, "unknown"), ts - ts % 60_000) for ts, url in clicks)
    got_categories = {}
    for line in p.stdout.decode().splitlines():
        r = json.loads(line)
        assert list(r) == ["category", "count", "windowStart", "windowEnd"], line
        assert r["windowEnd"] - r["windowStart"] == 60_000, r
        assert (r["category"], r["windowStart"]) not in got_categories, f"window fired twice: {line}"
        got_categories[(r["category"], r["windowStart"])] = r["count"]
    assert got_categories == dict(expected_categories)
    assert {c for c, _ in got_categories} == {"home", "shop", "help", "unknown"}

    dlq = read_to_end(broker.bootstrap, "clicks-dlq", [0])[0]
    assert sorted(m.value().decode() for m in dlq) == sorted(bad)
    for m in dlq:
        assert dict(m.headers() or []).get("error"), m.value()


def test_help_and_a_bad_urls_file(tmp_path):
    out = run([SLUICE_BIN, "run", "click-windows", "--help"]).stdout.decode()
    for flag in ("--urls", "--counts-topic", "--total-topic", "--max-out-of-orderness", "--bootstrap-servers"):
        assert flag in out, flag
    bad = tmp_path / "urls.csv"
    bad.write_text("url,category,title\n/a\n")
    p = run([SLUICE_BIN, "run", "click-windows", "--urls", str(bad), "--bootstrap-servers", "127.0.0.1:1"],
            check=False, timeout=120)
    assert p.returncode != 0 and b"line 2" in p.stderr, p.stderr[-2000:]
