#!/usr/bin/env bash
# Runs several long-lived processes in the foreground; Ctrl-C (or SIGTERM) stops them all gracefully,
# and if one of them exits, the others are stopped too. Sourced by dev.sh and start.sh.
pids=()
stop_children() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
supervise() {
  for command in "$@"; do
    bash -c "exec $command" &
    pids+=("$!")
  done
  trap 'stop_children; exit 0' INT TERM
  local status=0
  wait -n "${pids[@]}" || status=$?
  log "a process exited (status $status); stopping the others"
  stop_children
  exit "$status"
}
