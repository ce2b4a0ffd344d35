#!/bin/sh
# gradlab's GPU benchmark, self-contained (made by `npm run bench:gpu:pack`): needs no npm, no
# network and no Node on the machine, only Linux x86-64 with a GPU's Vulkan driver, and python3
# with a CUDA torch for the torch rows (without one the table says why they have no number).
#
#   sh run.sh [RESULTS_DIR] [bench options...]     e.g.  sh run.sh "$OUT" --budget-s 30
#
# Writes RESULTS_DIR/gpu-bench.json and gpu-bench.md (default: ./results beside this file).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${1:-$HERE/results}
[ $# -gt 0 ] && shift

# Node and Dawn travel gzipped (the folder must stay under 64 MiB); unpacked once, beside the .gz.
unpack() {
  [ -f "$2" ] && return 0
  if command -v gzip >/dev/null 2>&1; then
    gzip -dc "$1" > "$2.part"
  else
    python3 -c 'import gzip, shutil, sys; shutil.copyfileobj(gzip.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2.part"
  fi
  mv "$2.part" "$2"
}
unpack "$HERE/bin/node.gz" "$HERE/bin/node"
chmod +x "$HERE/bin/node"
unpack "$HERE/app/node_modules/webgpu/dist/linux-x64/dawn.node.gz" "$HERE/app/node_modules/webgpu/dist/linux-x64/dawn.node"

# The Vulkan loader: the machine's when it has one, else the one packed here (Debian's libvulkan1).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# In a container the NVIDIA driver is often mounted at /usr/local/nvidia, outside the loader's
# search paths: its libraries (the Vulkan ICD's among them) and its ICD manifest.
if [ -d /usr/local/nvidia/lib64 ]; then
  LD_LIBRARY_PATH="/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  registered=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null || true)
  mounted=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "$registered" ] && [ -f "$mounted" ]; then
    export VK_DRIVER_FILES="$mounted" VK_ICD_FILENAMES="$mounted"
  fi
fi

echo "gradlab gpu bench: $("$HERE/bin/node" --version), VK_DRIVER_FILES=${VK_DRIVER_FILES:-(the loader's search)}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || true
exec "$HERE/bin/node" "$HERE/app/gpu-bench.mjs" --peer-dir "$HERE/app/bench" --out "$RESULTS" "$@"
