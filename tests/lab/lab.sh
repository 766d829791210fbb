#!/usr/bin/env bash
# Lab hosts with real systemd: systemd-nspawn guests booted from one cached
# debootstrap rootfs, each on an overlay of its own, on a private bridge.
# See tests/lab/README.md and ../shared/test-hosts.md for the why.
#
#   tests/lab/lab.sh [OPTIONS] rootfs|up|down|status|inventory|ssh GUEST [CMD...]
#
# Options (each also read from the environment variable in brackets):
#   --name NAME      lab name, letters/digits, at most 8 characters [BTSYNC_LAB_NAME, btlab]
#   --count N        number of guests, 1..99                         [BTSYNC_LAB_COUNT, 3]
#   --subnet A.B.C   the /24 the lab lives on (bridge .1, guests .11+) [BTSYNC_LAB_SUBNET, 10.77.0]
#   --bridge BR      bridge device                                   [BTSYNC_LAB_BRIDGE, br-NAME]
#   --state DIR      overlays, key, inventory, PIDs                  [BTSYNC_LAB_STATE, /var/lib/syncops-btsync-lab]
#   --cache DIR      cached rootfs                                   [BTSYNC_LAB_CACHE, /var/cache/syncops-btsync-lab]
#   --suite SUITE    Debian suite of the rootfs                      [BTSYNC_LAB_SUITE, this host's]
#   --timeout S      readiness wait per lab                          [BTSYNC_LAB_TIMEOUT, 120]
#
# `up` is idempotent (running guests are left alone, missing ones booted,
# guests beyond --count stopped); `down` stops only the nspawn PIDs it
# recorded. `up` prints the guests as JSON on stdout ([{name, address, pid,
# user, port, identity_file}], also in STATE/NAME/hosts.json) and writes
# STATE/NAME/inventory.yml (Ansible) and STATE/NAME/ssh_config; its progress
# goes to stderr. `inventory` prints the inventory's path.
set -euo pipefail

die() { echo "lab: $*" >&2; exit 1; }
log() { echo "lab: $*" >&2; }

NAME=${BTSYNC_LAB_NAME:-btlab}
COUNT=${BTSYNC_LAB_COUNT:-3}
SUBNET=${BTSYNC_LAB_SUBNET:-10.77.0}
BRIDGE=${BTSYNC_LAB_BRIDGE:-}
STATE_ROOT=${BTSYNC_LAB_STATE:-/var/lib/syncops-btsync-lab}
CACHE=${BTSYNC_LAB_CACHE:-/var/cache/syncops-btsync-lab}
SUITE=${BTSYNC_LAB_SUITE:-}
TIMEOUT=${BTSYNC_LAB_TIMEOUT:-120}

# The rootfs recipe; changing it changes the cache key, so a new rootfs is built.
PACKAGES=systemd,systemd-sysv,dbus,python3,python3-requests,openssh-server,iproute2,procps,sudo
RECIPE_VERSION=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --name) NAME=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        --subnet) SUBNET=$2; shift 2 ;;
        --bridge) BRIDGE=$2; shift 2 ;;
        --state) STATE_ROOT=$2; shift 2 ;;
        --cache) CACHE=$2; shift 2 ;;
        --suite) SUITE=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        -h|--help) usage ;;
        --*) die "unknown option $1" ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
CMD=$1; shift

[[ $NAME =~ ^[a-z][a-z0-9]{0,7}$ ]] || die "--name must be 1-8 lowercase letters/digits (interface vb-NAME-NN fits in 15 characters)"
if ! [[ $COUNT =~ ^[0-9]+$ ]] || [ "$COUNT" -lt 1 ] || [ "$COUNT" -gt 99 ]; then die "--count must be 1..99"; fi
if ! [[ $SUBNET =~ ^10\.77\.([0-9]{1,3})$ ]] || [ "${BASH_REMATCH[1]}" -gt 255 ]; then
    die "--subnet must be 10.77.X (the lab's private range)"
