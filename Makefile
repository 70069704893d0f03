# copydesk: `make demo` runs the pipeline on a local broker, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv lock test test-unit test-integration test-faults test-faults-short quality demo demo-stop broker broker-stop tools clean

LOCK := requirements.lock

# Exactly the versions and files CI tested: every dependency (and the test extras) from the lock
# file, each checked against its hashes, then copydesk itself without resolving anything.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

# Re-resolve the lock file from pyproject.toml's bounded ranges (for Python 3.11; pip-tools runs in
# a venv of its own), e.g. after changing a dependency. Commit the result.
lock:
	test -x .cache/pip-tools/bin/pip-compile || { $(PYTHON) -m venv .cache/pip-tools && .cache/pip-tools/bin/pip install -q 'pip-tools>=7.4,<8'; }
	PIP_FIND_LINKS= .cache/pip-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-find-links --extra test --output-file $(LOCK) pyproject.toml

# Debian tools the tests use (prometheus, promtool, kcat); installed when missing and we may (root), else the
# tests that need them skip and say why.
tools:
	@bash deploy/ensure-tools.sh

test: venv tools
	env -u KAFKA_BOOTSTRAP_SERVERS $(PY) -m pytest -q -p no:cacheprovider --ignore=tests/faults tests

test-unit: venv
	$(PY) -m pytest -q -m "not integration" --ignore=tests/faults tests

test-integration: venv
	env -u KAFKA_BOOTSTRAP_SERVERS $(PY) -m pytest -q -m integration --ignore=tests/faults tests

# Workers killed with SIGKILL (COPYDESK_FAULT_ROUNDS, default 10, over COPYDESK_FAULT_MESSAGES,
# default 2000), a broker stopped and started, a rebalance, lost and corrupt local state, a site-lines
# owner killed and started on empty state (tests/faults/test_sitelines_restore.py); the others each
# prints a line "FAULTS <test>: ..." with its figures. Minutes, not seconds: not part of `make test`.
test-faults: venv
	env -u KAFKA_BOOTSTRAP_SERVERS $(PY) -m pytest -q -s -p no:cacheprovider tests/faults

# The shorter version CI runs after `make test` (about 70 s): three kill -9 rounds over 300 messages
# and 30 identical resends.
test-faults-short: venv
	env -u KAFKA_BOOTSTRAP_SERVERS COPYDESK_FAULT_ROUNDS=3 COPYDESK_FAULT_MESSAGES=300 \
		$(PY) -m pytest -q -s -p no:cacheprovider tests/faults -k kill_9

# Extraction quality on the annotated pages, beside bare trafilatura (see bench/quality.py); then
# re-crawls, updates and syndicated copies of them through `copydesk process`, before and after
# (bench/recrawl.py).
quality: venv
	$(PY) bench/quality.py
	$(PY) bench/recrawl.py

demo: venv
	@bash deploy/demo.sh

demo-stop:
	@bash deploy/demo.sh stop

broker:
	@bash deploy/kafka/broker.sh start

broker-stop:
	@bash deploy/kafka/broker.sh stop

clean:
	rm -rf var .pytest_cache

# Throughput, latency, framework tax, scaling, dedup cost and memory, as ratios measured side by side;
# one table, JSON under bench/results/ (see bench/README.md). About 20 minutes; BENCH_QUICK=1 about 3.
# Starts and stops its own Kafka broker (port BENCH_KAFKA_PORT, default 59092). Profiles with py-spy when installed.
.PHONY: bench
bench: venv
	env -u KAFKA_BOOTSTRAP_SERVERS $(PY) bench/run.py
