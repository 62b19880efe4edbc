"""Table containment (R2D2, SIGMOD'24): which tables of a lake hold only rows of another.

Three pruning stages, each cheaper than the next: the schema graph (schema_graph.py),
metadata statistics (prune.py), then content (content.py: a sample test for pairs of
big tables, then exact verification, each reading every table once for all of its
pairs: shared_scan.py, sample_test.py, exact_check.py). Example::

    from thresher.dedup.containment import find_containment
    result = find_containment(["/lake"], out="/tmp/contain", plan=True)
    print(result.summary())
    df = rebuild(spark, result.plan["deleted"][0], out_dir=result.out)   # a deleted table again
"""
from thresher.dedup.containment.config import ContainmentConfig
from thresher.dedup.containment.edges import Edge
from thresher.dedup.containment.job import ContainmentResult, find_containment
from thresher.dedup.containment.plan import PlanConfig
from thresher.dedup.containment.rebuild import rebuild

__all__ = ["ContainmentConfig", "ContainmentResult", "Edge", "PlanConfig", "find_containment", "rebuild"]
