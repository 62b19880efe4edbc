"""spark-submit entry point: ``spark-submit [--py-files thresher.zip] jobs/run_recipe.py RECIPE [--set k=v]``.

Runs the same runner as ``thresher run`` with the session spark-submit created:
the recipe's ``spark.master`` is ignored (the cluster decides), its ``spark.conf``
runtime settings still apply.
"""
import os
import sys

try:
    import thresher  # noqa: F401  - installed, or shipped with --py-files
except ImportError:  # run from a source checkout: the repo root holds the packages
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from thresher.jobs.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:], "--submitted"]))
