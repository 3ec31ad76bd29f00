# Topology switch at the validity start, then the lease policy; driver
# hook.  Epoch 1 (flow mode, N = 1: every frame is this node's) is active;
# epoch 2 (round robin, N = 2, position 1: the odd frames) is committed
# with a validity start 8 s ahead.  Each phase is one feed of the frame set.
dicap-kctl attach eth0 driver || exit 1
dicap-kctl set 1 96 0 || exit 1
dicap-kctl topo 1 3 1 0 0 || exit 1
dicap-kctl activate 1 || exit 1
dicap-kctl topo 2 0 2 1 8000 || exit 1
start=$(date +%s)
echo "PHASE before"
dicap-kctl recv eth0 600 30
dicap-kctl get
# No frame arrives until the validity start has passed.
while [ $(($(date +%s) - start)) -lt 10 ]; do sleep 1; done
echo "PHASE after"
dicap-kctl recv eth0 600 30
dicap-kctl get
# Lease expired, policy DROP: nothing selected, but C keeps counting.
dicap-kctl set 1 96 1 || exit 1
dicap-kctl lease 1 || exit 1
sleep 1
echo "PHASE expired-drop"
dicap-kctl recv eth0 600 30
dicap-kctl get
dicap-kctl lease 600000 || exit 1
echo "PHASE refreshed"
dicap-kctl recv eth0 600 30
dicap-kctl get
# Lease expired, policy KEEP: the last share goes on.
dicap-kctl set 1 96 0 || exit 1
dicap-kctl lease 1 || exit 1
sleep 1
echo "PHASE expired-keep"
dicap-kctl recv eth0 600 30
dicap-kctl get
