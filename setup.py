"""Packaging beyond pyproject.toml: the published schemas/ folder ships as ctask_sync.schemas.

schemas/*.json is the one copy: editors and users point at it in the repository, and the package
reads it as data through importlib.resources (editable installs, `pip install .` and wheels)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["ctask_sync*"]), "ctask_sync.schemas"],
    package_dir={"ctask_sync.schemas": "schemas"},
    package_data={"ctask_sync": ["py.typed"], "ctask_sync.schemas": ["*.json"]},
)
