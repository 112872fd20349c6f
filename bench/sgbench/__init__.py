"""sgbench: the benchmark harness of spyglass (bench/).

Runs spyglass, py-spy and austin side by side on the same small target
programs and prints figures (never pass/fail). One module per job:

    environment  interpreters (pyenv 3.9-3.13), CPUs, machine facts
    peers        finding py-spy and austin, installing them with pip if missing
    profilers    one adapter per profiler: attach command line, output parser
    runner       starting targets and profilers, CPU and syscall accounting
    table        fixed-width tables and "n/a (reason)" cells
    bench_*      the five benchmarks of issue 2, each runnable alone
    main         command line, the combined report, JSON results
"""
