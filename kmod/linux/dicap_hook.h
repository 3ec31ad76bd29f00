/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The driver side of the DiCAP driver hook.  A patched driver includes
 * this header and calls dicap_drv_rx() with a received frame before it
 * builds an sk_buff.  The hook lives in dicap_hook.ko, a stateless module
 * with no logic, so that the driver depends on it and never on dicap.ko:
 * dicap.ko can be loaded and unloaded under traffic.  While no processor
 * is registered, the static branch is off and the driver behaves exactly
 * as before.
 */
#ifndef DICAP_HOOK_H
#define DICAP_HOOK_H

#include <linux/jump_label.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>

/* @len bytes at @data: the frame, or its first part of @wirelen bytes */
typedef int (*dicap_rx_fn)(struct net_device *dev, const void *data,
			   unsigned int len, unsigned int wirelen);

DECLARE_STATIC_KEY_FALSE(dicap_hook_enabled);

int dicap_hook_register(dicap_rx_fn fn);
void dicap_hook_unregister(dicap_rx_fn fn);
int dicap_hook_call(struct net_device *dev, const void *data, unsigned int len,
		    unsigned int wirelen);

/* Whether a processor is registered: lets a driver skip preparing a call. */
static inline bool dicap_drv_active(void)
{
	return static_branch_unlikely(&dicap_hook_enabled);
}

/*
 * A frame whose first @len bytes are at @data, @wirelen bytes in all
 * (a driver that holds it in several buffers).  0: build the sk_buff;
 * otherwise recycle the buffers (DICAP_RX_DROP or DICAP_RX_CAPTURED).
 */
static inline int dicap_drv_rx_part(struct net_device *dev, const void *data,
				    unsigned int len, unsigned int wirelen)
{
	if (dicap_drv_active())
		return dicap_hook_call(dev, data, len, wirelen);
	return 0;
}

/* A frame of @len bytes in one buffer. */
static inline int dicap_drv_rx(struct net_device *dev, const void *data,
			       unsigned int len)
{
	return dicap_drv_rx_part(dev, data, len, len);
}

#endif /* DICAP_HOOK_H */
