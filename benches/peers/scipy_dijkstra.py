"""hubplan's distance table against scipy.sparse.csgraph.dijkstra, same graph, same cores.

Runs `cargo run --release --example network_bench` first (which generates the
~1M-node road network, times hubplan and exports the graph), then times scipy
on the exported graph in the same session:

    dijkstra(csgraph, directed=True, indices=batch_of_hub_nodes, limit=max_km)

followed by the same table assembly hubplan does (each school's distance is
the smaller of its two attachment nodes' distances plus the extra km, kept if
within the limit). scipy returns a dense (sources × nodes) array, so hubs go in
batches (16 GB for all 2,000 at once); its Dijkstra is single-threaded, so the
fair two-core run splits the hubs over two worker processes (`--procs 2`).
Both medians and the ratio are printed.

Run from the repository root:

    python3 -m venv benches/peers/.venv
    benches/peers/.venv/bin/pip install scipy numpy
    benches/peers/.venv/bin/python benches/peers/scipy_dijkstra.py --repeat 3

Options: --side 1000 --hubs 2000 --schools 20000 --max-km 120 --threads 2
--procs 2 --batch 50 --repeat 3 --out benches/peers/out (the export folder,
git-ignored).
"""

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import scipy
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

G = {}


def load(out):
    n_ptr = np.fromfile(os.path.join(out, "indptr.u32"), dtype="<u4").astype(np.int32)
    idx = np.fromfile(os.path.join(out, "indices.u32"), dtype="<u4").astype(np.int32)
    km = np.fromfile(os.path.join(out, "km.f32"), dtype="<f4").astype(np.float64)
    n = len(n_ptr) - 1
    g = csr_matrix((km, idx, n_ptr), shape=(n, n))
    sources = np.fromfile(os.path.join(out, "sources.u32"), dtype="<u4").astype(np.int64)
    a = np.fromfile(os.path.join(out, "school_a.u32"), dtype="<u4").astype(np.int64)
    ea = np.fromfile(os.path.join(out, "school_ea.f64"), dtype="<f8")
    b = np.fromfile(os.path.join(out, "school_b.u32"), dtype="<u4").astype(np.int64)
    eb = np.fromfile(os.path.join(out, "school_eb.f64"), dtype="<f8")
    return g, sources, a, ea, b, eb


def work(args):
    """Distances from a list of hubs, batch by batch: (pairs within the limit, km checksum)."""
    hubs, limit, batch = args
    g, sources, a, ea, b, eb = G["data"]
    pairs, checksum = 0, 0.0
    for i in range(0, len(hubs), batch):
        hb = hubs[i:i + batch]
        d = dijkstra(g, directed=True, indices=sources[hb], limit=limit)
        school = np.minimum(d[:, a] + ea, d[:, b] + eb)
        for k, h in enumerate(hb):
            school[k, h] = np.inf  # hubplan lists a hub's link to itself separately
        ok = school <= limit
        pairs += int(ok.sum())
        checksum += float(school[ok].sum())
    return pairs, checksum


def run_scipy(procs, limit, batch):
    hubs = list(range(len(G["data"][1])))
    parts = [(hubs[p::procs], limit, batch) for p in range(procs)]
    t = time.perf_counter()
    if procs == 1:
        results = [work(parts[0])]
    else:
        with mp.get_context("fork").Pool(procs) as pool:
            results = pool.map(work, parts)
    return time.perf_counter() - t, sum(r[0] for r in results), sum(r[1] for r in results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=1000)
    ap.add_argument("--hubs", type=int, default=2000)
    ap.add_argument("--schools", type=int, default=20000)
    ap.add_argument("--max-km", type=float, default=120.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default="benches/peers/out")
    a = ap.parse_args()

    cmd = ["cargo", "run", "--release", "--quiet", "--example", "network_bench", "--",
           "--side", str(a.side), "--hubs", str(a.hubs), "--schools", str(a.schools),
           "--max-km", str(a.max_km), "--threads", str(a.threads), "--repeat", str(a.repeat),
           "--export", a.out]
    print("$", " ".join(cmd), file=sys.stderr)
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    G["data"] = load(a.out)
    print(f"scipy {scipy.__version__}, numpy {np.__version__}, graph {G['data'][0].shape[0]} nodes, "
          f"{G['data'][0].nnz} arcs, {len(G['data'][1])} hubs", file=sys.stderr)
    times = {}
    for procs in sorted({1, a.procs}):
        runs = [run_scipy(procs, a.max_km, a.batch) for _ in range(a.repeat)]
        times[procs] = statistics.median(r[0] for r in runs)
        pairs, checksum = runs[0][1], runs[0][2]
    ratio = times[a.procs] / ours["table_median_s"]
    result = {
        "nodes": ours["nodes"], "arcs": ours["arcs"], "hubs": a.hubs, "schools": a.schools, "max_km": a.max_km,
        "hubplan_threads": a.threads, "hubplan_table_median_s": ours["table_median_s"],
        "hubplan_pairs": ours["pairs_without_self"], "hubplan_km_checksum": ours["road_km_checksum"],
        "scipy_median_s_by_procs": times, "scipy_pairs": pairs, "scipy_km_checksum": checksum,
        "speedup_vs_scipy_same_cores": ratio,
        "geojson_build_segments_per_s": ours["geojson_build_segments_per_s"],
        "geojson_build_median_s": ours["geojson_build_median_s"], "segments": ours["segments"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
