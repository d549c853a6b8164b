#!/usr/bin/env python3
"""Build the search index: ``python scripts/build_index.py --corpus corpus --index index``.

The same as the console command ``hsqa-build-index``; the work is in ``service.ingest.indexer``.
"""

import sys

from service.ingest.indexer import main

if __name__ == "__main__":
    sys.exit(main())
