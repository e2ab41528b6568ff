"""`sluice topic create|list|describe|alter|delete` against a real broker."""
import re
import time

from tool_harness import SLUICE_BIN, run


def test_create_list_describe_delete(sluice):
    name = sluice.new_topic(3)
    assert name in sluice("topic", "list").stdout.decode().split("\n")

    sluice("produce", name, "--partition", "1", "-q", input=b"a\nb\nc\n")
    out = sluice("topic", "describe", name).stdout.decode()
    assert f"Topic: {name}\tPartitionCount: 3\tReplicationFactor: 1" in out
    for p in range(3):
        assert re.search(rf"Partition: {p}\tLeader: \d+\tReplicas: \d+\tIsr: \d+", out), out
    assert "Partition: 1\t" in out and "Offsets: 0..3 (3 records)" in out, out
    assert "Offsets: 0..0 (0 records)" in out, out

    assert f"deleted topic {name}" in sluice("topic", "delete", name).stdout.decode()
    deadline = time.time() + 10
    while name in sluice("topic", "list").stdout.decode().split("\n"):
        assert time.time() < deadline, "topic still listed after delete"
        time.sleep(0.2)


def test_create_existing_topic_fails_unless_if_not_exists(sluice):
    name = sluice.new_topic()
    p = sluice("topic", "create", name, check=False)
    assert p.returncode == 1
    assert f"topic '{name}' already exists" in p.stderr.decode()
    assert sluice("topic", "create", name, "--if-not-exists").returncode == 0


def test_unknown_topic_errors(sluice):
    for action in ("describe", "delete"):
        p = sluice("topic", action, "no-such-topic-xyz", check=False)
        assert p.returncode == 1, action
        assert "topic 'no-such-topic-xyz' does not exist" in p.stderr.decode(), p.stderr
    assert sluice("topic", "delete", "no-such-topic-xyz", "--if-exists").returncode == 0


def test_invalid_config_is_reported(sluice):
    p = sluice("topic", "create", "tools-badcfg", "--config", "retention.ms=soon", check=False)
    assert p.returncode == 1
    assert "tools-badcfg" in p.stderr.decode() and "config" in p.stderr.decode().lower(), p.stderr
    assert "tools-badcfg" not in sluice("topic", "list").stdout.decode().split("\n")


def test_create_with_config_and_alter(sluice):
    name = sluice.new_topic(1, "retention.ms=123456")
    out = sluice("topic", "describe", name).stdout.decode()
    assert "retention.ms=123456" in out, out

    sluice("topic", "alter", name, "--config", "segment.bytes=1048576")
    out = sluice("topic", "describe", name).stdout.decode()
    assert "segment.bytes=1048576" in out, out
    assert "retention.ms=123456" in out, "alter must keep the other overrides:\n" + out

    sluice("topic", "alter", name, "--delete-config", "retention.ms")
    out = sluice("topic", "describe", name).stdout.decode()
    assert "retention.ms=123456" not in out, out


def test_alter_adds_partitions(sluice):
    name = sluice.new_topic(1)
    sluice("topic", "alter", name, "--partitions", "4")
    assert "PartitionCount: 4" in sluice("topic", "describe", name).stdout.decode()


def test_unreachable_broker_fails_within_timeout(unused_port):
    for cmd in (["topic", "list"], ["topic", "create", "x"], ["topic", "describe", "x"]):
        start = time.time()
        p = run([SLUICE_BIN, *cmd, "-b", f"127.0.0.1:{unused_port}", "--timeout", "2"],
                check=False, timeout=30)
        assert p.returncode == 1, cmd
        assert time.time() - start < 10, cmd
        err = p.stderr.decode()
        assert f"127.0.0.1:{unused_port}" in err and "Connection refused" in err, err
