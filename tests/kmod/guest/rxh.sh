# The rx_handler fallback on the stock (unpatched) driver: dicap selects
# (flow mode, N = 3, position 0) after the AF_PACKET taps have run.
dicap-kctl attach eth0 rxh || exit 1
dicap-kctl set 1 96 0 || exit 1
dicap-kctl topo 1 1 3 0 0 || exit 1
echo "PHASE rxh"
dicap-kctl recv eth0 600 30
dicap-kctl get
