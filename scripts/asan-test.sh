#!/usr/bin/env bash
# npm run test:asan: the full Jest suite against an AddressSanitizer + UBSan build of the addon,
# with LeakSanitizer on. Extra arguments go to Jest (e.g. a test path).
#
# Node itself is not instrumented, so the ASan runtime is preloaded into it; every process the
# suite starts (Jest, workers, child processes) inherits the preload, WEAKWIRE_NATIVE_PATH and the
# options below, and writes its reports to build-asan/logs/. scripts/asan-report.js reads them.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# WEAKWIRE_ASAN_BINARY: use an existing sanitizer build instead (e.g. to check that this setup
# reports a deliberate leak planted in a scratch copy of the sources).
if [ -n "${WEAKWIRE_ASAN_BINARY:-}" ]; then
  binary="$WEAKWIRE_ASAN_BINARY"
else
  binary="$(scripts/build-asan.sh)" || exit 1
fi
# Fixtures (workers, child processes) load dist/, so it must match the sources.
npm run --silent build:ts || exit 1

logs="$root/build-asan/logs"
rm -rf "$logs"
mkdir -p "$logs"

libasan="$(g++ -print-file-name=libasan.so)"
export WEAKWIRE_NATIVE_PATH="$binary"
# exitcode=0 + abort_on_error=1: a memory error aborts the process at once (the test fails), while
# leaks found at exit only go to the log and never change an exit code: npm, tsc and Jest leave
# V8 data behind at exit, and those processes must not fail for it. asan-report.js judges leaks.
# detect_odr_violation=0: Node and libstdc++ both define some globals; not our concern.
# allow_user_segv_handler=1: V8 installs its own SIGSEGV handler (WebAssembly trap handling).
# handle_abort=1: a C++ exception escaping to std::terminate (or any abort) gets a stack trace.
export ASAN_OPTIONS="detect_leaks=1:exitcode=0:abort_on_error=1:halt_on_error=1:handle_abort=1:detect_odr_violation=0:allow_user_segv_handler=1:log_path=$logs/asan"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$logs/ubsan"

# The fuzzer's bound on one message's time (500 ms) is for plain builds: with the sanitizer's
# allocator under all of V8, a message takes several times as long.
export FUZZ_SLOW_MS=2000

echo "[asan] binary: $binary"
echo "[asan] running jest (in band) with $libasan preloaded"
# In band: the Jest process itself runs the tests, so its exit (and LeakSanitizer's check at
# exit) covers them; child processes write their own logs. --forceExit: under the sanitizer's
# timings a test may leave a socket or worker open, and this run is about memory, not handles
# (the plain `npm test` is where a hanging handle fails).
# The browser tests run no native code, and Chromium does not start with the ASan runtime
# preloaded (the preload reaches every process the suite starts): they are left out here.
LD_PRELOAD="$libasan" node --expose-gc node_modules/jest/bin/jest.js --runInBand --forceExit \
  --testPathIgnorePatterns '/node_modules/' '\.slow\.test\.ts$' '/test/browser/' -- "$@"
jest_status=$?

node scripts/asan-report.js "$logs"
report_status=$?

if [ "$jest_status" -ne 0 ]; then
  echo "[asan] jest failed (exit $jest_status)" >&2
  exit "$jest_status"
fi
exit "$report_status"
