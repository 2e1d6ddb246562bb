#!/bin/sh
# Installs the build and test dependencies of pix2pix-vk on Debian 12 / Ubuntu 22.04+.
# Usage: sudo tools/install_deps.sh [--with-torch]
#   --with-torch also installs python3-numpy and python3-pil, which the tools/ scripts that
#   regenerate the committed golden fixtures and benchmark against PyTorch need besides
#   python3-torch (never needed to build or run; the tests need python3-torch only through
#   python3-torchvision, below).
# chromium (headless) renders the HTML report pages in the app_report_browser test, which
# is skipped where it is missing. ONNX export: protobuf-c and onnx.proto (libonnx-dev) to
# build it; onnx.checker (python3-onnx) and OpenCV's DNN module (python3-opencv) check its
# files in the app_onnx_runtime test, which is skipped without them. Open MPI builds
# data-parallel training (mpirun -np N pix2pix train) and runs its 2-rank tests (tests/parallel).
# libmicrohttpd builds pix2pix serve; chromium-driver and python3-selenium drive its page in
# the serve_page test, firefox-esr (driven over Marionette: Debian has no geckodriver) in
# serve_page_firefox (each skipped without them). python3-torchvision (with python3-torch)
# writes pix2pixHD's VGG loss's reference at test time in app_vgg_loss and
# vulkan_vgg_loss(_fp16) (tools/gen_vgg_fixture.py; skipped without it).
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS="build-essential cmake pkg-config libopenblas-dev libjpeg-dev libpng-dev libcjson-dev
      libzip-dev libvulkan-dev glslang-tools spirv-tools mesa-vulkan-drivers vulkan-validationlayers
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev python3-onnx python3-opencv
      libopenmpi-dev openmpi-bin libmicrohttpd-dev python3-torchvision"
if [ "${1:-}" = "--with-torch" ]; then PKGS="$PKGS python3-torch python3-numpy python3-pil"; fi
# Robustness checks: valgrind (memcheck test), clang with its runtime libraries (libFuzzer,
# sanitizers) for the fuzz targets; the runtime is libclang-rt-N-dev on Debian 12 and later,
# part of libclang-common-N-dev before.
PKGS="$PKGS valgrind clang"
# tools/check_debian13.sh (run by .ci/run) makes a Debian 13 root with debootstrap.
PKGS="$PKGS debootstrap"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
CLANG_MAJOR=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
if [ -n "$CLANG_MAJOR" ] && apt-cache show "libclang-rt-$CLANG_MAJOR-dev" >/dev/null 2>&1; then
    PKGS="$PKGS libclang-rt-$CLANG_MAJOR-dev"
fi
# Debian's chromium and firefox-esr (Ubuntu ships them as snaps only: the browser tests are
# skipped there).
if apt-cache show chromium >/dev/null 2>&1; then
    PKGS="$PKGS chromium fonts-liberation chromium-driver python3-selenium"
fi
if apt-cache show firefox-esr >/dev/null 2>&1; then
    PKGS="$PKGS firefox-esr"
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PKGS
