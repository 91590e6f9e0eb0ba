# autopkg: one image for the API (`autopkg serve`) and the workers (`autopkg worker`).
# Installs exactly the locked dependency tree (requirements.lock, with hashes).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AUTOPKG_DATA_DIR=/var/lib/autopkg

RUN useradd --system --create-home --home-dir /var/lib/autopkg autopkg

WORKDIR /opt/autopkg
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --no-deps .

USER autopkg
EXPOSE 8000
CMD ["autopkg", "serve", "--host", "0.0.0.0", "--port", "8000"]
