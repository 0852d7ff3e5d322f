"""The C loops of aligner/dtw.py; everything else about the package is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[Extension("aligner._kernels", ["aligner/_kernels.c"], extra_compile_args=["-O3"])]
)
