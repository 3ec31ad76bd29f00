# Capture mode, driver hook, position $1 of 3: the headers of this node's
# share go in header batches to the analyzer 10.0.2.2:9999, which is the
# host (qemu sends whatever eth0 transmits to the harness's UDP port).
# Per run (a mode and its selection flags) a fresh topology; AF_PACKET must see none of the frames (they
# are captured, not passed).
pos=$1
ip addr add 10.0.2.15/24 dev eth0
arp -i eth0 -s 10.0.2.2 52:54:00:00:00:02 || echo "GUEST-ERROR arp"
dicap-kctl attach eth0 driver || exit 1
dicap-kctl set 2 96 0 7 || exit 1
dicap-kctl analyzer 10.0.2.2 9999 || exit 1
epoch=0
# MODE[:SEL_FLAGS]: the five modes, then flow mode with --tunnel outer
for run in 0 1 2 3 4 3:1; do
	mode=${run%%:*}
	flags=0
	[ "$run" = "$mode" ] || flags=${run#*:}
	epoch=$((epoch + 1))
	dicap-kctl topo $epoch $mode 3 $pos 0 $flags || exit 1
	echo "MODE $mode $flags"
	dicap-kctl recv eth0 600 30
	# the flush timer sends the last partial batch within 50 ms
	sleep 1
	dicap-kctl get
done
