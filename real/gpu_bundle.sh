#!/usr/bin/env bash
# real/gpu_bundle.sh: run HERE (the build machine), never on the GPU machine.
#
# The GPU machine has CUDA 13's nvcc and libraries, CMake, ninja and PyTorch
# but none of the project's Debian libraries, and an undocumented OS and
# glibc, so it cannot build paralab. This script builds the GPU binaries here
# (Release, stripped, sm_90 SASS plus compute_90 PTX) and packs them with
# every shared library they need that is not CUDA's — the ldd closure
# including libstdc++, libgcc_s, glibc and its dynamic loader, Open MPI's and
# PMIx's plugins and help files, OpenBLAS — plus the catalog, the INT4
# decoder of the offloaded-inference step and real/gpu_check.sh, into one archive:
#     out/gpu-bundle/paralab-gpu.tar.gz   (/out/ is git-ignored; < 40 MiB)
# Everything runs through the bundled loader:
#     lib/ld-linux-x86-64.so.2 --library-path lib bin/paralab ...
# so the other machine's glibc does not matter. CUDA's own libraries (libcuda
# from the driver, cudart and cuBLAS from the toolkit) are left out and taken
# from the GPU machine; NCCL is loaded lazily (real/nccl_lazy.h).
#
# Then it checks the bundle on its own: unpacked into a temporary folder, it
# runs `validate --backend host --quick` (calibration, MPI ranks and all)
# through the bundled loader with LD_DEBUG=libs, and fails unless every
# library any of those processes loaded came from the bundle (CUDA's
# excepted).
#
# Environment: BUNDLE_BUILD_DIR (default build-gpu), BUNDLE_SKIP_BUILD=1 to
# pack an existing build, BUNDLE_SKIP_CHECK=1 to skip the self-check.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="${BUNDLE_BUILD_DIR:-build-gpu}"
OUTDIR="$ROOT/out/gpu-bundle"
NAME=paralab-gpu
STAGE="$OUTDIR/$NAME"
ARCHIVE="$OUTDIR/$NAME.tar.gz"
LIMIT_MIB=40
say() { echo "[gpu_bundle $(date -u +%H:%M:%S)] $*"; }
die() { echo "gpu_bundle: error: $*" >&2; exit 1; }

# CUDA's libraries (and the driver's) are the GPU machine's: never bundled.
is_cuda_lib() {
  case "$(basename "$1")" in
    libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*|libnccl.so*|libnvidia-*|libnvrtc*|libcudadebugger*) return 0 ;;
  esac
  return 1
}

if [ "${BUNDLE_SKIP_BUILD:-0}" != 1 ]; then
  say "configure + build $BUILD (Release, sm_90 + compute_90 PTX)"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARALAB_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target paralab real_fast_tests kernels_fast_tests
fi
grep -q '^PARALAB_NCCL_INCLUDE:PATH=/' "$BUILD/CMakeCache.txt" || die "$BUILD was configured without CUDA/NCCL headers"
for b in paralab tests/real_fast_tests tests/kernels_fast_tests; do
  [ -x "$BUILD/$b" ] || die "$BUILD/$b missing"
done
ldd "$BUILD/paralab" | grep -q libcudart || die "$BUILD/paralab does not link cudart: not a CUDA build"

