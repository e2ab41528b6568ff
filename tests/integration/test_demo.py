"""`sluice demo`: broker, generator, the click-count job and a live consumer of its output,
in one process."""
import signal
import subprocess
import time

from conftest import SLUICE_BIN


def test_demo_prints_click_counts_and_stops_after_its_time(tmp_path):
    p = subprocess.run([SLUICE_BIN, "demo", "--seconds", "3", "--rate", "20",
                        "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d")],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    lines = p.stdout.decode().splitlines()
    assert len(lines) >= 10, lines
    offsets = []
    last = {}
    for line in lines:
        where, key, value = line.split("  ")
        assert where.startswith("output-topic-0@"), line
        prefix = f"User {key} clicked "
        assert value.startswith(prefix) and value.endswith(" times"), line
        count = int(value[len(prefix):-len(" times")])
        assert count == last.get(key, 0) + 1, f"counts rise by one per event: {line}"
        last[key] = count
        offsets.append(int(where.rsplit("@", 1)[1]))
    assert offsets == list(range(len(offsets))), "every result once, in order"
    assert b"stopped cleanly" in p.stderr


def test_demo_stops_cleanly_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([SLUICE_BIN, "demo", "--listen", "127.0.0.1:0",
                             "--data-dir", str(tmp_path / "d")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # wait for the first record
    assert b"output-topic-0@0" in first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"stopped cleanly" in err
