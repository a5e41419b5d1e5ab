"""Where the labelled development set lives: shared/ beside the checkout (as in CI), or HAMANDISHI_DEV_SET."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = Path(os.environ.get("HAMANDISHI_DEV_SET", ROOT.parent / "shared" / "data" / "dev_suggestions.jsonl"))