say "stage $STAGE"
rm -rf "$STAGE" "$ARCHIVE"
mkdir -p "$STAGE/bin" "$STAGE/lib/openmpi3" "$STAGE/lib/pmix" "$STAGE/lib/hwloc" "$STAGE/share"
cp "$BUILD/paralab" "$BUILD/tests/real_fast_tests" "$BUILD/tests/kernels_fast_tests" "$STAGE/bin/"
cp "$(readlink -f "$(command -v mpirun)")" "$STAGE/bin/mpirun"
OMPI_PLUGINS=$(ompi_info --path pkglibdir --parsable 2>/dev/null | sed -n 's/^path:pkglibdir://p')
[ -d "$OMPI_PLUGINS" ] || OMPI_PLUGINS=/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3
PMIX_PLUGINS=$(dirname "$(readlink -f /usr/lib/x86_64-linux-gnu/pmix2/lib/libpmix.so.2)")/pmix
cp "$OMPI_PLUGINS"/*.so "$STAGE/lib/openmpi3/"
[ -d "$PMIX_PLUGINS" ] && cp "$PMIX_PLUGINS"/*.so "$STAGE/lib/pmix/"
cp -r /usr/share/openmpi "$STAGE/share/openmpi"
[ -d /usr/lib/x86_64-linux-gnu/pmix2/share ] && cp -r /usr/lib/x86_64-linux-gnu/pmix2/share "$STAGE/share/pmix"
strip --strip-unneeded "$STAGE"/bin/* 2>/dev/null || true

# The ldd closure of every binary and plugin (ldd is already transitive).
: >"$OUTDIR/closure.txt"
for f in "$STAGE"/bin/* "$STAGE"/lib/openmpi3/*.so "$STAGE"/lib/pmix/*.so; do
  ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' >>"$OUTDIR/closure.txt" || true
done
missing=0
while read -r lib; do
  [ -n "$lib" ] || continue
  if is_cuda_lib "$lib"; then continue; fi
  base=$(basename "$lib")
  [ -e "$STAGE/lib/$base" ] || cp -L "$lib" "$STAGE/lib/$base"
done < <(sort -u "$OUTDIR/closure.txt")
for f in "$STAGE"/bin/* "$STAGE"/lib/openmpi3/*.so "$STAGE"/lib/pmix/*.so; do
  if ldd "$f" 2>/dev/null | grep -v -E 'libcuda\.so|libcudart|libcublas|libnccl' | grep -q 'not found'; then
    echo "unresolved in $f:"; ldd "$f" | grep 'not found'; missing=1
  fi
done
[ "$missing" = 0 ] || die "libraries not found here; cannot bundle them"
cp -L /lib64/ld-linux-x86-64.so.2 "$STAGE/lib/ld-linux-x86-64.so.2"
chmod +x "$STAGE/lib/ld-linux-x86-64.so.2"
cp -r catalog "$STAGE/catalog"
mkdir -p "$STAGE/data" && cp tests/data/inference/host-decoder.json "$STAGE/data/"  # the GPU check's INT4 decoder
cp real/gpu_check.sh "$STAGE/gpu_check.sh"
git rev-parse --short=12 HEAD >"$STAGE/GIT_COMMIT" 2>/dev/null || echo unknown >"$STAGE/GIT_COMMIT"
cat >"$STAGE/env.sh" <<'ENV'
# Sourced by gpu_check.sh: run everything through the bundled loader. B = bundle root.
B=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOADER="$B/lib/ld-linux-x86-64.so.2 --library-path $B/lib${PARALAB_EXTRA_LIBS:+:$PARALAB_EXTRA_LIBS}"
export PARALAB_CATALOG="$B/catalog"
export PARALAB_SELF="$LOADER $B/bin/paralab"
export PARALAB_MPIRUN="$LOADER $B/bin/mpirun"
export OPAL_PREFIX="$B" OPAL_LIBDIR="$B/lib" OPAL_PKGLIBDIR="$B/lib/openmpi3" OPAL_PKGDATADIR="$B/share/openmpi"
export OMPI_MCA_mca_base_component_path="$B/lib/openmpi3" PMIX_MCA_mca_base_component_path="$B/lib/pmix"
export PMIX_PREFIX="$B" PMIX_LIBDIR="$B/lib" PMIX_PKGLIBDIR="$B/lib/pmix" PMIX_PKGDATADIR="$B/share/pmix"
# hwloc's plugins (GL, OpenCL, PCI, libxml) would pull X11 and ICU from the
# system; an empty plugin folder keeps hwloc to its built-in components.
export HWLOC_PLUGINS_PATH="$B/lib/hwloc"
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
ENV
say "pack $ARCHIVE"
tar -C "$OUTDIR" -czf "$ARCHIVE" "$NAME"
size=$(stat -c %s "$ARCHIVE")
say "bundle: $(du -sh "$STAGE" | cut -f1) unpacked, $((size / 1024 / 1024)) MiB packed ($(ls "$STAGE/lib" | wc -l) files in lib/)"
[ "$size" -lt $((LIMIT_MIB * 1024 * 1024)) ] || die "archive is $size bytes, over the $LIMIT_MIB MiB limit"

[ "${BUNDLE_SKIP_CHECK:-0}" = 1 ] && exit 0
say "self-check: validate --backend host --quick through the bundled loader, LD_DEBUG=libs"
T=$(mktemp -d /tmp/paralab-bundle-check.XXXXXX)
tar -C "$T" -xzf "$ARCHIVE"
B="$T/$NAME"
mkdir -p "$T/dbg" "$T/scratch"
set +e
(
  cd "$T"  # nothing from the working tree: the bundle alone
  # shellcheck disable=SC1091
  source "$B/env.sh"
  LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/dbg/ld" $LOADER "$B/bin/paralab" validate --backend host --quick \
    --scratch-dir "$T/scratch" --db "$T/check.db" --no-store
) >"$T/validate.txt" 2>&1
rc=$?
set -e
cat "$T/validate.txt"
[ "$rc" = 0 ] || die "bundled validate exited $rc (output above; folder $T)"
# One log per process. A process whose libc came from the bundle is one of
# the bundle's programs (paralab, mpirun, the MPI ranks): all its libraries
# must come from the bundle. A process whose libc is the system's is a system
# tool the run started (std::system's /bin/sh, timeout): those are the GPU
# machine's own programs, listed, not judged.
bundle_procs=0; tool_procs=0; outside=""
: >"$T/loaded.txt"
for log in "$T"/dbg/ld.*; do
  inits=$(grep -h "calling init: " "$log" | sed "s/.*calling init: //" | sort -u || true)
  [ -n "$inits" ] || continue
  if echo "$inits" | grep -q "^$B/lib/libc\.so"; then
    bundle_procs=$((bundle_procs + 1))
    echo "$inits" >>"$T/loaded.txt"
    bad=$(echo "$inits" | { grep -v "^$B/" || true; } | while read -r l; do is_cuda_lib "$l" || echo "$l"; done)
    [ -z "$bad" ] || outside="$outside$bad"$'\n'
  else
    tool_procs=$((tool_procs + 1))
  fi
done
sort -u -o "$T/loaded.txt" "$T/loaded.txt"
say "LD_DEBUG: $bundle_procs bundle processes initialised $(wc -l <"$T/loaded.txt") distinct libraries; $tool_procs system helper processes (sh, timeout) not judged"
[ "$bundle_procs" -gt 0 ] || die "no bundle process in the LD_DEBUG logs"
if [ -n "$outside" ]; then
  echo "libraries loaded from outside the bundle:"; echo "$outside" | sort -u
  die "the bundle is not self-contained (folder $T)"
fi
grep -q "$B/lib/openmpi3/" "$T/loaded.txt" && say "MPI plugins loaded from the bundle: $(grep -c "$B/lib/openmpi3/" "$T/loaded.txt")"
grep -q "$B/lib/libopenblas" "$T/loaded.txt" && say "OpenBLAS loaded from the bundle"
say "OK: every library loaded came from the bundle (CUDA's excepted)"
rm -rf "$T"
