# Stage: the multiplier library the experiment chooses from, composed from the config's library
# sources (built-in families, EvoApproxLib folders, library artifacts, tables). Every file a source
# reads is an input, and the resolved block is a parameter, so changing a source rebuilds the library
# and everything after it.

rule build_library:
    output:
        f"{RESULTS}/library.h5",
    input:
        PLAN.library_files,
    params:
        axnn_mult=AXNN_MULT,
        seed=SEED,
        sets=" ".join(shlex.quote(a) for a in flatten(PLAN.library)),
    log:
        f"{RESULTS}/logs/build_library.log",
    benchmark:
        f"{RESULTS}/benchmarks/build_library.tsv"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=15,
    shell:
        "{params.axnn_mult:q} compose {params.sets} --seed {params.seed} --threads {threads} -o {output:q} 2> {log:q}"


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
