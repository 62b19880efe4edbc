"""The child process of one fastText training (``train._train_in_child``):

    python -m thresher.scorers.fasttext.train_child TRAIN_FILE CONFIG_JSON OUT
"""
from __future__ import annotations

import json
import sys

from thresher.scorers.fasttext.train import train_and_save

if __name__ == "__main__":
    train_file, config, out = sys.argv[1:4]
    train_and_save(train_file, json.loads(config), out)
