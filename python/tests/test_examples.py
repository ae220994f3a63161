# SPDX-License-Identifier: Apache-2.0
# python/examples/stash_fmnist.py end to end on two steps of the small ViT: the files it writes,
# the lossless stash training exactly as FP32 does, and the aggregation over seeds.
import json
import os
import pathlib
import statistics
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
DATA = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(scope="module")
def vit_run(tmp_path_factory):
    if not os.path.exists(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")):
        pytest.skip(f"no Fashion-MNIST in {DATA} (scripts/deps.sh train)")
    out = tmp_path_factory.mktemp("stash")
    r = subprocess.run([sys.executable, str(EXAMPLES / "stash_fmnist.py"), "--nets", "vit",
                        "--seeds", "3,4", "--steps", "2", "--batch", "16", "--threads", "1",
                        "--test-images", "100", "--probe-steps", "1", "--bitchop-period", "1",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text()), r.stdout


def test_example_writes_the_table_json_and_plot(vit_run):
    out, doc, stdout = vit_run
    table = (out / "table.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ViT")]
    assert [row.split("|")[2].strip() for row in rows] == ["fp32", "lossless", "qm", "bitchop"]
    assert table.splitlines()[0] in stdout
    assert (out / "stash.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for seed in ("3", "4"):
        for kind, r in doc["runs"]["vit"][seed].items():
            assert len(r["stored_bytes"]) == len(r["times"]) == len(r["losses"]) == 2, kind
    for kind, r in doc["runs"]["vit"]["3"].items():  # the memory probes run for the first seed
        assert r["own_peak_rss"] > r["own_base_rss"] > 0, kind


def test_lossless_stash_trains_as_fp32_does(vit_run):
    _, doc, _ = vit_run
    for seed in ("3", "4"):
        runs = doc["runs"]["vit"][seed]
        assert runs["lossless"]["losses"] == runs["fp32"]["losses"]
        assert runs["lossless"]["acc"] == runs["fp32"]["acc"]
        # The lossless stash keeps fewer bytes than FP32; the policies (at 4 bits or below)
        # fewer than the lossless stash.
        fp32 = runs["fp32"]["fp32_bytes"]
        assert runs["lossless"]["stored_mean"] < fp32
        assert runs["qm"]["stored_mean"] < runs["lossless"]["stored_mean"]
        assert runs["bitchop"]["stored_mean"] < runs["lossless"]["stored_mean"]
        # BitChop's controller fed FP32's losses: one bitlength per step, within its bounds.
        replay = runs["bitchop"]["replay_bits"]
        assert len(replay) == 2 and all(3 <= b <= 23 for b in replay)


def test_summary_is_mean_min_max_over_the_seeds(vit_run):
    _, doc, _ = vit_run
    runs = doc["runs"]["vit"]
    for kind, s in doc["summary"]["vit"].items():
        acc = [runs[seed][kind]["acc"] for seed in ("3", "4")]
        assert s["acc"] == {"mean": statistics.mean(acc), "min": min(acc), "max": max(acc)}
        ratio = [runs[seed][kind]["fp32_bytes"] / runs[seed][kind]["stored_mean"]
                 for seed in ("3", "4")]
        assert s["bytes_ratio_mean"]["min"] == min(ratio)
        assert s["bytes_ratio_mean"]["max"] == max(ratio)
        t = [runs[seed][kind]["step_ms"] / runs[seed]["fp32"]["step_ms"] for seed in ("3", "4")]
        assert s["time_ratio"]["mean"] == pytest.approx(statistics.mean(t))
