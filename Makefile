# Thin entry points; the work is in scripts/ (setup, build, test) and the Snakemake workflow.
#   make demo   install what is missing, build, run the default experiment (workflows/configs/)
#   make test   install what is missing, build, run every test
.PHONY: setup build test demo clean

CONFIG ?= workflows/configs/lenet5-fmnist.yaml
CORES  ?= all

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh

test: build
	@scripts/test.sh

demo: build
	.venv/bin/snakemake --profile workflows/profiles/local --configfile $(CONFIG) --cores $(CORES)

clean:
	rm -rf build
