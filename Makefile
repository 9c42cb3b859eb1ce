# The two commands of the quick start:
#   make run   installs what is missing, builds, runs the main job
#   make test  the same install and build, then the whole default test suite
BUILD ?= build
JOBS  ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build run test test-slow bench bench-compare clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/main-job.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow $(CTEST_ARGS)

test-slow: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L slow $(CTEST_ARGS)

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
	rm -rf $(BUILD)
