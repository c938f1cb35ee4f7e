"""supplier-audit: a nightly supplier-quality and counterfeit-risk audit for online merchants."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("supplier-audit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
