# The two commands of the quick start:
#   make run   installs what is missing, builds, runs the main job
#   make test  the same install and build, then the whole default test suite
BUILD ?= build
JOBS  ?= $(shell nproc)
CTEST_ARGS ?=

# Reliability (need `scripts/install-deps.sh --slow`: SimGrid, clang 14):
#   make fuzz       every libFuzzer target FUZZ_SECONDS (60) each, in build-fuzz
#   make test-asan  the fast tier under AddressSanitizer + UBSan, in build-asan
#   make test-tsan  the tests of threaded code under ThreadSanitizer, in build-tsan
#   make test-slow  the slow tier, a 10 s fuzz run of every target, then
#                   test-asan and test-tsan (each its own clang build tree)
CLANG_CC  ?= clang-14
CLANG_CXX ?= clang++-14
FUZZ_SECONDS ?= 60
# -Werror where CI builds (WERROR=OFF to turn it off locally).
WERROR ?= ON
# Build type "Sanitize" adds no flags of its own (the ones below are all).
# CUDA stays out of the sanitizer and fuzz builds: nvcc does not take
# clang's -fsanitize flags, and there is no GPU to run it on there.
SAN_CMAKE = -G Ninja -DCMAKE_C_COMPILER=$(CLANG_CC) -DCMAKE_CXX_COMPILER=$(CLANG_CXX) \
  -DCMAKE_BUILD_TYPE=Sanitize -DPARALAB_CUDA=OFF
SAN_COMMON = -O1 -gline-tables-only -fno-omit-frame-pointer
ASAN_FLAGS = $(SAN_COMMON) -fsanitize=address,undefined -fno-sanitize-recover=undefined
TSAN_FLAGS = $(SAN_COMMON) -fsanitize=thread
# The threaded code: host executor (real), experiment runner, planner outer
# loop; the CLI tests run sweeps with -j. Only their programs are built.
TSAN_LABELS ?= ^real$$|^planners$$|^experiments$$|^tools$$
TSAN_TARGETS ?= paralab real_fast_tests planners_fast_tests experiments_fast_tests tools_fast_tests

.PHONY: all deps deps-slow configure build run test test-slow bench bench-compare clean fuzz fuzz-build test-asan test-tsan

all: build

deps:
	@bash scripts/install-deps.sh

deps-slow:
	@bash scripts/install-deps.sh --slow

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DPARALAB_WERROR=$(WERROR)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/main-job.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow $(CTEST_ARGS)

test-slow: deps-slow build
	cmake -S . -B $(BUILD) >/dev/null  # finds SimGrid if it was just installed
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L slow $(CTEST_ARGS)
	$(MAKE) fuzz FUZZ_SECONDS=10
	$(MAKE) test-asan
	$(MAKE) test-tsan

fuzz-build: deps-slow
	cmake -S . -B build-fuzz $(SAN_CMAKE) -DPARALAB_FUZZ=ON \
	  -DCMAKE_CXX_FLAGS="$(SAN_COMMON) -fsanitize=address,undefined -fno-sanitize-recover=undefined"
	cmake --build build-fuzz -j $(JOBS) --target fuzz_all

fuzz: fuzz-build
	bash scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

test-asan: deps-slow
	cmake -S . -B build-asan $(SAN_CMAKE) -DCMAKE_CXX_FLAGS="$(ASAN_FLAGS)" -DCMAKE_C_FLAGS="$(ASAN_FLAGS)"
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow $(CTEST_ARGS)

test-tsan: deps-slow
	cmake -S . -B build-tsan $(SAN_CMAKE) -DCMAKE_CXX_FLAGS="$(TSAN_FLAGS)" -DCMAKE_C_FLAGS="$(TSAN_FLAGS)"
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TARGETS)
	cd build-tsan && TSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow -L '$(TSAN_LABELS)' $(CTEST_ARGS)

bench: build
	@for b in $(BUILD)/bench/*_bench; do echo "== $$b"; $$b; done

# The simulator's Google Benchmark figures against bench/reference/sim_bench.json
# (CPU time per iteration, by ratio; meaningful on the machine that wrote the
# reference). Refresh: the same with BENCH_COMPARE_ARGS=--update.
BENCH_FILTER ?= BM_EventCoreChain|BM_FlowSolverFatTree/20/8|BM_FlowSolverCollectives
BENCH_COMPARE_ARGS ?=
bench-compare: build
	$(BUILD)/bench/sim_bench --benchmark_filter='$(BENCH_FILTER)' --benchmark_repetitions=3 \
	  --benchmark_report_aggregates_only=false --benchmark_out=$(BUILD)/sim_bench.json --benchmark_out_format=json
	python3 bench/compare_bench.py bench/reference/sim_bench.json $(BUILD)/sim_bench.json $(BENCH_COMPARE_ARGS)

clean:
	rm -rf $(BUILD) build-fuzz build-asan build-tsan
