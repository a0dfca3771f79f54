"""`python -m greencert_cli`: the same as the `greencert` console script."""

import sys

from .main import main

sys.exit(main())
