# The README's commands. Each one creates the environment (.venv) itself when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# pytest-xdist workers (2 cores: while one runs a long notebook, the other grades); a worker that
# runs out of tests takes half of what the other has left (--dist worksteal)
TEST_WORKERS ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

HUB_PROXY := build/hub/node_modules/.bin/configurable-http-proxy

.PHONY: help venv test lab demo bench pretrain lint clean hub hub-proxy

help:
	@echo "make test      create .venv if needed and run the whole test suite"
	@echo "make lab       create .venv if needed and open the course in JupyterLab"
	@echo "make demo      release the course and grade a simulated class end to end"
	@echo "make bench     run the benchmarks (prints tables, writes bench/results/)"
	@echo "make pretrain  recreate the course backbones' weights (~15 min on 2 cores)"
	@echo "make hub       run the class's JupyterHub (as root; see 'Running a class' in the README)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[grader,test]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP) hub-proxy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# JupyterHub's proxy, from the npm registry (the class hub test is skipped, saying why, when
# Node.js or npm is missing)
$(HUB_PROXY):
	mkdir -p build/hub
	npm install --silent --no-audit --no-fund --prefix build/hub configurable-http-proxy@4

hub-proxy:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(HUB_PROXY); \
	  else echo "npm not found: the class hub needs configurable-http-proxy (Node.js + npm)"; fi

hub: $(STAMP) hub-proxy
	$(BIN)/jupyterhub -f course/jupyterhub/jupyterhub_config.py

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=. $(ROOT_FLAG)

DEMO_HOSTILE ?= 05_negative_transfer  # a quick notebook (course backbones only): 21 submissions of it

demo: $(STAMP)
	$(BIN)/tl-course release
	rm -rf build/demo_class
	$(BIN)/python -m tl_course.simulate build/demo_class --hostile-on $(DEMO_HOSTILE)
	$(BIN)/tl-course grade build/demo_class --jobs 2 --out build/demo_grades; \
	  status=$$?; echo "Feedback HTML: feedback/<student>/<assignment>/; grades: build/demo_grades/grades.csv"; \
	  test $$status -le 1  # 1 = some submissions could not be graded (the corrupt one, on purpose)
	$(BIN)/python -m tl_course.simulate --check build/demo_grades/grades.csv

bench: $(STAMP)
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/notebooks.py
	$(BIN)/python bench/cached_features.py
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/transfer.py   # the longest: about 1.5 hours on 2 cores (4 targets, 5 seeds)

pretrain: $(STAMP)
	$(BIN)/python -m tl_helpers.pretrain

lint: $(STAMP)
	$(BIN)/ruff check tl_helpers tl_course tests bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
