# Shell helpers shared by tests/e2e/run.sh and bench/lib.sh (sourced, not run).

# wait_for_line FILE PID SECONDS: prints the URL after "listening on " once FILE has it
# (the Attic emulator prints that line when it is ready); status 1 if PID exits or time runs out.
wait_for_line() {
  local file=$1 pid=$2 i
  for i in $(seq 1 $(($3 * 10))); do
    if grep -q '^listening on ' "$file" 2>/dev/null; then sed -n 's/^listening on //p' "$file" | head -n1; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# free_port: prints a loopback TCP port nothing listens on (tried at random in 20000-59999); status 1 after 50 tries.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}
