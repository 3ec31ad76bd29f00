# Ownership, driver hook: this boot is position $1 of 3.  Malformed
# netlink requests first (they expect nothing attached).  For each run, a
# fresh topology (the next epoch, table: bucket b -> b % 3), frames passed
# to the stack, and the AF_PACKET view of which frames got an skb.
pos=$1
dicap-kctl badnl eth0
dicap-kctl attach eth0 driver || exit 1
echo "PROMISC $(( $(cat /sys/class/net/eth0/flags) >> 8 & 1 ))"
dicap-kctl set 1 96 0
epoch=0
# MODE[:SEL_FLAGS]: the five modes, then flow mode with --tunnel outer
for run in 0 1 2 3 4 3:1; do
	mode=${run%%:*}
	flags=0
	[ "$run" = "$mode" ] || flags=${run#*:}
	epoch=$((epoch + 1))
	rx0=$(cat /sys/class/net/eth0/statistics/rx_dropped)
	dicap-kctl topo $epoch $mode 3 $pos 0 $flags || exit 1
	echo "MODE $mode $flags"
	dicap-kctl recv eth0 600 30
	dicap-kctl get
	echo "RXDROPPED $(( $(cat /sys/class/net/eth0/statistics/rx_dropped) - rx0 ))"
done
dicap-kctl detach
echo "PROMISC_AFTER $(( $(cat /sys/class/net/eth0/flags) >> 8 & 1 ))"
