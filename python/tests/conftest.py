# SPDX-License-Identifier: Apache-2.0
# Shared fixtures of the Python tests (run by CTest: python/CMakeLists.txt sets PYTHONPATH to
# <build>/python and SFP_EXE to the sfp command).
import os
import subprocess

import numpy as np
import pytest


@pytest.fixture
def sfp_cli():
    """Runs the sfp command; returns its stdout. Fails the test on a non-zero exit."""
    exe = os.environ.get("SFP_EXE")
    if not exe or not os.path.exists(exe):
        pytest.fail("SFP_EXE must name the sfp command (CTest sets it)")

    def run(*args):
        r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        assert r.returncode == 0, f"sfp {' '.join(map(str, args))}: {r.stderr}"
        return r.stdout
    return run


def sample_arrays():
    """Named float32 arrays covering the format's cases."""
    rng = np.random.default_rng(17)
    normal = rng.standard_normal(10_000).astype(np.float32)
    relu = np.maximum(rng.standard_normal((8, 16, 9, 9)), 0).astype(np.float32)
    specials = np.array([0x7FC00001, 0xFF800000, 0x00000001, 0x80000000, 0x7F7FFFFF,
                         0x00000000, 0x3F800000, 0x7F800001] * 40, dtype=np.uint32).view(np.float32)
    wide = (rng.standard_normal(5000) * np.exp2(rng.integers(-60, 60, 5000))).astype(np.float32)
    return {"normal": normal, "relu": relu, "specials": specials, "wide": wide,
            "empty": np.zeros((0, 3), np.float32), "scalar": np.array(2.5, np.float32)}
