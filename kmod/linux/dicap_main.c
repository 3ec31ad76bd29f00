// SPDX-License-Identifier: GPL-2.0-only
/*
 * dicap.ko: the DiCAP capture node's packet path in the kernel (the
 * paper's design, section IV): a patched NIC driver hands every received
 * frame to dicap_rx_hook() before it builds an sk_buff, so frames that
 * belong to another node cost no allocation.  Unpatched drivers get the
 * rx_handler fallback, which runs after AF_PACKET taps and so suits
 * capture mode only.  Configuration: generic netlink (dicap_nl.c).
 */
#include <linux/if_arp.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dicap/batch.h"
#include "dicap/select.h"
#include "dicap.h"
#include "dicap_hook.h"

struct dicap_state dicap;
DEFINE_MUTEX(dicap_cfg_lock);

/* Guarded by dicap_cfg_lock (and RTNL where the stack needs it). */
static int dicap_hook_kind = -1;
static netdevice_tracker dicap_dev_tracker;

/*
 * The driver hook: @data/@len is a received Ethernet frame, or its first
 * part, in the driver's buffer; @wirelen its whole length.  Returns enum
 * dicap_rx_verdict; frames of other interfaces pass.
 */
int dicap_rx_hook(struct net_device *dev, const void *data, unsigned int len,
		  unsigned int wirelen)
{
	if (rcu_access_pointer(dicap.dev) != dev || dicap_hook_kind != DICAP_HOOK_DRIVER)
		return DICAP_RX_PASS;
	dicap_count(DICAP_K_HOOK_FRAMES);
	return dicap_process(data, len, wirelen);
}
EXPORT_SYMBOL_GPL(dicap_rx_hook);

/*
 * Fallback for unpatched drivers.  The stack has pulled the Ethernet
 * header; the frame is linear here (paged frames are linearized: this
 * path has an sk_buff already, so the allocation is not the one the
 * driver hook saves).
 */
static rx_handler_result_t dicap_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	unsigned int maclen;
	int verdict;

	if (skb->pkt_type == PACKET_LOOPBACK || !skb_mac_header_was_set(skb))
		return RX_HANDLER_PASS;
	if (skb_is_nonlinear(skb) && skb_linearize(skb))
		return RX_HANDLER_PASS;
	maclen = skb->data - skb_mac_header(skb);
	dicap_count(DICAP_K_RXH_FRAMES);
	verdict = dicap_process(skb_mac_header(skb), skb->len + maclen,
				skb->len + maclen);
	if (verdict == DICAP_RX_PASS)
		return RX_HANDLER_PASS;
	consume_skb(skb);
	return RX_HANDLER_CONSUMED;
}

u32 dicap_attached_ifindex(void)
{
	struct net_device *dev = rcu_dereference_protected(dicap.dev,
						lockdep_is_held(&dicap_cfg_lock));

	return dev ? dev->ifindex : 0;
}

/*
 * Called with RTNL and dicap_cfg_lock held.  Drops what attach took: the
 * rx_handler, the promiscuity reference and the device reference.
 */
static void __dicap_detach(void)
{
	struct net_device *dev = rcu_dereference_protected(dicap.dev,
						lockdep_is_held(&dicap_cfg_lock));

	if (!dev)
		return;
	if (dicap_hook_kind == DICAP_HOOK_RX_HANDLER)
		netdev_rx_handler_unregister(dev);
	dev_set_promiscuity(dev, -1);
	RCU_INIT_POINTER(dicap.dev, NULL);
	synchronize_net();
	dicap_hook_kind = -1;
	netdev_put(dev, &dicap_dev_tracker);
}

int dicap_detach(void)
{
	int err = 0;

	rtnl_lock();
	mutex_lock(&dicap_cfg_lock);
	if (!rcu_access_pointer(dicap.dev))
		err = -ENODEV;
	__dicap_detach();
	mutex_unlock(&dicap_cfg_lock);
	rtnl_unlock();
	return err;
}

