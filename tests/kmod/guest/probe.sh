# Debug aid: one mode (position $1 of 3, flow mode), counters, link state.
dicap-kctl attach eth0 driver
dicap-kctl set 1 96 0
dicap-kctl topo 1 3 3 $1 0
sleep 3; ip link show eth0
dicap-kctl recv eth0 600 15
dicap-kctl get
cat /proc/net/dev
