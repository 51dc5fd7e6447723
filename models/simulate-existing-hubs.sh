#!/bin/sh
# Simulates which schools are Kazakhstan's 135 existing hub schools (opened
# 2022–2024: 17, then 63, then 55). The real list is not public, so hubplan plans
# those three years as one rollout, models/kazakhstan-2022-2024.toml (jointly over
# the years, one hub per district, no budget), and its plan stands in for them.
# The result is SIMULATED, not official:
#   datasets/kazakhstan/existing-hubs-simulated.csv     (school_id,year)
#   datasets/kazakhstan/equipped-schools-simulated.csv  (small_school_id,year)
# each new hub with the year it opens, and each small school linked (and so
# equipped with a room) with the year its link starts, which
# models/kazakhstan-2025.toml and models/kazakhstan-2025-2027.toml read as
# `data.existing_hubs` and `data.equipped_schools`.
# Seed 1, 2 threads and a time limit of an hour, which no run reaches, so the
# result depends on the seed and thread count only.
#
# Usage: sh models/simulate-existing-hubs.sh   (from the repository root, after cargo build --release)
set -eu
cd "$(dirname "$0")/.."
bin=${HUBPLAN:-target/release/hubplan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" plan models/kazakhstan-2022-2024.toml --out "$work/plan" >/dev/null
list="$work/existing.csv"
rooms="$work/equipped.csv"
# hubs.csv: school_id,name,district,lat,lon,status,cost_kzt,linked_small_schools,linked_students,year_opened.
# Names may hold quoted commas, so status and year are read from the end of the line.
echo "school_id,year" > "$list"
awk -F, 'NR > 1 && $(NF - 4) == "new" {
    if ($1 ~ /"/) { print "quoted school id: " $1 > "/dev/stderr"; exit 1 }
    if ($NF == "") { print "no year_opened for " $1 > "/dev/stderr"; exit 1 }
    print $1 "," $NF }' "$work/plan/hubs.csv" | sort -t, -k2,2n -k1,1 >> "$list"
# links.csv: small_school_id,hub_id,...,year_linked.
echo "small_school_id,year" > "$rooms"
awk -F, 'NR > 1 {
    if ($NF == "") { print "no year_linked for " $1 > "/dev/stderr"; exit 1 }
    print $1 "," $NF }' "$work/plan/links.csv" | sort -t, -k2,2n -k1,1 >> "$rooms"
for year in 2022 2023 2024; do
    echo "$year: $(grep -c ",$year\$" "$list") new hubs, $(grep -c ",$year\$" "$rooms") newly equipped small schools"
done
for pair in "$list:existing-hubs-simulated.csv" "$rooms:equipped-schools-simulated.csv"; do
    out=datasets/kazakhstan/${pair#*:}
    cp "${pair%%:*}" "$out.tmp" && mv "$out.tmp" "$out"
    echo "wrote $out ($(($(wc -l < "$out") - 1)) rows)"
done
