#!/usr/bin/env python
"""Django's command-line utility for the storefront."""

import os
import sys
from pathlib import Path

# The project package lives in the plain folder `site/` (a package named `site`
# cannot be imported: the standard library's `site` module wins), so put that
# folder on the path before Django looks for `storefront.settings`.
sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
