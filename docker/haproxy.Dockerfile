# The TCP load balancer of docker/compose.postgres.yaml: HAProxy from
# Debian's packages with docker/haproxy-nodes.cfg.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends haproxy && rm -rf /var/lib/apt/lists/*
COPY docker/haproxy-nodes.cfg /etc/haproxy/haproxy.cfg
EXPOSE 7411
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
