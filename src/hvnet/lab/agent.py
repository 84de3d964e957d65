"""Job runner that lives inside the lab VM: a bash script, rendered here, run by the guest.

Why bash and not Python: under TCG (software emulation) the guest is slow, and a Python
interpreter importing ``subprocess``/``json``/``tempfile`` over 9p takes 5-10 s to start.
The host's bash is already in the page cache after ``start.sh`` and costs nothing to start;
while idle it sleeps in ``read -t`` on a private FIFO, so polling forks no processes.

Why files on a 9p share and not the serial console: no output scraping, no prompt races,
binary-safe arguments (the host writes a properly quoted script) and any number of
concurrent jobs.

Protocol, all paths inside the per-boot share (same absolute path on host and guest):

``jobs/<id>.job``
    written atomically by the host (temporary name, then rename). A ``/bin/sh`` script whose
    first line is ``#hvnet-timeout=<seconds>``; it ``cd``s, exports the environment, sets
    stdin and ``exec``s the command. The agent runs it under ``timeout -k 2 <seconds>``
    (coreutils), which kills the job's whole process group on expiry.
``results/<id>.out`` / ``results/<id>.err``
    the job's stdout and stderr. They are files, not pipes, so a job that leaves a background
    process behind (``ip netns exec ns ping ... &``) still completes when its shell exits.
``results/<id>.rc``
    written last, with one ``write``: ``<exit status> <centiseconds>\n``; the host waits
    for the newline (no ``mv``, which would be one more exec). The status is shell style:
    128+N for a signal (143/137 after a timeout), 126/127 for "cannot run". The host
    deletes the job and result files once it has read them.
``poweroff``
    if this file appears, the agent syncs and powers the VM off (sysrq ``o``).
``ready.json``
    written once at start: kernel release, uptime, NIC name -> MAC, loaded modules.
"""

from __future__ import annotations

AGENT_SCRIPT = r"""#!/bin/bash
# hvnet lab agent: see hvnet/lab/agent.py for the protocol.
share=$1
jobs=$share/jobs
results=$share/results
mkdir -p "$jobs" "$results"
shopt -s nullglob

now() {  # centiseconds since boot, into NOW, without forking
    local up rest
    read -r up rest < /proc/uptime
    NOW=$(( 10#${up%.*} * 100 + 10#${up#*.} ))
}

run_job() {  # $1 = job id; runs in a forked subshell of the agent
    local id=$1 file="$jobs/$1.job" line t rc t0 pid wd
    read -r line < "$file"
    t=${line#\#hvnet-timeout=}
    now; t0=$NOW
    set -m  # job control: the job gets its own process group, killable as a whole
    ( . "$file" ) > "$results/$id.out" 2> "$results/$id.err" &
    pid=$!
    set +m
    (
        read -r -t "$t" -u 9 _
        kill -TERM -- "-$pid" 2>/dev/null
        read -r -t 2 -u 9 _
        kill -KILL -- "-$pid" 2>/dev/null
    ) &
    wd=$!
    wait "$pid"
    rc=$?
    kill "$wd" 2>/dev/null
    now
    printf '%s %s\n' "$rc" "$(( NOW - t0 ))" > "$results/$id.rc"
}

write_ready() {
    local rel d mac name first=1 mod rest
    read -r rel < /proc/sys/kernel/osrelease
    now
    {
        printf '{"release": "%s", "uptime": %d.%02d, "nics": {' "$rel" $((NOW / 100)) $((NOW % 100))
        for d in /sys/class/net/*; do
            name=${d##*/}
            [ "$name" = lo ] && continue
            [ -r "$d/address" ] || continue
            read -r mac < "$d/address"
            [ $first = 1 ] || printf ', '
            first=0
            printf '"%s": "%s"' "$name" "$mac"
        done
        printf '}, "modules": ['
        first=1
        while read -r mod rest; do
            [ $first = 1 ] || printf ', '
            first=0
            printf '"%s"' "$mod"
        done < /proc/modules
        printf ']}\n'
    } > "$share/.ready.json"
    mv -f "$share/.ready.json" "$share/ready.json"
}

tick=$(mktemp -u /dev/shm/hvnet-agent.XXXXXX)
mkfifo "$tick"
exec 9<> "$tick"
rm -f "$tick"
declare -A started
write_ready
echo "hvnet-lab: agent ready"
while :; do
    for f in "$jobs"/*.job; do
        id=${f##*/}
        id=${id%.job}
        [ -n "${started[$id]}" ] && continue
        started[$id]=1
        run_job "$id" &
    done
    if [ -e "$share/poweroff" ]; then
        sync
        echo o > /proc/sysrq-trigger
    fi
    read -r -t 0.02 -u 9 _
done
"""
