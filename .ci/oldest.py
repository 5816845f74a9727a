"""Print pip constraints that pin every floor pyproject.toml declares (dependencies and the test
extra) to exactly that version: `pip install -c <(python .ci/oldest.py) -e ".[test]"` then tests them."""
import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
requirements = project["dependencies"] + project["optional-dependencies"]["test"]
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?>=([0-9.]+)", requirement.replace(" ", ""))
    if match is None:
        sys.exit(f"cannot read a floor from {requirement!r}: write it as name>=version")
    print(f"{match.group(1)}=={match.group(3)}")
