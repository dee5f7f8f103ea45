"""loka-stratum: a Bitcoin Stratum V1 mining pool and proxy."""

__version__ = "0.1.0"
