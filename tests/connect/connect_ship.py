"""Ship a model file and a model folder to a Connect server and read them in a Python
worker, then ship a changed file again; prints one JSON line of what the workers read.

    python connect_ship.py sc://127.0.0.1:PORT WORKDIR
"""
from __future__ import annotations

import json
import os
import sys

import pyarrow as pa
from pyspark.sql import SparkSession

from thresher.operators.models import ship_dir, ship_file


def _read(spark, shipped_file, shipped_dir=None) -> str:
    def body(batches):
        text = open(shipped_file.local_path()).read()
        if shipped_dir is not None:
            text += "|" + open(os.path.join(shipped_dir.local_path(), "sub", "cfg.json")).read()
        for batch in batches:
            yield pa.RecordBatch.from_pydict({"v": [text] * batch.num_rows})

    return spark.range(1).mapInArrow(body, "v string").collect()[0]["v"]


def main() -> None:
    url, work = sys.argv[1:]
    spark = SparkSession.builder.remote(url).getOrCreate()
    model = os.path.join(work, "m.bin")
    folder = os.path.join(work, "mdir", "sub")
    os.makedirs(folder)
    with open(model, "w") as f:
        f.write("FILE-V1")
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        f.write("DIR-V1")
    first = _read(spark, ship_file(spark, model), ship_dir(spark, os.path.join(work, "mdir")))
    with open(model, "w") as f:
        f.write("FILE-V2, longer")  # a retrained model at the same path
    second = _read(spark, ship_file(spark, model))
    print(json.dumps({"first": first, "second": second}))


if __name__ == "__main__":
    main()
