# BatchNorm Lab, following Streamlit's Docker deployment guide.
# Build: docker build -t batchnorm-lab .    Run: docker run -p 8501:8501 batchnorm-lab
# Several replicas behind nginx with sticky sessions: deploy/compose.yaml (see README, "Deploying").
FROM python:3.11-slim

WORKDIR /app

# One BLAS thread per server: concurrent sessions share the cores, and multithreaded matrix products in the
# training lab slow down badly under contention.
ENV OPENBLAS_NUM_THREADS=1

RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py ./
COPY pages ./pages
COPY bn_core ./bn_core
COPY ui ./ui
COPY lessons ./lessons
COPY charts ./charts
COPY .streamlit ./.streamlit

EXPOSE 8501

# Healthy once the home page has run in a throwaway session (Streamlit's script health check): a script that fails
# to start keeps the replica out of nginx (compose.yaml waits for it), and the replica has imported numpy, pandas and
# Altair before its first visitor (that visitor's first render: Demo 2.5 -> 1.7 s, Deep networks 3.0 -> 1.9 s here).
# The endpoint answers "ok"; without the option Streamlit would answer it with its front end's HTML.
ENV STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED=true
HEALTHCHECK --start-period=60s --start-interval=2s \
    CMD curl --fail --silent http://localhost:8501/_stcore/script-health-check | grep -qx ok

ENTRYPOINT ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
