# Stage: the data set, imported once per experiment (every sweep point shares it).


rule import_dataset:
    output:
        f"{RESULTS}/dataset.h5",
    params:
        axnn_data=axnn("data"),
        name=config["dataset"]["name"],
        source=config["dataset"]["source"],
        val_fraction=config["dataset"]["val_fraction"],
        limit_train=config["dataset"]["limit_train"],
        limit_test=config["dataset"]["limit_test"],
        seed=SEED,
    log:
        f"{RESULTS}/logs/import_dataset.log",
    benchmark:
        f"{RESULTS}/benchmarks/import_dataset.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{params.axnn_data:q} {params.name} {params.source:q} -o {output:q} --seed {params.seed}"
        " --val-fraction {params.val_fraction} --limit-train {params.limit_train} --limit-test {params.limit_test}"
        " 2> {log:q}"


rule environment:
    """The software that runs the experiment (environment.json): axnn's build, the Python packages, the
    Debian packages, the machine. Re-made when the lock file or axnn's version changes."""
    input:
        lock=os.path.join(workflow.basedir, "scripts", "python-requirements.lock"),
        debian=os.path.join(workflow.basedir, "scripts", "debian-packages.txt"),
    output:
        f"{RESULTS}/environment.json",
    params:
        axnn_inspect=axnn("inspect"),
        version=axnn_version(),
    log:
        f"{RESULTS}/logs/environment.log",
    threads: 1
    script:
        "../scripts/environment.py"
