"""The one compiled piece: the sanitizer's COPY row loop (replica/data/dumps/native/).

It is optional: without a C compiler the install still succeeds and the sanitizer uses the
pure-Python loop of replica/data/dumps/rows.py (about 3x slower; `invoke staging.db.sanitize` says so).
BLAKE2's reference implementation is vendored, unchanged, in third_party/blake2/.
"""
from setuptools import Extension, setup

NATIVE = "replica/data/dumps/native"
BLAKE2 = "third_party/blake2"

setup(ext_modules=[Extension(
    "replica.data.dumps._copyrows",
    sources=[f"{NATIVE}/copyrows.c"],  # includes blake2b-ref.c: one translation unit
    include_dirs=[BLAKE2],
    depends=[f"{BLAKE2}/blake2b-ref.c", f"{BLAKE2}/blake2.h", f"{BLAKE2}/blake2-impl.h"],
    extra_compile_args=["-O3"],
    optional=True,
)])
