#!/usr/bin/env bash
# System packages the test suite checks gradlab against, from Debian (PyPI is not reachable here):
# torch 1.13 (PyTorch parity), numpy + scikit-learn (bit-identical make_regression data),
# Chromium (the report opened in a real browser) and, from chromium-common + libvulkan1, SwiftShader's
# Vulkan driver, which gives Dawn (the WebGPU backend's tests) an adapter without a GPU. Needs root (or sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  python3-torch python3-numpy python3-sklearn chromium chromium-common libvulkan1 >/dev/null
