"""Import every built-in operator module, so entry points are not needed.

A thresher shipped as a zip on ``spark-submit --py-files`` has no installed
metadata, hence no entry points; jobs import this module instead.
"""
import thresher.dedup.exact  # noqa: F401
import thresher.dedup.minhash.operator  # noqa: F401
import thresher.operators.select  # noqa: F401
import thresher.operators.text  # noqa: F401
import thresher.scorers.dfn.operator  # noqa: F401
import thresher.scorers.fasttext.operator  # noqa: F401
import thresher.scorers.fasttext.train_op  # noqa: F401
import thresher.scorers.lm_loss.operator  # noqa: F401
import thresher.scorers.preselect.operator  # noqa: F401
