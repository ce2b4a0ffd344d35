#!/usr/bin/env bash
# A one-node Slurm cluster for gradlab's tests: slurmctld + slurmd on this machine, authenticated by a
# munged of its own (private key and socket), everything (config, state, spool, pid files, logs)
# under one folder, ${GRADLAB_SLURM_DIR:-/tmp/gradlab-slurm}. Needs root and Debian's
# `slurm-wlm munge` (test/setup-system.sh installs them); no systemd.
#
#   test/slurm/cluster.sh start    start it (a no-op when it is already up); prints on stdout the
#                                  line a caller needs: export SLURM_CONF=<dir>/slurm.conf
#   test/slurm/cluster.sh stop     cancel its jobs, then stop the daemons it started (by the PIDs
#                                  in its pid files; never by name); a no-op when stopped
#   test/slurm/cluster.sh status   exit 0 and print the export line when up, 3 when not
#
#   eval "$(test/slurm/cluster.sh start)" && sbatch --wrap hostname
#
# Everything else (progress, the reason for a failure: the daemon log's last lines) goes to stderr.
# Exit status: 0 done, 1 failed (reason on stderr), 2 bad usage, 3 (status) not running.
# Settings: GRADLAB_SLURM_DIR (the folder), GRADLAB_SLURM_PORT (slurmctld's port, default 16817;
# slurmd uses the next one), GRADLAB_SLURM_TIMEOUT (seconds to wait for the node, default 30).
set -euo pipefail

DIR=${GRADLAB_SLURM_DIR:-/tmp/gradlab-slurm}
DIR=${DIR%/}
PORT=${GRADLAB_SLURM_PORT:-16817}
TIMEOUT=${GRADLAB_SLURM_TIMEOUT:-30}
APT_LINE="apt-get install -y --no-install-recommends slurm-wlm munge"

STARTING=0
say() { printf 'cluster.sh: %s\n' "$*" >&2; }
# Fail: the reason on stderr and, when a start fails half-way, stop what it had started.
die() {
  say "$*"
  if ((STARTING)); then
    STARTING=0
    stop_all
  fi
  exit 1
}

