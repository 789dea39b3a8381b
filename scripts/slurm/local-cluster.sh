#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for the SLURM workflow test and for trying the
# cluster path before using a real cluster. Debian's slurm-wlm 22.05 (slurmctld, slurmd), slurmdbd
# with accounting in MariaDB (what `sacct`, and so Snakemake's SLURM executor, reads) and munge for
# authentication. Everything lives in one state folder: configuration, databases, sockets, logs and
# pid files; nothing under /etc is touched and no system service is started.
#
#   local-cluster.sh start STATE_DIR   start the daemons; prints the line to source for the clients:
#                                      export SLURM_CONF=STATE_DIR/slurm.conf
#   local-cluster.sh stop STATE_DIR    stop every daemon started there, by its pid file
#
# Snakemake's SLURM job step drops every SLURM_* variable, SLURM_CONF included, before it runs a
# step's srun, so srun inside a job reads the default /etc/slurm/slurm.conf. start links that path to
# the state folder's slurm.conf when nothing is there, and stop removes the link; an existing
# /etc/slurm/slurm.conf (a real cluster's) is never touched, and start refuses to run beside it.
#
# Runs as root (slurmd starts jobs as their users). The cluster "axnn" has one node with this
# machine's CPUs and memory, a partition "main" and an account "axnn" (root is its user; jobs must
# name it: AccountingStorageEnforce=associations). Settings: proctrack/linuxproc, task/none,
# select/cons_tres with cores and memory as consumable resources.
set -Eeuo pipefail
usage() { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
[[ $# == 2 ]] || usage
action=$1
state=$(realpath -m -- "$2")
log() { echo "[local-cluster] $*" >&2; }
die() { log "error: $*"; exit 1; }

# Daemons in the order they start; stop goes in reverse.
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd)

stop_cluster() {
  local i name pid
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    name=${DAEMONS[i]}
    [[ -f "$state/run/$name.pid" ]] || continue
    pid=$(< "$state/run/$name.pid")
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2> /dev/null; then
      kill -TERM "$pid" 2> /dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2> /dev/null; then
        log "$name ($pid) did not stop on SIGTERM; killing it"
        kill -KILL "$pid" 2> /dev/null || true
      fi
    fi
    rm -f "$state/run/$name.pid"
  done
  if [[ -L /etc/slurm/slurm.conf && $(readlink /etc/slurm/slurm.conf) == "$state/slurm.conf" ]]; then
    rm -f /etc/slurm/slurm.conf
  fi
  # Jobs' processes that outlived slurmd (linuxproc tracks them only while slurmd runs).
  pkill -KILL -f "slurmstepd: \[" 2> /dev/null || true
}

# Waits until "$@" succeeds (a daemon answers), at most $timeout seconds.
wait_for() {
  local what=$1 timeout=$2; shift 2
  for _ in $(seq $((timeout * 5))); do
    "$@" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "$what did not come up within ${timeout}s; its log is in $state/log"
}

# A daemon's pid from its pid file, once it has written one (daemons fork into the background).
wait_pid() {
  local name=$1
  for _ in $(seq 100); do
    [[ -s "$state/run/$name.pid" ]] && return 0
    sleep 0.1
  done
  die "$name wrote no pid file; its log is in $state/log/$name.log"
}

free_ports() {  # four free TCP ports on the loopback interface
  python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

write_configs() {
  local node cpus mem
  node=$(hostname -s)
  cpus=$(nproc)
  # Leave some memory to the system, as a cluster node would; slurmd drains a node that has less.
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 9 / 10 ))
  read -r DB_PORT DBD_PORT CTLD_PORT SLURMD_PORT < <(free_ports)
  DB_PASS=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  cat > "$state/slurm.conf" <<EOF
ClusterName=axnn
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/run/munge.socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# The munge socket for the connection to slurmdbd (its default is the system's socket).
AccountingStoragePass=$state/run/munge.socket
AccountingStorageEnforce=associations
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  cat > "$state/slurmdbd.conf" <<EOF
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$state/run/munge.socket
PidFile=$state/run/slurmdbd.pid
LogFile=$state/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$state/slurmdbd.conf"
}

start_munge() {
  head -c 1024 /dev/urandom > "$state/munge.key"
  chmod 400 "$state/munge.key"
  munged --force --key-file="$state/munge.key" --socket="$state/run/munge.socket" \
    --pid-file="$state/run/munged.pid" --log-file="$state/log/munged.log" --seed-file="$state/munge.seed"
  wait_for munged 10 munge --socket="$state/run/munge.socket" -n
}

start_mariadb() {
  mariadb-install-db --no-defaults --user=root --datadir="$state/db" --auth-root-authentication-method=socket \
    --skip-test-db > "$state/log/mariadb-install.log" 2>&1 || die "mariadb-install-db failed: $state/log/mariadb-install.log"
  mariadbd --no-defaults --user=root --datadir="$state/db" --socket="$state/run/mysqld.sock" \
    --bind-address=127.0.0.1 --port="$DB_PORT" --pid-file="$state/run/mariadbd.pid" \
    --log-error="$state/log/mariadbd.log" --innodb-buffer-pool-size=64M > /dev/null 2>&1 &
  wait_for mariadbd 60 mariadb --no-defaults --socket="$state/run/mysqld.sock" -u root -e "SELECT 1"
  mariadb --no-defaults --socket="$state/run/mysqld.sock" -u root <<EOF
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
EOF
}

start_slurm() {
  export SLURM_CONF="$state/slurm.conf"
  slurmdbd  # reads slurmdbd.conf beside $SLURM_CONF
  wait_pid slurmdbd
  wait_for slurmdbd 60 sacctmgr -n list cluster
  sacctmgr -i add cluster axnn > /dev/null
  sacctmgr -i add account axnn Description=axnn Organization=axnn Cluster=axnn > /dev/null
  sacctmgr -i add user root DefaultAccount=axnn Account=axnn Cluster=axnn > /dev/null
  slurmctld -f "$SLURM_CONF"
  wait_pid slurmctld
  wait_for slurmctld 30 scontrol ping
  slurmd -f "$SLURM_CONF"
  wait_pid slurmd
  wait_for "the node" 60 bash -c 'sinfo -h -N -o %T | grep -qE "^(idle|mixed|allocated)"'
}

case $action in
  start)
    [[ $(id -u) == 0 ]] || die "run as root (slurmd starts jobs as their users)"
    for c in munged mariadbd mariadb-install-db slurmdbd slurmctld slurmd sacctmgr; do
      command -v "$c" > /dev/null || die "$c not found: install slurm-wlm, slurmdbd, munge and mariadb-server"
    done
    if [[ -e /etc/slurm/slurm.conf || -L /etc/slurm/slurm.conf ]]; then
      die "/etc/slurm/slurm.conf exists (a cluster of this machine's own?); this script does not run beside it"
    fi
    [[ ! -e "$state/run" ]] || die "$state already holds a cluster; stop it first: $0 stop '$state'"
    mkdir -p "$state"/{run,log,db,ctld,slurmd}
    chmod 700 "$state"
    # Whatever fails on the way, what was started is stopped again.
    trap 'stop_cluster' ERR
    write_configs
    mkdir -p /etc/slurm
    ln -s "$state/slurm.conf" /etc/slurm/slurm.conf
    start_munge
    start_mariadb
    start_slurm
    trap - ERR
    log "cluster axnn is up: node $(hostname -s), partition main, account axnn"
    echo "export SLURM_CONF=$(printf '%q' "$state/slurm.conf")"
    ;;
  stop)
    [[ -d "$state" ]] || die "no cluster state at $state"
    stop_cluster
    rm -rf "$state/run"
    log "stopped"
    ;;
  *) usage ;;
esac
