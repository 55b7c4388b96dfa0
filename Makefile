# newswire: the single entry point. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KAFKA  := $(BIN)/python deploy/kafka/kafka_local.py
CONFIG ?= config/newswire.yaml
CHAOS_KILLS ?= 300
SOAK_SECONDS ?= 3600
# The decider's hot modules compiled with mypyc, apart from the sources (see pipeline/compiled.py)
COMPILED := build/compiled/manifest.json
COMPILED_FROM := workers/shingles.py workers/features.py workers/postings.py workers/coverage_terms.py workers/coverage_vectors.py workers/coverage_model.py workers/coverage.py workers/thread.py pipeline/compiled.py

.PHONY: help install compiled kafka-jars kafka-up kafka-down run demo test lint typecheck unit bench chaos soak tools clean chart-schema chart-files

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install newswire (editable) with dev tools

$(COMPILED): $(STAMP) $(COMPILED_FROM)
	mkdir -p build && $(BIN)/python -m pipeline.compiled build build/compiled > build/compiled.log 2>&1 || (tail -20 build/compiled.log; exit 1)
	@echo "compiled the decider into build/compiled (used while it matches the sources)"

compiled: $(COMPILED) ## Compile the decider's hot modules with mypyc into build/compiled (needs a C compiler)

kafka-jars: $(STAMP) ## Assemble Apache Kafka from Maven Central into .cache/
	$(KAFKA) fetch

kafka-up: kafka-jars ## Start a local Kafka 4.x broker (KRaft) on 127.0.0.1; prints its address
	@$(KAFKA) up
	@echo "export NEWSWIRE_BACKEND=kafka NEWSWIRE_KAFKA__BOOTSTRAP_SERVERS=$$($(KAFKA) status)"

kafka-down: ## Stop the local broker
	@$(KAFKA) down

run: install ## Run the main job (poll feeds -> workers -> events) on the embedded backend
	@$(MAKE) --no-print-directory compiled || echo "newswire: no compiled decider (it needs a C compiler); the sources run"
	$(BIN)/newswire --config $(CONFIG) run

demo: install ## Offline demo: serve sample wire sites on 127.0.0.1 and print the story events
	$(BIN)/newswire demo

tools: install ## Install helm, promtool, kubernetes-validate and checkov into .cache/tools
	bash deploy/tools/install.sh

chart-schema: install ## Regenerate the chart's values.schema.json (its settings part comes from newswire/settings.py)
	$(BIN)/python deploy/helm/values_schema.py

chart-files: ## Copy the alert rules and dashboard into the chart (helm reads nothing outside it)
	cp deploy/prometheus/alerts.yml deploy/helm/newswire/files/alerts.yml
	cp deploy/grafana/newswire.json deploy/helm/newswire/files/newswire.json

lint: install ## ruff (lint + format check), import layering (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install ## mypy --strict
	$(BIN)/mypy

test: install kafka-jars tools compiled lint typecheck ## Everything: set-up, lint, types, unit + integration tests on a real broker
	NEWSWIRE_REQUIRE_TOOLS=1 $(BIN)/pytest -q -p no:cacheprovider

unit: install ## Tests that need no broker
	$(BIN)/pytest -q -m "not kafka"

bench: install kafka-jars compiled ## Benchmarks: newswire vs the bare libraries, same run
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run_all.py

chaos: install kafka-jars ## Long chaos run, not in CI: CHAOS_KILLS SIGKILLs (default 300) + broker crashes; CHAOS_SEED replays
	CHAOS_SEED=$(CHAOS_SEED) $(BIN)/python bench/chaos.py --kills $(CHAOS_KILLS)

soak: install kafka-jars ## Steady flow for SOAK_SECONDS (default 3600) on a real broker; RSS and lag to bench/soak-rss-lag.png
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

clean: ## Remove caches and the compiled decider (keeps .venv and the Kafka jars)
	rm -rf .mypy_cache .ruff_cache .pytest_cache var build
