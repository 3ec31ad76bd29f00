// SPDX-License-Identifier: GPL-2.0-only
/*
 * dicap_hook.ko: the registration point between patched NIC drivers and
 * the DiCAP packet processor (dicap.ko).  One function pointer under RCU
 * and a static key; see dicap_hook.h.
 */
#include <linux/module.h>
#include <linux/mutex.h>

#include "dicap_hook.h"

struct static_key_false dicap_hook_enabled = STATIC_KEY_FALSE_INIT;
EXPORT_SYMBOL_GPL(dicap_hook_enabled);

static dicap_rx_fn __rcu dicap_hook_slot;
static DEFINE_MUTEX(dicap_hook_lock);

/* The processor's verdict; called by drivers in NAPI (softirq) context. */
int dicap_hook_call(struct net_device *dev, const void *data, unsigned int len,
		    unsigned int wirelen)
{
	dicap_rx_fn fn;
	int verdict = 0;

	rcu_read_lock();
	fn = rcu_dereference(dicap_hook_slot);
	if (fn)
		verdict = fn(dev, data, len, wirelen);
	rcu_read_unlock();
	return verdict;
}
EXPORT_SYMBOL_GPL(dicap_hook_call);

int dicap_hook_register(dicap_rx_fn fn)
{
	int err = 0;

	mutex_lock(&dicap_hook_lock);
	if (rcu_access_pointer(dicap_hook_slot)) {
		err = -EBUSY;
	} else {
		rcu_assign_pointer(dicap_hook_slot, fn);
		static_branch_enable(&dicap_hook_enabled);
	}
	mutex_unlock(&dicap_hook_lock);
	return err;
}
EXPORT_SYMBOL_GPL(dicap_hook_register);

/* After it returns, no CPU is inside @fn any more. */
void dicap_hook_unregister(dicap_rx_fn fn)
{
	mutex_lock(&dicap_hook_lock);
	if (rcu_access_pointer(dicap_hook_slot) == fn) {
		static_branch_disable(&dicap_hook_enabled);
		RCU_INIT_POINTER(dicap_hook_slot, NULL);
		synchronize_net();
	}
	mutex_unlock(&dicap_hook_lock);
}
EXPORT_SYMBOL_GPL(dicap_hook_unregister);

MODULE_DESCRIPTION("DiCAP driver hook registration point");
MODULE_LICENSE("GPL");
