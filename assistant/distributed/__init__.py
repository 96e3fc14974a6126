"""Builds and evaluations spread over a Ray cluster: the same index and the same reports as on one machine.

In: a corpus to build (`ray_build.build_index_on_ray`), or question sets × configurations to evaluate
(`ray_eval.compare_on_ray`). Out: what `index.build.build_index` and `evaluation.evaluate.compare` give.
Ray is an optional extra (`pip install 'faq-assistant[ray]'`) imported only by `cluster.connect`: nothing
else in the package imports this sub-package unless `--ray` is asked.
"""
