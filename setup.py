"""Packages for setuptools: the top-level folders install under ``thresher.``.

The folders operators/, dedup/, scorers/ and jobs/ stay at the repository's top
level (the project's layout) and install as thresher.operators, thresher.dedup,
thresher.scorers and thresher.jobs: generic top-level names would collide on a
cluster's Python path. Everything else is in pyproject.toml.
"""
from setuptools import find_packages, setup

FOLDERS = ("operators", "dedup", "scorers", "jobs")

packages = ["thresher"]
package_dir = {"thresher": "thresher"}
for folder in FOLDERS:
    package_dir[f"thresher.{folder}"] = folder
    packages += [f"thresher.{folder}"] + [f"thresher.{folder}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=package_dir)
