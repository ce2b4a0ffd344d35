#!/usr/bin/env bash
# System packages the test suite checks gradlab against, from Debian (PyPI is not reachable here):
# torch 1.13 (PyTorch parity), numpy + scikit-learn (bit-identical make_regression data), pandas
# (reads `gradlab export` tables back), OpenBLAS (without it --no-install-recommends leaves torch and numpy on
# Debian's reference BLAS, several times slower: `npm run bench`'s torch peers and BLAS floor need a real one),
# Chromium (the report opened in a real browser) and, from chromium-common + libvulkan1, SwiftShader's
# Vulkan driver, which gives Dawn (the WebGPU backend's tests) an adapter without a GPU, and Slurm with
# munge (slurm-wlm 22.05), which test/slurm/cluster.sh starts as a one-node cluster for the sharded
# sweep's end-to-end test (apt's "policy-rc.d denied execution of start" is expected: nothing starts
# at install). Needs root (or sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  python3-torch python3-numpy libopenblas0-pthread python3-sklearn python3-pandas chromium chromium-common libvulkan1 slurm-wlm munge >/dev/null
