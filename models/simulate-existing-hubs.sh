#!/bin/sh
# Simulates which schools are Kazakhstan's 135 existing hub schools (opened
# 2022–2024: 17, then 63, then 55). The real list is not public, so hubplan plans
# each of those years in turn on datasets/kazakhstan, and each year's new hubs
# become the next year's existing hubs. The result is SIMULATED, not official:
#   datasets/kazakhstan/existing-hubs-simulated.csv     (school_id,year)
#   datasets/kazakhstan/equipped-schools-simulated.csv  (small_school_id,year)
# the hubs, and the small schools linked (and so equipped with a room) in those
# years, which models/kazakhstan-2025.toml reads as `data.existing_hubs` and
# `data.equipped_schools`.
#
# Every year uses models/kazakhstan-2025.toml's parameters with that year's number
# of hubs and no budget limit: those years' budgets are not modelled (the plan
# charges rooms at existing hubs too, so a per-hub budget would open fewer hubs
# than the year did).
# One hub per district, as the programme intended for these years. Seed 1, 2
# threads and a time limit of an hour, which no run reaches (about a minute
# each on 2 cores), so the result depends on the seed and thread count only.
#
# Usage: sh models/simulate-existing-hubs.sh   (from the repository root, after cargo build --release)
set -eu
cd "$(dirname "$0")/.."
bin=${HUBPLAN:-target/release/hubplan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list="$work/existing.csv"
echo "school_id,year" > "$list"
rooms="$work/equipped.csv"
echo "small_school_id,year" > "$rooms"
for spec in 2022:17 2023:63 2024:55; do
    year=${spec%:*}
    n=${spec#*:}
    "$bin" plan models/kazakhstan-2025.toml \
        --set "name=\"Kazakhstan $year (simulated): $n new hub schools\"" \
        --set "hubs.max_new=$n" \
        --set "hubs.max_per_district=1" \
        --set "budget.kzt=1e15" \
        --set "data.existing_hubs=\"$list\"" \
        --set "data.equipped_schools=\"$rooms\"" \
        --seed 1 --threads 2 --time-limit 3600 --out "$work/$year" >/dev/null
    # hubs.csv: school_id,name,district,lat,lon,status,cost_kzt,linked_small_schools,linked_students.
    # Names may hold quoted commas, so status is read from the end of the line.
    awk -F, -v y="$year" 'NR > 1 && $(NF - 3) == "new" {
        if ($1 ~ /"/) { print "quoted school id: " $1 > "/dev/stderr"; exit 1 }
        print $1 "," y }' "$work/$year/hubs.csv" >> "$list"
    # links.csv: small_school_id,hub_id,...; schools equipped before keep their earlier year.
    awk -F, -v y="$year" 'NR == FNR { seen[$1] = 1; next } FNR > 1 && !($1 in seen) { print $1 "," y }' \
        "$rooms" "$work/$year/links.csv" > "$work/new-rooms.csv"
    cat "$work/new-rooms.csv" >> "$rooms"
    echo "$year: $(grep -c ",$year\$" "$list") new hubs, $(grep -c ",$year\$" "$rooms") newly equipped small schools"
done
for pair in "$list:existing-hubs-simulated.csv" "$rooms:equipped-schools-simulated.csv"; do
    out=datasets/kazakhstan/${pair#*:}
    cp "${pair%%:*}" "$out.tmp" && mv "$out.tmp" "$out"
    echo "wrote $out ($(($(wc -l < "$out") - 1)) rows)"
done
