"""The workflow's `environment` rule (Snakemake `script:`): results/<experiment>/environment.json, what
software ran the experiment: the axnn build (its programs' --version), the Python packages of the
environment Snakemake runs in (with the hash of the lock file they were installed from), the Debian
packages axnn builds against, and the machine. Every artifact also records its own LibTorch, HDF5,
MPI and kernel path (created_by.environment); this file adds what surrounds the programs."""
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"unavailable ({e})"


def debian_packages(listing):
    """Installed version of every package the list names (dpkg), or {} off Debian."""
    if not shutil.which("dpkg-query") or not os.path.exists(listing):
        return {}
    names = [l.strip() for l in open(listing) if l.strip() and not l.startswith("#")]
    out = run(["dpkg-query", "-W", "-f=${Package} ${Version}\\n", *names])
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def main(output, axnn_inspect, lock, debian):
    record = {
        "axnn": run([axnn_inspect, "--version"]),
        "python": sys.version.split()[0],
        "python_packages": {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()},
        "lock_file": {"path": lock, "sha256": hashlib.sha256(open(lock, "rb").read()).hexdigest()} if os.path.exists(lock) else None,
        "debian_packages": debian_packages(debian),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count()},
    }
    record["python_packages"] = dict(sorted(record["python_packages"].items(), key=lambda kv: kv[0].lower()))
    with open(output + ".partial", "w") as f:
        json.dump(record, f, indent=2)
    os.replace(output + ".partial", output)


if __name__ == "__main__":
    if "snakemake" not in globals():
        print("usage: run through the workflow's environment rule", file=sys.stderr)
        sys.exit(2)
    sm = snakemake  # noqa: F821
    main(sm.output[0], sm.params.axnn_inspect, sm.input.lock, sm.input.debian)
