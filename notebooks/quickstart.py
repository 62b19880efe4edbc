# Databricks notebook source
# MAGIC %md
# MAGIC # thresher quickstart
# MAGIC Runs `recipes/quickstart.yaml` through the Python API and shows what was kept,
# MAGIC what was dropped and why. On Databricks, install thresher on the cluster first
# MAGIC (`%pip install /path/to/thresher-*.whl`); locally, `make quickstart` does the same run.

# COMMAND ----------

import os

from thresher import Recipe, run

try:  # Databricks gives `spark` and `display`; locally, start Spark and print instead.
    spark  # noqa: B018
except NameError:
    from thresher.operators.session import get_or_create_session
    spark = get_or_create_session(master="local[*]")
try:
    display  # noqa: B018
except NameError:
    def display(df):
        df.show(30, truncate=80)

# COMMAND ----------

# The repo root: where this notebook's folder sits (Databricks Repos sets the cwd to it).
repo = os.environ.get("THRESHER_REPO") or os.path.dirname(os.path.abspath(
    globals().get("__file__", os.path.join(os.getcwd(), "notebooks", "quickstart.py"))))
repo = repo[: -len("/notebooks")] if repo.endswith("/notebooks") else repo
out = os.environ.get("THRESHER_NOTEBOOK_OUT", os.path.join(repo, "out", "notebook"))

recipe = Recipe.from_yaml(os.path.join(repo, "recipes", "quickstart.yaml"), overrides=[
    f"output.path={out}/kept", f"output.rejects={out}/rejects", f"output.stats={out}/stats",
])
print(recipe.describe())

# COMMAND ----------

result = run(recipe, spark=spark)

# COMMAND ----------

# MAGIC %md Per-step stats: rows in, kept, dropped by reason, seconds.

# COMMAND ----------

display(result.stats.select("step", "op", "rows_in", "rows_out", "dropped", "dropped_by_reason", "seconds"))

# COMMAND ----------

# MAGIC %md Why documents were dropped, with the evidence.

# COMMAND ----------

from pyspark.sql import functions as F  # noqa: E402

display(result.rejects.groupBy("drop_reason").agg(F.count("*").alias("rows"),
                                                  F.first("drop_detail").alias("example"))
        .orderBy(F.desc("rows")))

# COMMAND ----------

display(result.output.select("id", F.substring("text", 1, 120).alias("text")).limit(10))
