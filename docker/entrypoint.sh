#!/bin/sh
# The image's entrypoint (docker/Dockerfile): before `xgw serve --config FILE` the storage
# engine's schema is brought up to date with `xgw db upgrade --config FILE` (migrations,
# docs/storage.md); then the gateway replaces this shell (exec: it is PID 1 and gets
# SIGTERM). `--check` only checks the config. Any other command runs as given.
set -eu

if [ "$#" -ge 2 ] && [ "$1" = xgw ] && [ "$2" = serve ]; then
    config=""
    check=""
    previous=""
    for arg in "$@"; do
        case "$arg" in
            --config=*) config="${arg#--config=}" ;;
            --check) check=yes ;;
        esac
        if [ "$previous" = "--config" ]; then
            config="$arg"
        fi
        previous="$arg"
    done
    if [ -n "$config" ] && [ -z "$check" ]; then
        xgw db upgrade --config "$config"
    fi
fi
exec "$@"
