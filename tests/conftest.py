"""Settings every test shares. Library and lesson tests import no streamlit; the AppTest fixtures live in
tests/pages/conftest.py."""

import os

# One BLAS thread, as the Dockerfile sets for the server: on 2 busy cores a multithreaded matrix product in the
# training lab can be 50x slower than a single-threaded one. Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
