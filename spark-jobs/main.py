"""Entry point for spark-submit: spark-submit [conf...] spark-jobs/main.py --bootstrap ... (see --help).

The package sits next to this file, so it is importable wherever the folder is copied to.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flight_analytics.job import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
