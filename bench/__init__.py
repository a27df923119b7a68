"""``make bench``: performance and cost figures for the service, measured side by side.

Every figure is measured beside its floor in the same run (these machines are noisy), printed
as it is measured with its target, and written to ``docs/benchmarks.md`` with a chart of the main
ratios (``bench/benchmarks.svg``). Nothing here touches real AWS: the functions run against moto
(in process, or moto server for the cold-start subprocesses). Benchmarks never fail the test
suite: a missed target is reported, not raised; ``make test`` only runs every section on a tiny input
(``--smoke``, tests/bench/test_bench_smoke.py) to check that it runs.

Sections (``python -m bench --only cold,calls``; ``--quick`` for fewer repetitions):

- ``cold``: cold start of every function against its floor, judged on CPU time (:mod:`bench.cold_start`)
- ``snapstart``: SnapStart simulated, first request after a fork of a primed process (:mod:`bench.snapstart`)
- ``calls``: AWS calls per operation, and the warm figures the cost model uses (:mod:`bench.calls`)
- ``scaling``: 100 versus 100,000 items (:mod:`bench.scaling`)
- ``delivery``: delivery throughput and signing cost (:mod:`bench.delivery`)
- ``cost``: the AWS cost model (:mod:`bench.cost`)
- ``events``: GET /events at 100 versus 100,000 events (:mod:`bench.event_log`)
- ``local``: the local runtime's latency and memory at 100 and 10,000 items (:mod:`bench.local_runtime`)
"""