[[ $DIR == /* ]] || die "GRADLAB_SLURM_DIR must be an absolute path, not '$DIR'"
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65534)); then
  die "GRADLAB_SLURM_PORT must be a port number, not '$PORT'"
fi
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "GRADLAB_SLURM_TIMEOUT must be a number of seconds, not '$TIMEOUT'"

CONF=$DIR/slurm.conf
MUNGE=$DIR/munge
SOCKET=$MUNGE/run/munge.socket
MUNGED_PID=$MUNGE/run/munged.pid
CTLD_PID=$DIR/run/slurmctld.pid
SLURMD_PID=$DIR/run/slurmd.pid
MUNGED_LOG=$MUNGE/log/munged.log
CTLD_LOG=$DIR/log/slurmctld.log
SLURMD_LOG=$DIR/log/slurmd.log
NODE=$(hostname -s)
# The clients (sinfo, sbatch, scancel) read the config from here; the daemons get it with -f too.
export SLURM_CONF=$CONF

# The PID in pid file $1 if that process is alive and is one we started: its command line names a
# file under $DIR (our config or pid file), so a stale file whose PID was reused points at nothing.
our_pid() {
  local file=$1 pid="" state
  # Not $(<file): the daemon may delete it meanwhile, and that failure would end this script.
  { read -r pid <"$file"; } 2>/dev/null || [[ -n $pid ]] || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/" || return 1
  echo "$pid"
}

running() { our_pid "$MUNGED_PID" >/dev/null && our_pid "$CTLD_PID" >/dev/null && our_pid "$SLURMD_PID" >/dev/null; }

# The node's state as sinfo reports it (idle, mixed, allocated, down*, ...), or nothing.
node_state() { timeout 10 sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1 || true; }

log_tail() {
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    echo "--- last lines of $f:" >&2
    tail -n 15 "$f" >&2
  done
}

# Stop the daemon in pid file $1 (SIGTERM, then SIGKILL after 15 s), if it is one of ours.
stop_daemon() {
  local file=$1 name=$2 pid i
  pid=$(our_pid "$file") || { rm -f "$file"; return 0; }
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    our_pid "$file" >/dev/null || { rm -f "$file"; return 0; }
    sleep 0.1
  done
  say "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

# Cancel every job (queued or running) and wait a little for running ones to end, so that no job
# step outlives the slurmd that would have tracked it.
cancel_jobs() {
  our_pid "$CTLD_PID" >/dev/null || return 0
  local ids i
  ids=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ') || true
  [[ -n ${ids// /} ]] || return 0
  say "cancelling jobs: $ids"
  # shellcheck disable=SC2086 # a list of job ids
  timeout 10 scancel $ids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [[ -z $(timeout 10 squeue -h -o %A 2>/dev/null) ]] && return 0
    sleep 0.2
  done
  say "jobs still listed after 10 s; stopping anyway"
}

stop_all() {
  cancel_jobs
  stop_daemon "$SLURMD_PID" slurmd
  stop_daemon "$CTLD_PID" slurmctld
  stop_daemon "$MUNGED_PID" munged
}

print_export() { printf 'export SLURM_CONF=%q\n' "$CONF"; }

check_prerequisites() {
  local missing=() c
  for c in munged mungekey munge unmunge slurmctld slurmd sinfo squeue sbatch scancel; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "Slurm is not installed (missing: ${missing[*]}); install it with: $APT_LINE (as root; or: npm run setup)"
  [[ $(id -u) -eq 0 ]] || die "needs root: slurmd starts jobs as their submitting user (and munged runs as user munge)"
  id munge >/dev/null 2>&1 || die "no user 'munge' (the munge package creates it): $APT_LINE"
}

# One line of `slurmd -C`: its Key=Value pairs, so that the node matches what slurmd detects
# (else it logs "reconfigured socket/core boundaries"), with RealMemory 5% lower (if the node
# reports less memory than configured, slurmctld drains it).
node_line() {
  local hw kv key value out="NodeName=$NODE NodeAddr=127.0.0.1"
  hw=$(slurmd -C 2>/dev/null | head -n 1) || true
  [[ $hw == NodeName=* ]] || die "slurmd -C did not describe this machine: '$hw'"
  for kv in $hw; do
    key=${kv%%=*}
    value=${kv#*=}
    case $key in
      CPUs | Boards | SocketsPerBoard | CoresPerSocket | ThreadsPerCore) out+=" $key=$value" ;;
      RealMemory) out+=" RealMemory=$((value * 95 / 100))" ;;
    esac
  done
  echo "$out State=UNKNOWN"
}

write_config() {
  local node
  node=$(node_line)
  cat >"$CONF" <<EOF
# Written by test/slurm/cluster.sh: a one-node test cluster. Rewritten at every start.
ClusterName=gradlab
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
# Array tasks start as soon as a CPU frees (the default delays batch scheduling by up to 3 s), and
# finished jobs are forgotten after 5 s: with MinJobAge <= 5, sbatch --wait polls every 2 s instead
# of backing off to 8 and then 32 s. There is no accounting database, so exit codes are kept only
# that long (the tests record each task's exit code themselves).
SchedulerParameters=batch_sched_delay=0
MinJobAge=5
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
$node
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munged() {
  local i
  # munged insists on strict permissions: its key and seed private to user munge, its socket's
  # folder not writable by others.
  mkdir -p "$MUNGE/etc" "$MUNGE/run" "$MUNGE/lib" "$MUNGE/log"
  chmod 0700 "$MUNGE/etc" "$MUNGE/lib" "$MUNGE/log"
  chmod 0755 "$MUNGE" "$MUNGE/run"
  if [[ ! -s $MUNGE/etc/munge.key ]]; then
    mungekey --create --keyfile="$MUNGE/etc/munge.key" >/dev/null 2>&1 ||
      die "mungekey --create failed"
  fi
  chown -R munge:munge "$MUNGE"
  chmod 0600 "$MUNGE/etc/munge.key"
  : >"$MUNGED_LOG"
  chown munge:munge "$MUNGED_LOG"
  chmod 0640 "$MUNGED_LOG"
  rm -f "$MUNGED_PID" "$SOCKET"
  if ! runuser -u munge -- munged --socket="$SOCKET" --key-file="$MUNGE/etc/munge.key" \
    --pid-file="$MUNGED_PID" --seed-file="$MUNGE/lib/munged.seed" --log-file="$MUNGED_LOG" 2>>"$MUNGED_LOG" 9>&-; then
    log_tail "$MUNGED_LOG"
    die "munged failed to start (its log is above)"
  fi
  for ((i = 0; i < 50; i++)); do
    if munge -n -S "$SOCKET" 2>/dev/null | unmunge -S "$SOCKET" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log_tail "$MUNGED_LOG"
  die "munged does not answer on $SOCKET (munge -n | unmunge fails; its log is above)"
}

# Start daemon $1 (it forks into the background and writes pid file $2), failing with its log.
start_daemon() {
  local name=$1 file=$2 log=$3 i
  shift 3
  say "starting $name"
  # 9>&-: the daemon must not inherit (and so hold forever) our lock.
  if ! "$@" 2>>"$log" 9>&-; then
    log_tail "$log"
    die "$name failed to start (its log is above)"
  fi
  # The daemon writes its pid file after forking; it may still exit soon after (a port in use).
  for ((i = 0; i < 50; i++)); do
    sleep 0.1
    our_pid "$file" >/dev/null && return 0
    [[ -s $file ]] && ((i > 2)) && break
  done
  log_tail "$log"
  die "$name did not stay up (no live process for $file; its log is above)"
}

start() {
  check_prerequisites
  mkdir -p "$DIR"
  chmod 0755 "$DIR"
  # One start or stop at a time.
  exec 9>"$DIR/.lock"
  flock -w 120 9 || die "another cluster.sh holds $DIR/.lock"

  local state=""
  if running; then
    state=$(node_state)
    case $state in
      idle | mixed | allocated | completing)
        say "already running in $DIR (node $NODE: $state)"
        print_export
        return 0
        ;;
    esac
  fi
  # Half up (a daemon died, the node is down or drained): start over.
  stop_all
  STARTING=1

  # A fresh cluster each time: no jobs or node state saved by an earlier one, fresh logs.
  rm -rf "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
  write_config

  start_munged
  start_daemon slurmctld "$CTLD_PID" "$CTLD_LOG" slurmctld -f "$CONF"
  start_daemon slurmd "$SLURMD_PID" "$SLURMD_LOG" slurmd -f "$CONF" -N "$NODE"

  local deadline=$((SECONDS + TIMEOUT))
  state=""
  while ((SECONDS < deadline)); do
    state=$(node_state)
    [[ $state == idle ]] && break
    if ! running; then
      log_tail "$MUNGED_LOG" "$CTLD_LOG" "$SLURMD_LOG"
      die "a daemon exited while the node was coming up (the logs are above)"
    fi
    sleep 0.2
  done
  if [[ $state != idle ]]; then
    log_tail "$CTLD_LOG" "$SLURMD_LOG"
    die "node $NODE is not idle after ${TIMEOUT}s (sinfo says: '${state:-nothing}'; the logs are above)"
  fi
  STARTING=0
  say "running in $DIR (node $NODE idle; ports $PORT, $((PORT + 1)); logs in $DIR/log)"
  print_export
}

stop() {
  if [[ ! -d $DIR ]]; then
    say "not running (no $DIR)"
    return 0
  fi
  if ! our_pid "$MUNGED_PID" >/dev/null && ! our_pid "$CTLD_PID" >/dev/null && ! our_pid "$SLURMD_PID" >/dev/null; then
    say "not running"
    return 0
  fi
  exec 9>"$DIR/.lock"
  flock -w 120 9 || die "another cluster.sh holds $DIR/.lock"
  stop_all
  say "stopped"
}

status() {
  if running; then
    local state
    state=$(node_state)
    if [[ -n $state ]]; then
      say "running in $DIR (node $NODE: $state)"
      print_export
      return 0
    fi
    say "daemons are up in $DIR but sinfo gets no answer"
    return 3
  fi
  say "not running in $DIR"
  return 3
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
