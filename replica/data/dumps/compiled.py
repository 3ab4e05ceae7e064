"""The compiled helpers of replica/data/dumps/native, or None where the install had no C compiler."""
try:
    from . import _copyrows as copyrows
except ImportError:
    copyrows = None
