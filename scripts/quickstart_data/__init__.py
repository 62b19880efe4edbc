"""The quickstart corpus generator behind ``scripts/make_quickstart_data.py``.

Modules, in pipeline order: ``sources`` (stdlib text into groups), ``chunking``
(groups into documents, the distinctness index), ``text`` (shingles and the
Gopher rules), ``duplicates`` and ``lowquality`` (the labelled noise), ``build``
(assembling the rows), ``output`` (Parquet, verify, check) and ``readme``.
"""
