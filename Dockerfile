# ChargeLock: the chargelock program and its simulators (pilesim,
# vehicle-feeder) on debian:12-slim. Used by docker-compose.yml for the OCPP
# nodes, the API processes and the simulators; see docs/deployment.md.
#   docker build -t chargelock .

# ---- build: the same Debian 12 packages scripts/setup.sh installs
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-ev libev-dev \
        rapidjson-dev libssl-dev libfmt-dev libcurl4-openssl-dev libpqxx-dev ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Release build without the test suite (tests run in CI, not in the image).
RUN rm -rf build && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCHARGELOCK_BUILD_TESTS=OFF \
    && cmake --build build -j"$(nproc)" --target chargelock pilesim vehicle-feeder \
    && strip --strip-debug build/app/chargelock build/simulators/pilesim \
        build/simulators/vehicle-feeder

# ---- runtime: shared libraries only, no compiler
FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libwebsockets17 libwebsockets-evlib-ev libev4 libpqxx-6.4 libfmt9 libssl3 libpq5 libcurl4 \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin chargelock
COPY --from=build /src/build/app/chargelock /src/build/simulators/pilesim \
     /src/build/simulators/vehicle-feeder /usr/local/bin/
USER chargelock
# ws:// (profile 1), wss:// (profiles 2 and 3), REST API.
EXPOSE 8180 8443 8080
# Alive = the loop answers; docker-compose.yml uses /readyz per role.
HEALTHCHECK --interval=5s --timeout=2s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${CHARGELOCK_HEALTH_PORT:-8180}/healthz" || exit 1
ENTRYPOINT ["chargelock"]
CMD ["serve"]
