"""The old name of framework.checkpoint, kept so that existing code runs: `framework.io` is that module."""
import sys

from . import checkpoint

sys.modules[__name__] = checkpoint
