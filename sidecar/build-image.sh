#!/usr/bin/env bash
# Builds the sidecar image locally with podman from files on this machine (no registry needed):
# a root filesystem holding this machine's node and the shared libraries it links, the bundled
# agent and the static launcher, imported as an image. `sidecar/Dockerfile` is the registry-based
# build of the same image for CI/CD.
#
#   sidecar/build-image.sh [IMAGE_NAME]     (default: localhost/ecs-admission-sidecar:local)
#
# Set WITH_WAAS=1 to add nginx + ModSecurity + CRS from this machine (the WAAS proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
image="${1:-localhost/ecs-admission-sidecar:local}"
runtime="${PODMAN_RUNTIME:-runc}"

[ -x sidecar/launcher/build/launcher ] || make -C sidecar/launcher --no-print-directory
node sidecar/build-agent.mjs

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

copy_with_libs() { # copies each binary and every shared library ldd names, keeping their paths
  local f lib
  for f in "$@"; do
    mkdir -p "$rootfs$(dirname "$f")"
    cp -L "$f" "$rootfs$f"
    while read -r lib; do
      [ -n "$lib" ] || continue
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -Ln "$lib" "$rootfs$lib" 2>/dev/null || true
    done < <(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true)
  done
}

node_bin="$(readlink -f "$(command -v node)")"
copy_with_libs "$node_bin"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/opt/ecs-admission" "$rootfs/tmp" "$rootfs/etc"
[ "$node_bin" = /usr/local/bin/node ] || ln -sf "$node_bin" "$rootfs/usr/local/bin/node"
chmod 1777 "$rootfs/tmp"
cp dist/sidecar/agent.mjs "$rootfs/opt/ecs-admission/agent.mjs"
install -m 0755 sidecar/launcher/build/launcher "$rootfs/opt/ecs-admission/launcher"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ca-certificates.crt" 2>/dev/null || true

if [ "${WITH_WAAS:-0}" = 1 ]; then
  copy_with_libs /usr/sbin/nginx /usr/lib/nginx/modules/ngx_http_modsecurity_module.so
  # The WAF layer's allocator (src/waas/proxy.ts preloads it when present).
  if [ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ]; then copy_with_libs /usr/lib/x86_64-linux-gnu/libjemalloc.so.2; fi
  for d in /etc/nginx /etc/modsecurity /usr/share/modsecurity-crs /usr/lib/nginx /usr/share/nginx; do
    mkdir -p "$rootfs$(dirname "$d")"
    cp -aL "$d" "$rootfs$d"
  done
  while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -Ln "$lib" "$rootfs$lib" 2>/dev/null || true
  done < <(ldd /usr/lib/nginx/modules/ngx_http_modsecurity_module.so | grep -oE '/[^ ]+' || true)
  mkdir -p "$rootfs/var/lib/nginx" "$rootfs/var/log/nginx"
  printf 'www-data:x:33:33:www-data:/var/www:/sbin/nologin\n' >> "$rootfs/etc/passwd"
  printf 'www-data:x:33:\n' >> "$rootfs/etc/group"
fi

tar -C "$rootfs" -c . | podman --runtime "$runtime" import \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "--max-old-space-size=32", "--max-semi-space-size=1", "--lite-mode", "/opt/ecs-admission/agent.mjs"]' \
  --change 'ENV ECS_ADMISSION_LAUNCHER_SOURCE=/opt/ecs-admission/launcher' \
  - "$image" >/dev/null
echo "$image"
