#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [FUZZER...]: builds the libFuzzer executables (Tests/Fuzz) with
# -sanitize=fuzzer,address in their own scratch path, then runs each for SECONDS (default 60),
# seeded from Tests/Fuzz/Seeds, charts-fixtures and the committed prov. Exits non-zero on any
# crash, leak of the RSS limit, or timeout.
#
# Crash inputs land in .build/fuzz/crashes/<Fuzzer>/; the fuzzer's log is next to them. Replay
# one with `swift run Fuzz<Fuzzer> FILE` (the plain build runs inputs without libFuzzer), fix it,
# and commit the input to Tests/Fuzz/Regressions/<Fuzzer>/: FuzzRegressionTests runs them all.
# The corpus grows across runs in .build/fuzz/corpus/<Fuzzer>/. A summary table (executions,
# coverage) is written to .build/fuzz/summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=(RequestHead ManifestKinds ChartArchive Provenance Multipart Configuration Htpasswd UntrustedYAML OpenPGPPackets OCIManifest JWTSegments)
if [ $# -gt 0 ]; then fuzzers=("$@"); else fuzzers=("${all[@]}"); fi

scratch=.build/fuzz
# Swift's crash backtracer waits on the crashed process; libFuzzer needs it to exit.
export SWIFT_BACKTRACE=enable=no
# Swift runtime caches look like leaks to LeakSanitizer; memory growth is bounded by -rss_limit_mb.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

start=$(date +%s)
mkdir -p "$scratch"
for name in "${fuzzers[@]}"; do
    if ! swift build --scratch-path "$scratch" -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
            --product "Fuzz$name" >"$scratch/build-$name.log" 2>&1; then
        grep -v "ld.gold: warning" "$scratch/build-$name.log" | grep -B2 -A8 "error" | head -60 >&2
        echo "fuzz: building Fuzz$name failed (log: $scratch/build-$name.log)" >&2
        exit 1
    fi
done
echo "fuzz: sanitized build took $(( $(date +%s) - start )) s"

# Seeds beyond Tests/Fuzz/Seeds, by fuzzer: inputs the project already has.
extra_seeds() {
    case $1 in
        ChartArchive) find charts-fixtures -name '*.tgz' ! -name '*.big.tgz' -size -256k ;;
        ManifestKinds) find charts-fixtures/src charts-fixtures/policy-src -path '*templates*' -type f ;;
        UntrustedYAML) find charts-fixtures/src charts-fixtures/policy-src -name Chart.yaml ;;
        OpenPGPPackets) find keys-test/pgp -name '*.rev.asc' -o -name '*.pub.asc' -o -name '*.pub.gpg' ;;
        *) ;;
    esac
}

summary=$scratch/summary.md
printf '| fuzzer | seconds | executions | exec/s | cov | ft | corpus | result |\n|---|---|---|---|---|---|---|---|\n' > "$summary"
failed=()
for name in "${fuzzers[@]}"; do
    corpus=$scratch/corpus/$name
    crashes=$scratch/crashes/$name
    seeds=$scratch/seeds/$name
    rm -rf "$crashes"
    mkdir -p "$corpus" "$crashes" "$seeds"
    cp Tests/Fuzz/Seeds/"$name"/* "$seeds"/ 2>/dev/null || true
    extra_seeds "$name" | while read -r file; do cp "$file" "$seeds/$(echo "$file" | tr / _)"; done
    log=$crashes/fuzz.log
    echo "fuzz: $name for ${seconds}s (log: $log)"
    status=0
    "$scratch/debug/Fuzz$name" "$corpus" "$seeds" Tests/Fuzz/Regressions/"$name" \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    files=$(find "$corpus" -type f | wc -l)
    artifacts=$(find "$crashes" -type f ! -name fuzz.log | wc -l)
    result=ok
    if [ "$status" -ne 0 ] || [ "$artifacts" -gt 0 ]; then
        result=CRASH
        failed+=("$name")
        grep -E "ERROR|SUMMARY|Fatal error|Test unit written" "$log" | head -5 >&2 || true
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$seconds" "${executions:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$files" "$result" >> "$summary"
done
cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes in ${failed[*]}: inputs and logs in $scratch/crashes/<fuzzer>/" >&2
    exit 1
fi
