"""Is the .venv exactly requirements/lock.txt? Prints the differences; exit 1 when there are any.

Run by scripts/test with the .venv's Python, so CI tests what the lock says and a dependency added to
pyproject.toml without regenerating the lock (scripts/lock) is caught.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions
from pathlib import Path

IGNORED = {"jingzhun", "pip", "setuptools", "wheel"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    lock_path = Path(__file__).resolve().parents[2] / "requirements" / "lock.txt"
    locked: dict[str, str] = {}
    for line in lock_path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            locked[norm(name)] = version.strip()
    installed = {norm(d.metadata["Name"]): d.version for d in distributions() if norm(d.metadata["Name"]) not in IGNORED}
    problems = [f"  {name}: installed {installed.get(name, '-')}, lock {locked.get(name, '-')}"
                for name in sorted(set(locked) | set(installed)) if installed.get(name) != locked.get(name)]
    if problems:
        print("The .venv differs from requirements/lock.txt (run scripts/lock after changing dependencies):")
        print("\n".join(problems))
        return 1
    print(f"{len(installed)} packages, as locked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
