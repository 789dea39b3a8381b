# Stage: the multiplier library the experiment chooses from.


rule build_library:
    output:
        f"{RESULTS}/library.h5",
    input:
        config["library"]["config"] or [],
    params:
        axnn_mult=AXNN_MULT,
        seed=SEED,
        config_arg=lambda wc, input: f"--config {input[0]}" if input else "",
    log:
        f"{RESULTS}/logs/build_library.log",
    benchmark:
        f"{RESULTS}/benchmarks/build_library.tsv"
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    shell:
        "{params.axnn_mult:q} build {params.config_arg} --seed {params.seed} -o {output:q} 2> {log:q}"


rule list_library:
    output:
        f"{RESULTS}/library.txt",
    input:
        rules.build_library.output,
    params:
        axnn_mult=AXNN_MULT,
    log:
        f"{RESULTS}/logs/list_library.log",
    threads: 1
    resources:
        mem_mb=256,
        runtime=1,
    shell:
        "{params.axnn_mult:q} list {input:q} > {output:q} 2> {log:q}"
