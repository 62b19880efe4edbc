"""Import every built-in operator module, so entry points are not needed.

A thresher shipped as a zip on ``spark-submit --py-files`` has no installed
metadata, hence no entry points; jobs import this module instead.
"""
import dedup.exact  # noqa: F401
import dedup.minhash.operator  # noqa: F401
import operators.select  # noqa: F401
import operators.text  # noqa: F401
import scorers.dfn.operator  # noqa: F401
import scorers.fasttext.operator  # noqa: F401
import scorers.fasttext.train_op  # noqa: F401
import scorers.lm_loss.operator  # noqa: F401
import scorers.preselect.operator  # noqa: F401
