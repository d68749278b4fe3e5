#!/usr/bin/env bash
# `make demo`: a whole Semantik on one local test-host container, deployed by site.yml exactly as
# on a real machine (inventories/demo), then the URL and the login.
#   DEMO_PORT=8443 (HTTPS on 127.0.0.1)   DEMO_NAME=semantik-demo (the container; a second demo
#   beside the first takes another name and port)   scripts/demo.sh down   removes the container.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${DEMO_NAME:-semantik-demo}
export DEMO_NAME=$NAME  # read by inventories/demo (ansible_host)
IMAGE=semantik-testhost:bookworm
PORT=${DEMO_PORT:-8443}
export DEMO_PORT=$PORT  # read by inventories/demo (semantik_public_url)
INVENTORY=inventories/demo

if [[ "${1:-up}" == down ]]; then
  # `docker rm -f` succeeds for a container that does not exist: ask first.
  if docker inspect "$NAME" >/dev/null 2>&1; then
    docker rm -f "$NAME" >/dev/null && echo "demo: removed $NAME"
  else
    echo "demo: there is no container $NAME"
  fi
  exit 0
fi

# Build the test-host image when missing or when its recipe changed.
molecule/resources/build-testhost-images.sh

if [[ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" != true ]]; then
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  echo "demo: starting $NAME (https://localhost:$PORT)"
  # systemd in a container: these flags, not --privileged (molecule/README.md).
  docker run -d --name "$NAME" --hostname "$NAME" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
    --cgroupns host --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -e container=docker --stop-signal SIGRTMIN+3 \
    -p "127.0.0.1:$PORT:443" \
    "$IMAGE" /lib/systemd/systemd >/dev/null
fi

# Right after start systemctl may fail ("Failed to connect to bus"): retry until systemd is up.
for _ in $(seq 60); do
  state=$(docker exec "$NAME" systemctl is-system-running 2>/dev/null || true)
  [[ "$state" == running || "$state" == degraded ]] && break
  sleep 1
done

# The operator's documents; here the sample set, copied once.
if ! docker exec "$NAME" test -d /srv/documents/samples; then
  docker exec "$NAME" mkdir -p /srv/documents/samples
  docker cp app/sample_documents/. "$NAME:/srv/documents/samples/"
fi

start=$(date +%s)
ansible-playbook -i "$INVENTORY" site.yml
echo "demo: site.yml converged in $(( $(date +%s) - start ))s"

user=$(sed -n 's/^semantik_admin_user: *//p' "$INVENTORY/group_vars/all/main.yml")
password=$(sed -n 's/^semantik_admin_password: *//p' "$INVENTORY/group_vars/all/main.yml")
cat <<MSG

  Semantik is running:   https://localhost:$PORT   (self-signed certificate)
  Log in as:             $user / $password
  Sample documents:      /srv/documents/samples in the container; create a collection over "samples"
  Stop and remove it:    make demo-down

MSG
