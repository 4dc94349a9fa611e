"""Where the tests find the repository and their data files, wherever a test module sits."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = REPO_ROOT / "tests" / "data"
