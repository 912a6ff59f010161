"""python -m flight_analytics --help (with spark-jobs/ on PYTHONPATH)."""
import sys

from flight_analytics.job import main

sys.exit(main())
