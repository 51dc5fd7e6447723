#!/usr/bin/env python3
"""Side-by-side: hubplan vs PySAL spopt's PMedian (PuLP + CBC) on OR-Library pmed.

Both run in the same session, one instance after the other, so the ratio is
measured under the same machine load. The cost matrix for spopt is built the
OR-Library way (duplicate edges: the last occurrence wins, then all-pairs
shortest paths) with scipy; building it is not counted in spopt's time.

Setup (once):
    python3 -m venv benches/peers/.venv
    benches/peers/.venv/bin/pip install spopt pulp scipy numpy
    cargo build --release
Run:
    benches/peers/.venv/bin/python benches/peers/spopt_pmedian.py 20 21 ... 40 [--threads 2] [--csv out.csv] [--spopt-time-limit SECS]
"""
import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pulp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path
from spopt.locate import PMedian

ROOT = Path(__file__).resolve().parents[2]


def read_pmed(path):
    tokens = path.read_text().split()
    n, m, p = int(tokens[0]), int(tokens[1]), int(tokens[2])
    edges = {}
    vals = tokens[3:]
    for k in range(m):
        i, j, c = int(vals[3 * k]), int(vals[3 * k + 1]), float(vals[3 * k + 2])
        edges[(min(i, j), max(i, j))] = c  # last occurrence wins
    rows, cols, data = [], [], []
    for (i, j), c in edges.items():
        rows += [i - 1, j - 1]
        cols += [j - 1, i - 1]
        data += [c, c]
    graph = csr_matrix((data, (rows, cols)), shape=(n, n))
    return shortest_path(graph, method="D", directed=False), p


def run_spopt_bounded(k, threads, time_limit):
    """spopt on pmed`k` in a child process, killed (with CBC) at the time limit:
    CBC's own limit is not checked while it solves the root LP, which alone
    takes many minutes on the larger instances."""
    cmd = [sys.executable, __file__, "--worker", str(k), "--threads", str(threads)]
    t = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, _ = child.communicate(timeout=time_limit)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return float("nan"), time.perf_counter() - t, "time_limit"
    doc = json.loads(out)
    return doc["objective"], doc["seconds"], doc["status"]


def run_spopt(cost, p, threads, time_limit):
    t = time.perf_counter()
    weights = np.ones(cost.shape[0])
    model = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
    try:
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, threads=threads, timeLimit=time_limit))
    except RuntimeError:
        # spopt raises when CBC stops at the time limit without an integer solution.
        return float("nan"), time.perf_counter() - t, "time_limit"
    seconds = time.perf_counter() - t
    objective = pulp.value(model.problem.objective)
    # CBC stopped by its time limit still reports "Optimal" through PuLP when it
    # holds an integer solution, so judge by the clock.
    limited = time_limit is not None and seconds >= time_limit
    return objective, seconds, "time_limit" if limited else "optimal"


def run_hubplan(path, threads):
    exe = ROOT / "target" / "release" / "hubplan"
    t = time.perf_counter()
    out = subprocess.run([str(exe), "solve", str(path), "--json", "--threads", str(threads)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t
    doc = json.loads(out.stdout)
    return doc["objective"], doc["status"], wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("instances", nargs="*", type=int, help="pmed numbers, e.g. 20 21 22")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--csv", default=None)
    ap.add_argument("--spopt-time-limit", type=float, default=None, help="wall-clock limit per spopt run (s), enforced by killing it; a limited run gives a lower bound on the speedup")
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker is not None:
        cost, p = read_pmed(ROOT / f"datasets/orlib-pmed/pmed{a.worker}.txt")
        obj, secs, status = run_spopt(cost, p, a.threads, None)
        print(json.dumps({"objective": obj, "seconds": secs, "status": status}))
        return
    known = {}
    for line in (ROOT / "datasets/orlib-pmed/pmedopt.txt").read_text().splitlines()[1:]:
        name, value = line.split()
        known[name] = float(value)
    rows = []
    header = ["instance", "known", "spopt_objective", "spopt_status", "spopt_seconds", "hubplan_objective", "hubplan_status", "hubplan_seconds", "speedup"]
    out = None
    if a.csv:
        out = open(a.csv, "w", newline="")
        w = csv.writer(out)
        w.writerow(header)
        out.flush()
    print(f"{'instance':<8} {'known':>8} {'spopt':>8} {'spopt_st':>10} {'spopt_s':>9} {'hubplan':>8} {'status':>8} {'hubplan_s':>9} {'ratio':>8}")
    for k in a.instances:
        path = ROOT / f"datasets/orlib-pmed/pmed{k}.txt"
        cost, p = read_pmed(path)
        h_obj, h_status, h_s = run_hubplan(path, a.threads)
        if a.spopt_time_limit is None:
            s_obj, s_s, s_status = run_spopt(cost, p, a.threads, None)
        else:
            s_obj, s_s, s_status = run_spopt_bounded(k, a.threads, a.spopt_time_limit)
        ratio = s_s / h_s
        mark = ">=" if s_status == "time_limit" else ""
        row = [f"pmed{k}", known[f"pmed{k}"], s_obj, s_status, f"{s_s:.3f}", h_obj, h_status, f"{h_s:.3f}", f"{mark}{ratio:.1f}"]
        rows.append(row)
        if out:
            w.writerow(row)
            out.flush()
        print(f"{'pmed%d' % k:<8} {known['pmed%d' % k]:>8.0f} {s_obj:>8.0f} {s_status:>10} {s_s:>9.2f} {h_obj:>8.0f} {h_status:>8} {h_s:>9.3f} {mark + format(ratio, '.1f'):>8}", flush=True)
    if out:
        out.close()
    ratios = sorted(float(r[8].lstrip(">=")) for r in rows)
    print(f"median speedup {ratios[len(ratios) // 2]:.1f}x, min {ratios[0]:.1f}x over {len(rows)} instances (>= marks spopt runs cut by the time limit)", file=sys.stderr)


if __name__ == "__main__":
    main()
