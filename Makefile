# dcnn: `make report` and `make test` are all a fresh clone needs; both create .venv when missing.
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
STUDY   ?= study.yaml
BUILD   ?= build
PROFILE ?= demo
# Optional: DATA=dir (profile paper), JOBS=n (runs at once), DEVICE=cpu|cuda, VARIANT=name-or-glob.
ARGS    := --study $(STUDY) --build $(BUILD) --profile $(PROFILE) $(if $(DATA),--data $(DATA)) \
           $(if $(DEVICE),--device $(DEVICE))

.PHONY: report run watch test clean bench mutation

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --progress-bar off -e '.[test,ray,slurm,timm,pandas,tensorboard]'
	touch $(STAMP)

report: $(STAMP)  ## train what is missing, then write build/report.{html,pdf} and build/results.json
	$(PY) -m dcnn report --run-missing $(ARGS) $(if $(JOBS),-j $(JOBS))

watch: $(STAMP)  ## serve build/report.html on localhost while the missing runs train; it reloads itself (Ctrl-C stops)
	$(PY) -m dcnn report --watch --run-missing $(ARGS) $(if $(JOBS),-j $(JOBS))

run: $(STAMP)  ## make run VARIANT=vgg16-freeze-all: that variant's runs (all learning rates and seeds)
	$(PY) -m dcnn run $(VARIANT) $(ARGS) $(if $(JOBS),-j $(JOBS))

test: $(STAMP)  ## the test suite (CPU, a few minutes)
	$(PY) -m pytest -q -n 2 --dist loadgroup

bench: $(STAMP)  ## CPU benchmark: runner vs bare loop, whole study cold and warm
	$(PY) bench/cpu_study.py

mutation: $(STAMP)  ## mutation testing of the analysis code (minutes; not in CI): score and survivors, MUTATION.md
	$(PY) -m pip install --quiet --progress-bar off 'mutmut==3.8.1'
	$(PY) tools/mutation.py

clean:  ## remove the cache and the report (the .venv stays)
	rm -rf $(BUILD)
