"""The one compiled piece: the sanitizer's COPY row loop (replica/data/native/).

It is optional: without a C compiler the install still succeeds and the sanitizer uses the
pure-Python loop of replica/data/rows.py (about 3x slower; `invoke staging.db.sanitize` says so).
"""
from setuptools import Extension, setup

NATIVE = "replica/data/native"

setup(ext_modules=[Extension(
    "replica.data._copyrows",
    sources=[f"{NATIVE}/copyrows.c"],  # includes blake2b-ref.c: one translation unit
    depends=[f"{NATIVE}/blake2b-ref.c", f"{NATIVE}/blake2.h", f"{NATIVE}/blake2-impl.h"],
    extra_compile_args=["-O3"],
    optional=True,
)])