fi
BRIDGE=${BRIDGE:-br-$NAME}
[ ${#BRIDGE} -le 15 ] || die "--bridge name longer than 15 characters"
# shellcheck source=/dev/null
SUITE=${SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}

LAB=$STATE_ROOT/$NAME
CGROUP_PARENT=syncops-btsync-lab/$NAME
SSH_KEY=$LAB/id_ed25519

guest_name() { echo "$NAME-$1"; }
guest_addr() { echo "$SUBNET.$((10 + $1))"; }
# The guests this lab keeps state for (names never hold spaces).
guest_names() { local d; for d in "$LAB/guests"/*/; do [ -d "$d" ] && basename "$d"; done; return 0; }

# --- rootfs ---------------------------------------------------------------

debian_mirror() {
    # The mirror this host's apt already uses, for the main suite (not security).
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; suites = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
                    if ($i ~ /^Suites:/) { suites = " " $i " " }
                }
                if (uris != "" && suites ~ (" " suite " ")) { split(uris, u, /[ \t]+/); print u[1]; exit }
            }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    if [ -f /etc/apt/sources.list ]; then
        uri=$(awk -v suite="$SUITE" '$1 == "deb" && $0 !~ /\[/ && $3 == suite { print $2; exit }
                                     $1 == "deb" && $0 ~ /\[/ { for (i = 2; i <= NF; i++) if ($i ~ /\]$/) { if ($(i + 2) == suite) { print $(i + 1); exit } } }' /etc/apt/sources.list)
        [ -n "$uri" ] && { echo "$uri"; return; }
    fi
    die "no Debian mirror for suite $SUITE in /etc/apt/sources.list(.d)"
}

rootfs_dir() {
    local key
    key=$(printf '%s\n' "$RECIPE_VERSION" "$SUITE" "$PACKAGES" "$(dpkg --print-architecture)" | sha256sum | cut -c1-12)
    echo "$CACHE/rootfs-$SUITE-$key"
}

build_rootfs() {
    local dir tmp mirror start
    dir=$(rootfs_dir)
    mkdir -p "$CACHE"
    exec 8>"$CACHE/.lock"
    flock 8
    if [ -f "$dir/.complete" ]; then
        flock -u 8
        echo "$dir"
        return
    fi
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap systemd-container)"
    mirror=$(debian_mirror)
    tmp=$dir.tmp.$$
    rm -rf "$tmp"
    start=$(date +%s)
    log "building rootfs $dir from $mirror (once; about 80 s)"
    if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log" >&2
        rm -rf "$tmp"
        die "debootstrap failed (log: $CACHE/debootstrap.log)"
    fi
    # Each guest must get its own machine-id at first boot.
    : >"$tmp/etc/machine-id"
    mkdir -p "$tmp/var/lib/dbus"
    ln -sf /etc/machine-id "$tmp/var/lib/dbus/machine-id"
    rm -f "$tmp/etc/hostname"
    systemctl --root="$tmp" enable systemd-networkd >/dev/null 2>&1
    systemctl --root="$tmp" mask console-getty.service >/dev/null 2>&1
    # No internet in the guests: no apt timers, no time sync attempts.
    systemctl --root="$tmp" mask apt-daily.timer apt-daily-upgrade.timer systemd-timesyncd.service >/dev/null 2>&1 || true
    chroot "$tmp" apt-get clean
    rm -rf "$tmp"/var/lib/apt/lists/*
    touch "$tmp/.complete"
    mv "$tmp" "$dir"
    flock -u 8
    log "rootfs built in $(($(date +%s) - start)) s"
    echo "$dir"
}

# --- guests ---------------------------------------------------------------

nspawn_alive() {
    # $1 = guest name; true when the recorded PID is still that guest's nspawn.
    local g=$1 pidfile=$LAB/guests/$1/nspawn.pid pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [ -r "/proc/$pid/cmdline" ] || return 1
    local cmdline
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    [[ $cmdline == *"systemd-nspawn "*"-M $g "* ]] || return 1
}

cgroup_dirs() { echo "/sys/fs/cgroup/systemd/$CGROUP_PARENT/$1 /sys/fs/cgroup/unified/$CGROUP_PARENT/$1"; }

check_subnet() {
    # Parallel labs need their own subnet: refuse one that another device has.
    local other
    other=$(ip -o -4 addr show | awk -v net="$SUBNET." -v br="$BRIDGE" 'index($4, net) == 1 && $2 != br { print $2; exit }')
    [ -z "$other" ] || die "subnet $SUBNET.0/24 is already on $other: give this lab another --subnet"
}

ensure_bridge() {
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge
    fi
    # Not `ip ... | grep -q`: under pipefail grep's early exit fails the pipe
    # (SIGPIPE), and the address would be added twice.
    local addrs
    addrs=$(ip -o -4 addr show dev "$BRIDGE")
    [[ $addrs == *"inet $SUBNET.1/24"* ]] || ip addr add "$SUBNET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
}

start_guest() {
    local i=$1 g addr gdir rootfs cg pid
    g=$(guest_name "$i")
    addr=$(guest_addr "$i")
    gdir=$LAB/guests/$g
    rootfs=$2
    if nspawn_alive "$g"; then
        return 0
    fi
    stop_guest "$g"  # leftovers of a guest that died
    mkdir -p "$gdir/upper" "$gdir/work" "$gdir/root"
    mkdir -p "$gdir/upper/etc/systemd/network" "$gdir/upper/root/.ssh"
    echo "$g" >"$gdir/upper/etc/hostname"
    cat >"$gdir/upper/etc/systemd/network/10-lab-host0.network" <<EOF
[Match]
Name=host0

[Network]
Address=$addr/24
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
    chmod 700 "$gdir/upper/root/.ssh"
    install -m 600 "$SSH_KEY.pub" "$gdir/upper/root/.ssh/authorized_keys"
    mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$gdir/upper,workdir=$gdir/work" "$gdir/root"
    for cg in $(cgroup_dirs "$g"); do mkdir -p "$cg"; done
    # With --keep-unit the guest lives in the cgroup of its launcher: give
    # each guest a cgroup of its own before exec'ing nspawn.
    (
        for cg in $(cgroup_dirs "$g"); do echo "$BASHPID" >"$cg/cgroup.procs"; done
        exec 8>&- 9>&-  # the lab's locks stay with this script, not with the guest
        exec setsid systemd-nspawn -q -D "$gdir/root" -M "$g" --boot --register=no --keep-unit \
            --console=passive --network-bridge="$BRIDGE" </dev/null >"$gdir/console.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$gdir/nspawn.pid"
    echo "$addr" >"$gdir/address"
    # The PID is recorded before the subshell has exec'd nspawn: wait for it.
    for _ in $(seq 1 50); do
        nspawn_alive "$g" && return 0
        [ -d "/proc/$pid" ] || break
        sleep 0.1
    done
    tail -n 20 "$gdir/console.log" >&2 2>/dev/null || true
    die "$g: systemd-nspawn did not start"
}

stop_guest() {
    # Stop one guest: only the PID this script recorded, and only if it is
    # still that guest's systemd-nspawn.
    local g=$1 gdir=$LAB/guests/$1 pid cg
    [ -d "$gdir" ] || return 0
    if nspawn_alive "$g"; then
        pid=$(cat "$gdir/nspawn.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            nspawn_alive "$g" || break
            sleep 0.1
        done
        if nspawn_alive "$g"; then
            log "$g did not power off in 10 s: SIGKILL $pid"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    if mountpoint -q "$gdir/root"; then
        umount "$gdir/root" 2>/dev/null || umount -l "$gdir/root"
    fi
    rm -rf "/run/systemd/nspawn/propagate/$g"
    # nspawn and the guest's systemd leave sub-cgroups (payload, supervisor, ...).
    for cg in $(cgroup_dirs "$g"); do
        if [ -d "$cg" ]; then find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
    done
    rm -rf "$gdir"
}

ssh_opts() {
    echo "-i $SSH_KEY -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=2"
}

wait_ready() {
    # All guests answer over ssh and systemd finished booting.
    local deadline g i state addr pending
    deadline=$(($(date +%s) + TIMEOUT))
    pending=$(seq 1 "$COUNT")
    while [ -n "$pending" ]; do
        local still=""
        for i in $pending; do
            g=$(guest_name "$i"); addr=$(guest_addr "$i")
            nspawn_alive "$g" || { tail -n 20 "$LAB/guests/$g/console.log" >&2; die "$g exited during boot"; }
            # shellcheck disable=SC2046
            state=$(timeout 20 ssh $(ssh_opts) "root@$addr" 'systemctl is-system-running --wait' 2>/dev/null) || true
            case $state in
                running) ;;
                degraded)
                    # ssh_opts is a list of options: split on purpose.
                    # shellcheck disable=SC2046
                    log "$g is degraded: $(timeout 10 ssh $(ssh_opts) "root@$addr" 'systemctl --failed --plain --no-legend' 2>/dev/null | awk '{print $1}' | tr '\n' ' ')" ;;
                *) still="$still $i" ;;
            esac
        done
        pending=$still
        [ -z "$pending" ] && break
        [ "$(date +%s)" -lt "$deadline" ] || die "guests not ready after $TIMEOUT s:$pending"
        sleep 0.5
    done
}

write_inventory() {
    local i g addr sep=""
    {
        echo "# Written by tests/lab/lab.sh up; the lab $NAME ($COUNT guests on $BRIDGE, $SUBNET.0/24)."
        echo "all:"
        echo "  children:"
        echo "    $NAME:"
        echo "      hosts:"
        for i in $(seq 1 "$COUNT"); do
            echo "        $(guest_name "$i"):"
            echo "          ansible_host: $(guest_addr "$i")"
        done
        echo "      vars:"
        echo "        ansible_user: root"
        echo "        ansible_python_interpreter: /usr/bin/python3"
        echo "        ansible_ssh_private_key_file: $SSH_KEY"
        echo "        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    } >"$LAB/inventory.yml.tmp"
    mv "$LAB/inventory.yml.tmp" "$LAB/inventory.yml"
    {
        echo "["
        for i in $(seq 1 "$COUNT"); do
            g=$(guest_name "$i"); addr=$(guest_addr "$i")
            printf '%s  {"name": "%s", "address": "%s", "pid": %s, "user": "root", "port": 22, "identity_file": "%s"}\n' \
                "$sep" "$g" "$addr" "$(cat "$LAB/guests/$g/nspawn.pid")" "$SSH_KEY"
            sep=","
        done
        echo "]"
    } >"$LAB/hosts.json.tmp"
    mv "$LAB/hosts.json.tmp" "$LAB/hosts.json"
    {
        for i in $(seq 1 "$COUNT"); do
            echo "Host $(guest_name "$i")"
            echo "  HostName $(guest_addr "$i")"
            echo "  User root"
            echo "  IdentityFile $SSH_KEY"
            echo "  StrictHostKeyChecking no"
            echo "  UserKnownHostsFile /dev/null"
            echo "  LogLevel ERROR"
        done
    } >"$LAB/ssh_config"
}

check_params() {
    # A lab keeps the bridge and subnet it was created with.
    local want="bridge=$BRIDGE subnet=$SUBNET"
    if [ -f "$LAB/lab.env" ]; then
        [ "$(cat "$LAB/lab.env")" = "$want" ] || die "lab $NAME exists with $(cat "$LAB/lab.env"); run down first"
    else
        mkdir -p "$LAB"
        echo "$want" >"$LAB/lab.env"
    fi
}

lab_up() {
    local rootfs i g start
    [ "$(id -u)" = 0 ] || die "must run as root"
    command -v systemd-nspawn >/dev/null || die "systemd-nspawn is not installed (apt-get install systemd-container)"
    start=$(date +%s%N)
    check_subnet
    rootfs=$(build_rootfs)
    check_params
    exec 9>"$LAB/.lock"
    flock -w 300 9 || die "lab $NAME is locked by another lab.sh"
    [ -f "$SSH_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "syncops-btsync-lab-$NAME" -f "$SSH_KEY"
    ensure_bridge
    mkdir -p "$LAB/guests"
    for i in $(seq 1 "$COUNT"); do start_guest "$i" "$rootfs"; done
    # Guests beyond --count (from an earlier, larger up) are stopped.
    for g in $(guest_names); do
        i=${g##*-}
        if ! [[ $i =~ ^[0-9]+$ ]] || [ "$i" -gt "$COUNT" ]; then stop_guest "$g"; fi
    done
    wait_ready
    write_inventory
    log "lab $NAME up: $COUNT guests ready in $(( ($(date +%s%N) - start) / 1000000 )) ms; inventory $LAB/inventory.yml"
    cat "$LAB/hosts.json"
}

lab_down() {
    local g
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -d "$LAB" ] || { log "lab $NAME is not up"; return 0; }
    exec 9>"$LAB/.lock"
    flock -w 300 9 || die "lab $NAME is locked by another lab.sh"
    if [ -d "$LAB/guests" ]; then
        # Power off all guests at once, then clean up each.
        for g in $(guest_names); do
            if nspawn_alive "$g"; then kill -TERM "$(cat "$LAB/guests/$g/nspawn.pid")" 2>/dev/null || true; fi
        done
        for g in $(guest_names); do stop_guest "$g"; done
    fi
    rmdir "/sys/fs/cgroup/systemd/$CGROUP_PARENT" "/sys/fs/cgroup/unified/$CGROUP_PARENT" 2>/dev/null || true
    rmdir "/sys/fs/cgroup/systemd/syncops-btsync-lab" "/sys/fs/cgroup/unified/syncops-btsync-lab" 2>/dev/null || true
    if ip link show "$BRIDGE" >/dev/null 2>&1 && [ -f "$LAB/lab.env" ]; then
        ip link delete "$BRIDGE" type bridge
    fi
    rm -rf "$LAB"
    log "lab $NAME down"
}

lab_status() {
    local g
    [ -d "$LAB/guests" ] || { echo "lab $NAME: down"; return 0; }
    echo "lab $NAME: $(cat "$LAB/lab.env")"
    for g in $(guest_names); do
        if nspawn_alive "$g"; then
            echo "  $g $(cat "$LAB/guests/$g/address") pid $(cat "$LAB/guests/$g/nspawn.pid") running"
        else
            echo "  $g $(cat "$LAB/guests/$g/address" 2>/dev/null) stopped"
        fi
    done
}

case $CMD in
    rootfs) build_rootfs ;;
    up) lab_up ;;
    down) lab_down ;;
    status) lab_status ;;
    inventory) [ -f "$LAB/inventory.yml" ] || die "lab $NAME is not up"; echo "$LAB/inventory.yml" ;;
    ssh)
        [ $# -ge 1 ] || die "ssh GUEST [CMD...]"
        g=$1; shift
        # shellcheck disable=SC2046
        exec ssh $(ssh_opts) -F "$LAB/ssh_config" "$g" "$@" ;;
    *) usage ;;
esac
