#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/, leaving
# build/ (the binary everyone else loads) untouched. Prints the path of the resulting binary.
#
# It copies binding.gyp and src/native into build-asan/ and adds the sanitizer flags to that copy
# of binding.gyp, so the flags reach exactly our translation units and nothing else.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build-asan"

if ! command -v g++ >/dev/null 2>&1; then
  echo "build-asan: g++ is required" >&2
  exit 1
fi
if [ ! -e "$(g++ -print-file-name=libasan.so)" ]; then
  # A fresh machine may have g++ without the sanitizer runtimes. On Debian they come with
  # libgcc-N-dev (libasan.so, libubsan.so and the libasan/libubsan runtime packages).
  if command -v apt-get >/dev/null 2>&1; then
    major="$(g++ -dumpversion | cut -d. -f1)"
    apt-get update -qq && apt-get install -y -qq "libgcc-${major}-dev" >/dev/null
  fi
  if [ ! -e "$(g++ -print-file-name=libasan.so)" ]; then
    echo "build-asan: the AddressSanitizer runtime (libasan.so) is not installed" >&2
    exit 1
  fi
fi

mkdir -p "$out/src"
rm -rf "$out/src/native"
cp -R "$root/src/native" "$out/src/native"

python3 - "$root/binding.gyp" "$out/binding.gyp" <<'PY'
import ast, json, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    gyp = ast.literal_eval(f.read())
san = ["-fsanitize=address,undefined", "-fno-sanitize=vptr", "-fno-sanitize-recover=undefined",
       "-fno-omit-frame-pointer", "-g", "-O1"]
for target in gyp["targets"]:
    if target.get("target_name") != "weakwire":
        continue
    # Later flags win, so -O1 replaces the -O2 of the normal build.
    target["cflags"] = target.get("cflags", []) + san
    target["cflags_cc"] = target.get("cflags_cc", []) + san
    target["ldflags"] = target.get("ldflags", []) + ["-fsanitize=address,undefined"]
with open(dst, "w") as f:
    json.dump(gyp, f, indent=2)
PY

# Build against the running Node's own headers when they are installed next to it (as on machines
# set up with npm's nodedir); otherwise node-gyp fetches or reuses its cached headers.
nodedir_args=()
prefix="$(node -p "require('path').resolve(process.execPath, '..', '..')")"
if [ -n "${npm_config_nodedir:-}" ]; then
  nodedir_args=(--nodedir="$npm_config_nodedir")
elif [ -f "$prefix/include/node/common.gypi" ]; then
  nodedir_args=(--nodedir="$prefix")
fi

cd "$out"
# Fresh configure each time: the copied sources may have changed under an old Makefile.
"$root/node_modules/.bin/node-gyp" rebuild --jobs 2 "${nodedir_args[@]}" >"$out/build.log" 2>&1 || {
  cat "$out/build.log" >&2
  exit 1
}
binary="$out/build/Release/weakwire.node"
test -f "$binary"
echo "$binary"
