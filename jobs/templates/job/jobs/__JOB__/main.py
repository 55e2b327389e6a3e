"""Entry script of the __JOB__ job (Glue ScriptLocation / spark-submit application).

All code and the default config.yml come from code.zip, shipped with --extra-py-files (Glue)
or --py-files (EMR, spark-submit).
"""

import sys

try:
    from __JOB__.cli import main
except ImportError:
    # Development convenience: run straight from the source tree without building code.zip.
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here / "src"), str(here.parent / "common" / "src")]  # the job, jobs/common
    from __JOB__.cli import main

sys.exit(main(sys.argv[1:]))
