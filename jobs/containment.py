"""spark-submit entry point for table containment::

    spark-submit [--py-files thresher.zip] jobs/containment.py SOURCE... --out DIR

Runs the same job as ``thresher containment`` with the session spark-submit
created (no master is forced: the cluster decides). Options as the CLI's.
"""
import os
import sys

try:
    import thresher  # noqa: F401  - installed, or shipped with --py-files
except ImportError:  # run from a source checkout: the repo root holds the packages
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from thresher.jobs.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["containment", *sys.argv[1:], "--submitted"]))
