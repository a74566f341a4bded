#!/usr/bin/env bash
# Reading a 512x512x200 CT series and a 3 mm dose grid, and converting a
# 200^3 dose to EQD2: rert against pydicom + NumPy (Debian python3-pydicom,
# python3-numpy) in the same run. Prints a Markdown table with medians of
# REPEAT runs, ratios and peak memory.
#
# usage: bench/read_eqd2.sh [BUILD_DIR] [REPEAT]   (default build, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeat=${2:-3}
py=/usr/bin/python3
data=$(mktemp -d /tmp/rert-bench-XXXXXX)
trap 'rm -rf "$data"' EXIT
ninja -C "$build" bench/bench_io src/cli/rert >/dev/null
echo "generating inputs in $data (pydicom)..." >&2
$py bench/gen_data.py "$data"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run_task NAME CMD...: prints "seconds peak_mib checksum" (median time)
run_task() {
    local times=() line peak sum
    for _ in $(seq "$repeat"); do
        line=$("$@")
        times+=("$(echo "$line" | awk '{print $2}')")
        peak=$(echo "$line" | awk '{print $3}')
        sum=$(echo "$line" | awk '{print $4}')
    done
    echo "$(printf '%s\n' "${times[@]}" | median) $peak $sum"
}

# Drop caches is impossible as non-root-in-container; warm both sides once.
"$build/bench/bench_io" ct "$data/ct" >/dev/null
$py bench/pydicom_peer.py ct "$data/ct" >/dev/null

echo "| task | rert s | pydicom+NumPy s | ratio (peer/rert) | rert peak MiB | peer peak MiB | checksums |"
echo "|---|---|---|---|---|---|---|"
for task in ct dose; do
    src="$data/ct"; [ "$task" = dose ] && src="$data/dose_3mm.dcm"
    read -r rt rp rs < <(run_task "$build/bench/bench_io" "$task" "$src")
    read -r pt pp ps < <(run_task $py bench/pydicom_peer.py "$task" "$src")
    ratio=$(awk -v a="$pt" -v b="$rt" 'BEGIN {printf "%.1f", a / b}')
    echo "| read $task | $rt | $pt | $ratio | $rp | $pp | $rs / $ps |"
done
read -r et ep es < <(run_task "$build/bench/bench_io" eqd2 "$data/dose_200.dcm" 30 3)
read -r ct cp cs < <(run_task "$build/bench/bench_io" copy "$data/dose_200.dcm")
read -r nt np ns < <(run_task $py bench/pydicom_peer.py eqd2 "$data/dose_200.dcm" 30 3)
ratio=$(awk -v a="$nt" -v b="$et" 'BEGIN {printf "%.1f", a / b}')
copy_ratio=$(awk -v a="$et" -v b="$ct" 'BEGIN {printf "%.2f", a / b}')
echo "| EQD2 200^3 (kernel only) | $et | $nt | $ratio | $ep | $np | $es / $ns |"
echo
echo "EQD2 kernel / plain memcpy of the same grid: $copy_ratio x (memcpy $ct s)."
echo "Threads: $("$build/src/cli/rert" --version | tail -1)"
