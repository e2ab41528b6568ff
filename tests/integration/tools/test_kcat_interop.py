"""Cross-checks with kcat (a separate librdkafka program): what one writes, the other reads."""
import shutil
import subprocess

import pytest

from tool_harness import parse_json_lines

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat not installed")


def kcat(bootstrap, *args, input=None):
    p = subprocess.run(["kcat", "-b", bootstrap, "-q", *args], input=input,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_kcat_produces_sluice_consumes(sluice, codec):
    topic = sluice.new_topic(2)
    pairs = [(b"k%d" % (i % 13), b"value %d \"q\" \\ \xc3\xbc" % i) for i in range(2000)]
    kcat(sluice.bootstrap, "-P", "-t", topic, "-K", "\t", "-z", codec, "-H", "src=kcat",
         input=b"".join(k + b"\t" + v + b"\n" for k, v in pairs))
    records = parse_json_lines(sluice("consume", topic, "--from-beginning", "-e", "-q",
                                      "-F", "json").stdout)
    assert sorted((r["key"], r["value"]) for r in records) == sorted(pairs)
    assert all(r["headers"] == [(b"src", b"kcat")] for r in records)
    for part in {r["partition"] for r in records}:
        values = [int(r["value"].split()[1]) for r in records if r["partition"] == part]
        assert values == sorted(values)


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_sluice_produces_kcat_consumes(sluice, codec):
    topic = sluice.new_topic(2)
    pairs = [(b"k%d" % (i % 13), b"value-%d" % i) for i in range(2000)]
    sluice("produce", topic, "-K", ":", "-z", codec, "-H", "src=sluice", "-q",
           input=b"".join(k + b":" + v + b"\n" for k, v in pairs))
    out = kcat(sluice.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e",
               "-f", "%p|%o|%k|%s|%h\n")
    rows = [line.split(b"|") for line in out.splitlines()]
    assert sorted((k, v) for _, _, k, v, _ in rows) == sorted(pairs)
    assert all(h == b"src=sluice" for *_, h in rows)
    for part in {p for p, *_ in rows}:
        offsets = [int(o) for p, o, *_ in rows if p == part]
        assert offsets == list(range(len(offsets)))
