"""MinHash near-duplicate dedup: config, shingle hashing, signatures, band keys.

The signature stage runs on Arrow batches of already normalised text
(:func:`compute_signatures`); the LSH and connected-components stages come later.
"""
from thresher.dedup.minhash.bands import band_hashes
from thresher.dedup.minhash.config import MinHashConfig, optimal_bands_rows
from thresher.dedup.minhash.hashing import shingle_hash32
from thresher.dedup.minhash.reference import reference_shingles
from thresher.dedup.minhash.signatures import EMPTY_HASH, compute_signatures

__all__ = ["EMPTY_HASH", "MinHashConfig", "band_hashes", "compute_signatures",
           "optimal_bands_rows", "reference_shingles", "shingle_hash32"]
