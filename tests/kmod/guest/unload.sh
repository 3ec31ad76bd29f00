# Unloading under traffic and removing the interface.  The host feeds
# 100000 frames (about 10 s) from the first READY on.  Driver hook,
# capture and pass to the stack, so the forwarder is busy too.
ip addr add 10.0.2.15/24 dev eth0
arp -i eth0 -s 10.0.2.2 52:54:00:00:00:02 || echo "GUEST-ERROR arp"
setup() {
	dicap-kctl attach eth0 driver &&
	dicap-kctl set 3 96 0 7 &&
	dicap-kctl analyzer 10.0.2.2 9999 &&
	dicap-kctl topo 1 1 3 0 0
}
setup || exit 1
rx() { cat /sys/class/net/eth0/statistics/rx_packets; }
echo READY
sleep 2
dicap-kctl get
# The module's promiscuity reference goes with it; this one keeps the
# mirrored frames coming to show the driver without dicap.ko.
ip link set eth0 promisc on
rmmod dicap
echo "RMMOD1 $?"
r0=$(rx); sleep 1
echo "RX_WITHOUT_DICAP $(($(rx) - r0))"
ip link set eth0 promisc off
insmod /modules/dicap.ko
echo "INSMOD $?"
setup || echo "GUEST-ERROR setup again"
sleep 1
dicap-kctl get
rmmod dicap
echo "RMMOD2 $?"
insmod /modules/dicap.ko
setup || echo "GUEST-ERROR setup a third time"
sleep 1
# The driver goes away under traffic: the notifier detaches.
dev=$(basename "$(readlink /sys/class/net/eth0/device)")
drv=$(basename "$(readlink /sys/class/net/eth0/device/driver)")
echo "$dev" > /sys/bus/$( [ "$drv" = virtio_net ] && echo virtio || echo pci)/drivers/$drv/unbind
echo "UNBIND $?"
dicap-kctl get
dmesg | grep "dicap: interface unregistered" | sed 's/^.*\] /DMESG /'
rmmod dicap
echo "RMMOD3 $?"
# ip link del of an attached interface
insmod /modules/veth.ko
insmod /modules/dicap.ko
ip link add v0 type veth peer name v1
ip link set v0 up
dicap-kctl attach v0 driver
echo "ATTACH_VETH $?"
ip link del v0
echo "LINKDEL $?"
dicap-kctl get
rmmod dicap
echo "RMMOD4 $?"
