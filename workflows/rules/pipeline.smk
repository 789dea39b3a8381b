# The pipeline's rules: one per step of config["steps"] (planned by axnn_workflow.planner), the
# evaluation of every model a step makes, and the report over every sweep point.
# On a cluster, a training step and the short steps after it (group_jobs) run as one job.


for _i, _s in enumerate(STEPS):

    rule:
        name:
            f"step_{_s['name']}"
        input:
            unpack(functools.partial(step_inputs, _i)),
        output:
            f"{RESULTS}/{{point}}/{_s['name']}.h5",
        wildcard_constraints:
            point="|".join(re.escape(p) for p in PLAN.point_of[_i]),
        params:
            # The command depends on input paths, which Snakemake does not track as a parameter;
            # the signature (settings, seed, model, ...) is, so changing a step's config re-runs it.
            signature=functools.partial(step_signature, _i),
            command=functools.partial(step_command, _i),
        log:
            f"{RESULTS}/{{point}}/logs/{_s['name']}.log",
        benchmark:
            f"{RESULTS}/{{point}}/benchmarks/{_s['name']}.tsv"
        group:
            job_group(_i)
        threads: PLAN.job_threads(_i)
        resources:
            **PLAN.resources(_i),
        shell:
            "{params.command} > {log:q} 2>&1"

    if _i in PLAN.model_steps:

        rule:
            """Test-split metrics of the step's model (the accuracy of each stage in the report)."""
            name:
                f"evaluate_{_s['name']}"
            input:
                model=f"{RESULTS}/{{point}}/{_s['name']}.h5",
                dataset=f"{RESULTS}/dataset.h5",
            output:
                f"{RESULTS}/{{point}}/{_s['name']}.metrics.json",
            wildcard_constraints:
                point="|".join(re.escape(p) for p in PLAN.point_of[_i]),
            params:
                axnn_eval=axnn("eval"),
            log:
                f"{RESULTS}/{{point}}/logs/{_s['name']}.eval.log",
            group:
                job_group(_i)
            threads: 2
            resources:
                mem_mb=4000,
                runtime=10,
                serial=1,
            shell:
                "{params.axnn_eval:q} -m {input.model:q} -d {input.dataset:q} --json {output:q} --threads 2 > {log:q} 2>&1"


rule report:
    """summary.csv / summary.md (one row per sweep point), the plots and a self-contained report.html;
    marked for Snakemake's own report (snakemake --report report.zip)."""
    input:
        report_inputs,
        environment=f"{RESULTS}/environment.json",
    output:
        csv=report(f"{RESULTS}/summary.csv", caption="../report/summary.rst", category="Results"),
        md=f"{RESULTS}/summary.md",
        html=report(f"{RESULTS}/report.html", caption="../report/axnn-report.rst", category="Results"),
        pareto=report(f"{RESULTS}/plots/pareto.png", caption="../report/pareto.rst", category="Plots"),
        layers=report(f"{RESULTS}/plots/layers.png", caption="../report/layers.rst", category="Plots"),
        curves=report(f"{RESULTS}/plots/curves.png", caption="../report/curves.rst", category="Plots"),
        times=report(f"{RESULTS}/plots/times.png", caption="../report/times.rst", category="Plots"),
    params:
        experiment=config["experiment"],
        plan=PLAN.report_plan(),
        config=config,
    log:
        f"{RESULTS}/logs/report.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/report.py"
