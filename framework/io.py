"""The old name of framework.checkpoint, kept for code written against it (and the API contract):
`framework.io` is that module. The project's own code imports framework.checkpoint."""
import sys

from . import checkpoint

sys.modules[__name__] = checkpoint
