"""The ``jingzhun`` command: Django's management commands under the project's own name.

``jingzhun import FILE``, ``jingzhun export``, ``jingzhun template``, ``jingzhun generate``, ``jingzhun demo`` …
are management commands in the domain apps; anything else Django knows (``migrate``, ``runserver``) works too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jingzhun", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
