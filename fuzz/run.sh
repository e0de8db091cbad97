#!/usr/bin/env bash
# Builds fuzz/FuzzEnvelope.swift with the line framer and the envelope
# sources as one module, instrumented for libFuzzer and AddressSanitizer,
# and fuzzes it for a bounded time. Exits non-zero when it finds a crash
# (the input is saved under $FUZZ_OUT/artifacts/).
#
#   fuzz/run.sh [SECONDS]        default 30, or $FUZZ_SECONDS
#   FUZZ_OUT=dir fuzz/run.sh     where to build and keep the corpus (.build-fuzz)
#   fuzz/run.sh 30 -jobs=2       anything after SECONDS goes to libFuzzer
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-30}}"
shift || true
out="${FUZZ_OUT:-.build-fuzz}"
mkdir -p "$out/corpus" "$out/artifacts"

sources=(Sources/ProfilesJSON/*.swift Sources/ProfilesProtocol/*.swift Sources/ProfilesTransport/LineFramer.swift fuzz/FuzzEnvelope.swift)
echo "fuzz: compiling ${#sources[@]} files with -sanitize=fuzzer,address" >&2
# ld.gold warns about every ASan symbol it cannot export; that is noise.
swiftc -parse-as-library -swift-version 6 -O -g -sanitize=fuzzer,address -module-name FuzzEnvelope \
  "${sources[@]}" -o "$out/fuzz-envelope" 2> >(grep -v "Cannot export local symbol" >&2)

# The checked-in seeds start the corpus; what the fuzzer finds is kept in
# $out/corpus between runs.
cp fuzz/corpus/* "$out/corpus/"

# Swift's own backtracer would catch the trap before libFuzzer does; leak
# checking reports the runtime's never-freed metadata caches.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
echo "fuzz: running for ${seconds}s" >&2
exec "$out/fuzz-envelope" "$out/corpus" -dict=fuzz/json.dict -max_len=8192 -timeout=10 \
  -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/artifacts/" "$@"
