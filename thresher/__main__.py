"""``python -m thresher ...``: the same command line as ``thresher ...``."""
import sys

from thresher.jobs.cli import main

sys.exit(main())