int dicap_attach(struct net *net, u32 ifindex, int hook, struct netlink_ext_ack *extack)
{
	struct net_device *dev;
	int err = 0;

	rtnl_lock();
	mutex_lock(&dicap_cfg_lock);
	if (rcu_access_pointer(dicap.dev)) {
		NL_SET_ERR_MSG(extack, "dicap is attached to an interface already; detach first");
		err = -EBUSY;
		goto out;
	}
	dev = __dev_get_by_index(net, ifindex);
	if (!dev) {
		NL_SET_ERR_MSG(extack, "no interface with this index");
		err = -ENODEV;
		goto out;
	}
	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "a loopback interface carries the host's own traffic");
		err = -EINVAL;
		goto out;
	}
	if (dev->type != ARPHRD_ETHER) {
		NL_SET_ERR_MSG(extack, "not an Ethernet interface");
		err = -EINVAL;
		goto out;
	}
	if (hook == DICAP_HOOK_RX_HANDLER) {
		err = netdev_rx_handler_register(dev, dicap_rx_handler, NULL);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "interface has an rx_handler already (bridge, bond, macvlan?)");
			goto out;
		}
	}
	/*
	 * A capture node sits on a mirror port: the frames are addressed to
	 * other hosts, and a NIC filters those out unless promiscuous.
	 */
	err = dev_set_promiscuity(dev, 1);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot make the interface promiscuous");
		if (hook == DICAP_HOOK_RX_HANDLER)
			netdev_rx_handler_unregister(dev);
		goto out;
	}
	netdev_hold(dev, &dicap_dev_tracker, GFP_KERNEL);
	dicap_hook_kind = hook;
	rcu_assign_pointer(dicap.dev, dev);
out:
	mutex_unlock(&dicap_cfg_lock);
	rtnl_unlock();
	return err;
}

/* The attached interface goes away: detach, so it can be freed. */
static int dicap_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&dicap_cfg_lock);
	if (rcu_access_pointer(dicap.dev) == dev) {
		netdev_info(dev, "dicap: interface unregistered, detaching\n");
		__dicap_detach();
	}
	mutex_unlock(&dicap_cfg_lock);
	return NOTIFY_DONE;
}

static struct notifier_block dicap_netdev_nb = {
	.notifier_call = dicap_netdev_event,
};

static int dicap_state_init(void)
{
	struct dicap_cfg *cfg;
	int i;

	atomic64_set(&dicap.state, 0);
	dicap.switch_at = DICAP_DP_NEVER;
	dicap.lease_expiry = DICAP_DP_NEVER;
	for (i = 0; i < 2; i++) {
		dicap.slot[i].table = vzalloc(DICAP_BUCKETS * sizeof(u16));
		if (!dicap.slot[i].table)
			return -ENOMEM;
	}
	dicap.stats = alloc_percpu(struct dicap_stats);
	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!dicap.stats || !cfg) {
		kfree(cfg);
		return -ENOMEM;
	}
	cfg->snaplen = DICAP_SNAPLEN_DEFAULT;
	cfg->lease_policy = DICAP_DP_LEASE_KEEP;
	RCU_INIT_POINTER(dicap.cfg, cfg);
	return 0;
}

static void dicap_state_free(void)
{
	kfree(rcu_dereference_protected(dicap.cfg, 1));
	free_percpu(dicap.stats);
	vfree(dicap.slot[0].table);
	vfree(dicap.slot[1].table);
}

static int __init dicap_init(void)
{
	int err;

	err = dicap_state_init();
	if (err)
		goto err_state;
	err = dicap_fwd_init();
	if (err)
		goto err_state;
	err = register_netdevice_notifier(&dicap_netdev_nb);
	if (err)
		goto err_fwd;
	err = dicap_hook_register(dicap_rx_hook);
	if (err)
		goto err_notifier;
	err = dicap_nl_init();
	if (err)
		goto err_hook;
	return 0;

err_hook:
	dicap_hook_unregister(dicap_rx_hook);
err_notifier:
	unregister_netdevice_notifier(&dicap_netdev_nb);
err_fwd:
	dicap_fwd_exit();
err_state:
	dicap_state_free();
	return err;
}

/*
 * Order: no new configuration, no new frames from drivers (the hook waits
 * for CPUs inside it), no interface (the rx_handler likewise), then the
 * forwarder, then memory.
 */
static void __exit dicap_exit(void)
{
	dicap_nl_exit();
	dicap_hook_unregister(dicap_rx_hook);
	rtnl_lock();
	mutex_lock(&dicap_cfg_lock);
	__dicap_detach();
	mutex_unlock(&dicap_cfg_lock);
	rtnl_unlock();
	unregister_netdevice_notifier(&dicap_netdev_nb);
	dicap_fwd_exit();
	synchronize_rcu();
	dicap_state_free();
}

module_init(dicap_init);
module_exit(dicap_exit);
MODULE_DESCRIPTION("DiCAP distributed packet capture: node packet path");
MODULE_LICENSE("GPL");
