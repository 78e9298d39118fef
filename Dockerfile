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

HEALTHCHECK CMD curl --fail http://localhost:8501/_stcore/health

ENTRYPOINT ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
