#!/usr/bin/env python3
"""Writes a synthetic country-sized OpenStreetMap extract (.osm.pbf) to measure
how hubplan's streaming PBF reader scales in time and peak memory.

No whole-country extract is available offline, so this builds one with the
shape of a real one: a lattice of driving roads over Kazakhstan's bounding box
(primary/secondary/tertiary/residential, some one-way, some with maxspeed) and,
mixed in, many more objects hubplan must read and drop — buildings (closed
ways of 5 nodes), footways and untagged points. Node ids are written in
ascending order, nodes before ways, as in a planet extract.

Needs pyosmium (`benches/peers/.venv/bin/pip install osmium`). Run:
    benches/peers/.venv/bin/python benches/data/country_pbf.py --grid 3000 --buildings 3000000 --out /tmp/country.osm.pbf
then:
    /usr/bin/time -v target/release/hubplan distances --schools datasets/kazakhstan/schools.csv \
        --roads /tmp/country.osm.pbf --max-km 30 --output /tmp/links.csv --no-cache
"""
import argparse
import random

import osmium

LON0, LON1, LAT0, LAT1 = 46.5, 87.3, 40.5, 55.5
CLASSES = ["primary", "secondary", "tertiary", "residential", "unclassified"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=3000, help="lattice side (nodes per row and column)")
    ap.add_argument("--way-len", type=int, default=100, help="nodes per road way")
    ap.add_argument("--buildings", type=int, default=3_000_000)
    ap.add_argument("--points", type=int, default=2_000_000, help="untagged and POI nodes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    g = a.grid
    dlon = (LON1 - LON0) / (g - 1)
    dlat = (LAT1 - LAT0) / (g - 1)
    w = osmium.SimpleWriter(a.out, overwrite=True)
    nid = 0
    # Road lattice nodes: id = 1 + r * g + c.
    for r in range(g):
        lat = LAT0 + r * dlat
        for c in range(g):
            nid += 1
            w.add_node(osmium.osm.mutable.Node(id=nid, location=(LON0 + c * dlon, lat)))
    grid_last = nid
    # Building corners, footway nodes, points: scattered, dropped by the reader.
    for _ in range(a.buildings):
        lon = rnd.uniform(LON0, LON1)
        lat = rnd.uniform(LAT0, LAT1)
        for k in range(4):
            nid += 1
            w.add_node(osmium.osm.mutable.Node(id=nid, location=(lon + 1e-4 * (k in (1, 2)), lat + 1e-4 * (k >= 2))))
    building_first = grid_last + 1
    for _ in range(a.points):
        nid += 1
        tags = {"amenity": "shop"} if rnd.random() < 0.1 else {}
        w.add_node(osmium.osm.mutable.Node(id=nid, location=(rnd.uniform(LON0, LON1), rnd.uniform(LAT0, LAT1)), tags=tags))
    wid = 0

    def road(refs):
        nonlocal wid
        wid += 1
        tags = {"highway": CLASSES[rnd.randrange(len(CLASSES))]}
        if rnd.random() < 0.05:
            tags["oneway"] = "yes"
        if rnd.random() < 0.2:
            tags["maxspeed"] = str(rnd.choice([40, 60, 90, 110]))
        w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))

    step = a.way_len - 1
    for r in range(g):  # rows
        for c0 in range(0, g - 1, step):
            road([1 + r * g + c for c in range(c0, min(c0 + a.way_len, g))])
    for c in range(g):  # columns
        for r0 in range(0, g - 1, step):
            road([1 + r * g + c for r in range(r0, min(r0 + a.way_len, g))])
    for b in range(a.buildings):  # closed building ways
        first = building_first + 4 * b
        wid += 1
        w.add_way(osmium.osm.mutable.Way(id=wid, nodes=[first, first + 1, first + 3, first + 2, first], tags={"building": "yes"}))
        if b % 10 == 0:  # a footway along some of them
            wid += 1
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=[first, first + 1], tags={"highway": "footway"}))
    w.close()
    print(f"{nid} nodes ({g * g} on roads), {wid} ways")


if __name__ == "__main__":
    main()
