"""`python -m framework`: runs the command line (framework.cli)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
