# Flight Data Analytics: one command per job.
#   make demo   the whole pipeline on this machine (embedded Kafka -> producer -> Spark), then a report
#   make test   unit, coherence, synth and end-to-end tests against a real broker and a real Spark
# Everything the commands need is installed by them: Node 24 from npm, a Python venv, Maven jars.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node 24 is a devDependency (npm package `node`); its binary goes first on PATH for every recipe.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
PYTHON_SYSTEM ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .state/stamps

# make demo EVENTS=200000 PARTITIONS=6 [TOPOLOGY=multi-node: 3 controllers + 3 brokers, Spark master + 3 workers; "seed" is its old name]
EVENTS ?= 1000000
PARTITIONS ?= 6
TOPOLOGY ?= single
# make soak SOAK_SECONDS=600 SOAK_RATE=2000 SOAK_TRIGGER_S=5 SOAK_MIN_BATCHES=0 (not part of make test).
# The defaults are the issue's soak: 10 minutes of warm-up (the JIT, the state filling up to the
# watermark; not judged), then 5,900 s at 500 events/s with a 1.9 s trigger, which gives each query of
# the job more than 3,000 micro-batches. 1.9 s, not 1 s: at 1-1.2 s the job's own threads keep the
# 1-minute load near or above 3 on two cores (docs/topology.md#soak), and a trigger that divides 5 s
# aliases with the kernel's load sampling (bench/soak.py LOAD_SAMPLE_PERIOD_S). It fails unless every
# query ran that many batches, unless batch durations, state, checkpoints and memory stayed flat, and
# unless the load rule held (bench/soak.py).
SOAK_SECONDS ?= 5900
SOAK_WARM_UP_S ?= 600
SOAK_RATE ?= 500
SOAK_TRIGGER_S ?= 1.9
SOAK_MIN_BATCHES ?= 3000

.PHONY: help setup schema demo test test-ts test-py synth clean bench-producer bench-spark soak

help:
	@echo "make demo    run the whole pipeline locally (EVENTS=$(EVENTS), PARTITIONS=$(PARTITIONS))"
	@echo "make test    run every test (TypeScript with vitest, Python with pytest)"
	@echo "make synth   npx cdk synth + npx cdk8s synth (no AWS credentials needed)"
	@echo "make bench-producer / make bench-spark   benchmarks, side by side with their peers; JSON in bench/results/"
	@echo "make soak    the pipeline at SOAK_RATE/s for SOAK_SECONDS (default $(SOAK_SECONDS)); memory over time in bench/results/soak.json"
	@echo "make schema  regenerate the producer's types from schema/flight-event.schema.json"
	@echo "make setup   install Node 24 + npm packages, the Python venv and the Maven jars"
	@echo "make clean   remove build output and local state (.state, cdk.out, dist)"

$(STAMPS):
	@mkdir -p $@

# npm ci runs under whatever node is on the machine (>= 18); it installs Node 24 itself.
$(STAMPS)/npm: package.json package-lock.json | $(STAMPS)
	npm ci --no-audit --no-fund
	@node --version | grep -q '^v24\.' || { echo "error: node_modules/.bin/node is $$(node --version), expected v24 (package 'node' in package.json)"; exit 1; }
	@touch $@

$(STAMPS)/venv: spark-jobs/requirements.txt | $(STAMPS)
	@$(PYTHON_SYSTEM) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python >= 3.11 is needed, found " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r spark-jobs/requirements.txt
	@touch $@

# cfn-lint and checkov for the synthesised templates, in their own venv: checkov pins libraries pyspark also uses.
$(STAMPS)/lint-venv: test/lint/requirements.txt | $(STAMPS)
	test -x .venv-lint/bin/python || $(PYTHON_SYSTEM) -m venv .venv-lint
	.venv-lint/bin/python -m pip install --quiet --disable-pip-version-check -r test/lint/requirements.txt
	@touch $@

$(STAMPS)/jars: $(STAMPS)/venv versions.json local/kafka/pom.xml local/spark/pom.xml local/jmx-exporter/pom.xml | $(STAMPS)
	$(PY) -m local.jars
	@touch $@

# Debian packages the tests start: prometheus (the observability test's server) and chromium (the
# demo report's headless render test). The binaries are named as the packages; apt-get needs root.
TEST_DEBS := prometheus chromium
$(STAMPS)/debs: | $(STAMPS)
	@missing="$$(for deb in $(TEST_DEBS); do command -v $$deb >/dev/null || echo $$deb; done | xargs)"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "error: the tests need the Debian package(s) '$$missing'; as root: apt-get install -y --no-install-recommends $$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

# What the pipeline needs to run (demo, benchmarks, soak); `make test` adds the lint venv.
RUNTIME := $(STAMPS)/npm $(STAMPS)/venv $(STAMPS)/jars

setup: $(RUNTIME) $(STAMPS)/lint-venv

schema: $(STAMPS)/npm
	npx tsx schema/generate-types.ts

demo: $(RUNTIME)
	$(PY) -m local.demo --events $(EVENTS) --partitions $(PARTITIONS) --topology $(TOPOLOGY)

synth: $(STAMPS)/npm
	npx cdk synth --quiet
	npx cdk8s synth

test-ts: $(STAMPS)/npm $(STAMPS)/lint-venv
	npx tsc --noEmit
	npx vitest run

test-py: $(STAMPS)/venv $(STAMPS)/jars $(STAMPS)/npm $(STAMPS)/debs
	$(PY) -m pytest

test: setup
	@status=0; \
	$(MAKE) --no-print-directory test-ts || status=1; \
	$(MAKE) --no-print-directory test-py || status=1; \
	exit $$status

# Benchmarks: not part of make test (they are long and need a quiet machine to mean much).
$(STAMPS)/bench-venv: bench/requirements.txt $(STAMPS)/venv | $(STAMPS)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@touch $@

bench-producer: $(RUNTIME) $(STAMPS)/bench-venv
	$(PY) -m bench.producer_bench

bench-spark: $(RUNTIME)
	$(PY) -m bench.spark_bench

soak: $(RUNTIME)
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS) --warm-up-s $(SOAK_WARM_UP_S) --rate $(SOAK_RATE) --trigger-s $(SOAK_TRIGGER_S) --min-batches $(SOAK_MIN_BATCHES)

clean:
	rm -rf .state cdk.out dist
