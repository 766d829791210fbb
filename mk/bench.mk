# The benchmark suite (issue 7, docs/benchmarks.md): what a task, a host and a
# fleet cost, side by side with hand-written ansible.builtin.uri tasks.
# Included by the main Makefile (ROOT, BUILD, BIN, SYNC_ARCHIVE come from it).
#   make bench         every section at full size: about 45 minutes; boots up to
#                      10 lab hosts (tests/lab/lab.sh --name bench --subnet 10.77.6;
#                      root, systemd-nspawn) and stops them at the end
#   make bench-smoke   every section at tiny sizes, the fleet on local simulators:
#                      about 2 minutes (tests/bench/test_bench_smoke.py runs it in make test)
#   make bench BENCH_ARGS='--only per_task api_calls'   some sections only

BENCH_ARGS ?=

.PHONY: bench
bench: venv sync-archive ## the benchmark suite -> build/bench/results.{json,md} (about 45 min, lab hosts, root)
	SYNC_ARCHIVE=$(SYNC_ARCHIVE) $(BIN)/python $(ROOT)/tests/bench/bench.py --out $(BUILD)/bench $(BENCH_ARGS)

.PHONY: bench-smoke
bench-smoke: venv sync-archive ## the benchmark at tiny sizes -> build/bench-smoke/results.{json,md} (about 2 min)
	SYNC_ARCHIVE=$(SYNC_ARCHIVE) $(BIN)/python $(ROOT)/tests/bench/bench.py --smoke --out $(BUILD)/bench-smoke $(BENCH_ARGS)
